"""Which SASS each executed PTX instruction stands for: the SASS-true cost table.

ptxas rewrites a block's PTX freely (predicates instead of short branches, vector loads,
strength-reduced address arithmetic, unrolled loops), so blocks do not correspond one to
one. What survives is the loop structure. Both programs are split into *regions*: each
loop's own blocks (those in no inner loop) and the blocks in no loop. Regions are paired:

- the top levels with each other;
- each PTX loop, in layout order, with an unused SASS loop whose work per iteration is a
  whole multiple ``k`` of the PTX loop's: the bytes moved per lane by shared and global
  loads and stores, floating-point and tensor instructions, to within ``RATIO_TOLERANCE``
  of the work summed over the measures, counting each executed PTX block
  of the loop once (ptxas predicates short guarded blocks, whose SASS then issues every
  iteration); among the SASS loops that fit, the one unrolled most (largest ``k``:
  ptxas's main body, its remainder loop runs the few iterations left), then the closest
  fit (an outer loop's own blocks, a remainder's loads among them, may fit the measures
  loosely beside the inner loop that fits them exactly), then the first in layout order
  wins. ``k`` is ptxas's unroll factor: a SASS iteration does ``k`` PTX iterations, so
  each PTX iteration is charged ``1/k`` of the SASS loop body.

Inside a pair, the SASS instructions of each class (``gpusim.cuda.sass.classes``) per
iteration are shared over the PTX instructions of the same class in proportion to how
often they execute per iteration: each PTX execution then stands for ``sass / ptx`` SASS
instructions of its class (four ``ld.shared.f32`` that ptxas merged into one ``LDS.128``
stand for a quarter each). SASS work of a class the PTX region lacks goes to its nearest
class (``_NEAREST``: ``IMAD`` address arithmetic to the integer instructions, and so on);
uniform-datapath instructions take issue slots only, spread over every instruction of the
region. PTX loops no SASS loop fits, and SASS loops no PTX loop claims, are left out: the
former keep the PTX heuristics (``mapped`` False), the latter are charged to no one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gpusim.cuda.sass.classes import (
    MEMORY_CLASSES,
    N_CLASSES,
    SassClass,
    access_bytes,
    ptx_class,
    sass_class,
)
from gpusim.cuda.sass.listing import SassBlock
from gpusim.cuda.sass.loops import TOP_LEVEL, Loop, find_loops, region_of_blocks
from gpusim.cuda.trace import InstructionTable, OpClass

RATIO_TOLERANCE = 0.25
"""How far a PTX loop's work times ``k`` may be from the SASS loop's, summed over the
measures, as a share of the work."""

_NEAREST: dict[SassClass, tuple[SassClass, ...]] = {
    SassClass.FMA: (SassClass.INT,),
    SassClass.INT: (SassClass.FMA,),
    SassClass.SFU: (SassClass.INT, SassClass.FMA),
    SassClass.FP64: (SassClass.FMA,),
    SassClass.TENSOR: (SassClass.FMA,),
    SassClass.CONTROL: (SassClass.INT, SassClass.FMA),
    SassClass.SHUFFLE: (SassClass.LD_SHARED,),
    SassClass.LD_LOCAL: (SassClass.LD_GLOBAL,),
    SassClass.ST_LOCAL: (SassClass.ST_GLOBAL,),
}
"""Where SASS work of a class the PTX region does not have is charged, in order of choice.
Anything still unplaced (and the uniform datapath) becomes issue slots of the region."""

_SIGNATURE_CLASSES = (
    SassClass.LD_SHARED,
    SassClass.ST_SHARED,
    SassClass.LD_GLOBAL,
    SassClass.ST_GLOBAL,
    SassClass.TENSOR,
)
_FLOAT_MATH = frozenset({"FFMA", "FADD", "FMUL", "HFMA2", "HADD2", "HMUL2", "DFMA", "DADD", "DMUL"})
_PTX_FLOAT = frozenset({OpClass.FP32, OpClass.FP16, OpClass.FP64})


@dataclass(frozen=True)
class SassCosting:
    """Per PTX instruction of a trace: what its executions stand for in SASS.

    ``mapped`` False: no SASS region fits its region; it keeps the PTX heuristics.
    ``sass_class``: its class (-1 for ``ld.param``, folded into constant operands).
    ``pipe_instructions``: SASS instructions of its (or the nearest) class per execution.
    ``slots``: issue slots per execution: those plus its share of slot-only work.
    ``unroll``: the unroll factor ``k`` of its region (1 outside loops, 0 where unmapped).
    """

    mapped: npt.NDArray[np.bool_]
    sass_class: npt.NDArray[np.int8]
    pipe_instructions: npt.NDArray[np.float64]
    slots: npt.NDArray[np.float64]
    unroll: npt.NDArray[np.float64]


def map_to_sass(
    program: InstructionTable,
    ptx_successors: list[tuple[int, ...]],
    block_visits: npt.NDArray[np.float64],
    sass: tuple[SassBlock, ...],
) -> SassCosting:
    """The SASS cost table of ``program`` (block successors and visit counts given)."""
    classes = _ptx_classes(program)
    ptx_loops = find_loops((b, s) for b, succ in enumerate(ptx_successors) for s in succ)
    sass_loops = find_loops((b.index, s) for b in sass for s in b.successors)
    ptx_region = np.array(region_of_blocks(ptx_loops, program.n_blocks), dtype=np.int64)
    sass_region = region_of_blocks(sass_loops, len(sass))
    weight = _weights(ptx_loops, ptx_region, block_visits)
    sass_counts, sass_signature = _sass_counts(sass, sass_region, len(sass_loops))
    pairs = _pair_loops(program, classes, ptx_loops, ptx_region, weight, sass_signature)
    pairs[TOP_LEVEL] = (TOP_LEVEL, 1)
    n = program.n_instructions
    costing = SassCosting(
        mapped=np.zeros(n, dtype=np.bool_),
        sass_class=classes.astype(np.int8),
        pipe_instructions=np.zeros(n),
        slots=np.zeros(n),
        unroll=np.zeros(n),
    )
    row_region = ptx_region[program.block]
    row_weight = weight[program.block]
    for region, (sass_loop, unroll) in pairs.items():
        rows = np.flatnonzero((row_region == region) & (classes >= 0))
        if rows.size == 0 or np.any(classes[rows] == _UNKNOWN):
            continue
        _charge(costing, rows, classes[rows], row_weight[rows], sass_counts[sass_loop] / unroll)
        costing.unroll[rows] = unroll
    return costing


_UNKNOWN = -2
"""A PTX op class this module does not know (its region keeps the PTX heuristics)."""


def _ptx_classes(program: InstructionTable) -> npt.NDArray[np.int64]:
    out = np.empty(program.n_instructions, dtype=np.int64)
    for i, (op, opcode) in enumerate(program.opcodes()):
        try:
            found = ptx_class(op, opcode)
        except KeyError:
            out[i] = _UNKNOWN
            continue
        out[i] = -1 if found is None else int(found)
    return out


def _weights(
    loops: tuple[Loop, ...], region: npt.NDArray[np.int64], visits: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Each block's executions per execution of its region's header (block 0 at top)."""
    headers = np.array([loop.header for loop in loops] + [0], dtype=np.int64)
    header_visits = visits[headers[region]]  # TOP_LEVEL (-1) picks block 0
    return np.divide(visits, header_visits, out=np.zeros_like(visits), where=header_visits > 0)


def _sass_counts(
    sass: tuple[SassBlock, ...], region: list[int], n_loops: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per region of own SASS blocks (TOP_LEVEL last): [class] instructions, and the
    work signature (``_SIGNATURE_CLASSES``' bytes per lane or count, then float math)."""
    counts = np.zeros((n_loops + 1, N_CLASSES))
    signature = np.zeros((n_loops + 1, len(_SIGNATURE_CLASSES) + 1))
    for block in sass:
        at = region[block.index]
        for instruction in block.instructions:
            cls = sass_class(instruction.opcode)
            counts[at, cls] += 1
            if cls in _SIGNATURE_CLASSES:
                size = access_bytes(instruction.opcode) if cls in MEMORY_CLASSES else 1
                signature[at, _SIGNATURE_CLASSES.index(cls)] += size
            signature[at, -1] += instruction.base in _FLOAT_MATH
    return counts, signature


def _ptx_signature(
    program: InstructionTable,
    classes: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    row_weight: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The work signature of PTX ``rows`` per execution of their region's header."""
    signature = np.zeros(len(_SIGNATURE_CLASSES) + 1)
    for j, cls in enumerate(_SIGNATURE_CLASSES):
        chosen = rows[classes[rows] == cls]
        size = program.bytes_per_lane[chosen] if cls in MEMORY_CLASSES else 1
        signature[j] = float(np.sum(size * row_weight[chosen]))
    floats = rows[np.isin(program.op_class[rows], list(_PTX_FLOAT))]
    signature[-1] = float(row_weight[floats].sum())
    return signature


def unroll_fit(
    ptx: npt.NDArray[np.float64], sass: npt.NDArray[np.float64]
) -> tuple[int, float] | None:
    """The whole ``k`` (1 to ``MAX_UNROLL``) that brings ``k`` x ``ptx`` closest to ``sass``
    over all measures, and that distance as a share of ``k`` x ``ptx``'s work, if it is
    within RATIO_TOLERANCE (ptxas moves a few instructions across a loop's edge when it
    pipelines it); None if it is not, or the PTX loop does no measured work."""
    total = float(ptx.sum())
    if total <= 0:
        return None
    distances = [float(np.abs(sass - k * ptx).sum()) for k in range(1, MAX_UNROLL + 1)]
    best = int(np.argmin(distances))
    k = best + 1
    share = distances[best] / (k * total)
    return (k, share) if share <= RATIO_TOLERANCE else None


MAX_UNROLL = 32
"""The largest unroll factor looked for."""


def _pair_loops(
    program: InstructionTable,
    classes: npt.NDArray[np.int64],
    ptx_loops: tuple[Loop, ...],
    ptx_region: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    sass_signature: npt.NDArray[np.float64],
) -> dict[int, tuple[int, int]]:
    """PTX loop -> (SASS loop, unroll factor) for every PTX loop a SASS loop fits."""
    row_region = ptx_region[program.block]
    # Structure against structure: every executed block once, as SASS (where ptxas turns a
    # guarded block into predicated instructions that issue every iteration) counts it.
    row_static = (weight[program.block] > 0).astype(np.float64)
    free = set(range(sass_signature.shape[0] - 1))
    pairs: dict[int, tuple[int, int]] = {}
    for loop in range(len(ptx_loops)):
        rows = np.flatnonzero(row_region == loop)
        ptx = _ptx_signature(program, classes, rows, row_static)
        fits = [
            (fit[0], -fit[1], -candidate)
            for candidate in sorted(free)
            if (fit := unroll_fit(ptx, sass_signature[candidate])) is not None
        ]
        if fits:
            k, _, negated = max(fits)
            pairs[loop] = (-negated, k)
            free.discard(-negated)
    return pairs


def _charge(
    costing: SassCosting,
    rows: npt.NDArray[np.int64],
    classes: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    sass_per_iteration: npt.NDArray[np.float64],
) -> None:
    """Share a region's SASS instructions per iteration over its PTX ``rows``."""
    ptx_per_iteration = np.bincount(classes, weights=weight, minlength=N_CLASSES)
    per_execution = np.zeros(N_CLASSES)
    slot_only = 0.0
    for cls in SassClass:
        sass = sass_per_iteration[cls]
        if sass == 0:
            continue
        home = next((c for c in (cls, *_NEAREST.get(cls, ())) if ptx_per_iteration[c] > 0), None)
        if home is None or cls == SassClass.UNIFORM:
            slot_only += sass
        else:
            per_execution[home] += sass / ptx_per_iteration[home]
    executions = float(weight.sum())
    costing.mapped[rows] = True
    costing.pipe_instructions[rows] = per_execution[classes]
    costing.slots[rows] = per_execution[classes] + (slot_only / executions if executions else 0)
