"""KernelTrace: the per-warp SIMT streams of one kernel launch, the contract with the engine.

A trace is ISA-neutral columnar data (NumPy arrays), stored as a versioned ``.npz``. It
holds the launch, the static program (one row per instruction), and the dynamic behaviour
of the grid in compressed form:

* CTAs are grouped into *classes*: boxes of the grid whose CTAs run the same per-warp
  streams and whose memory addresses shift by a constant per unit of CTA index. Each
  class stores one representative CTA (its box's low corner) in full.
* A warp's stream is its sequence of basic-block visits with the 32-bit active mask at
  each visit (a block is entered and left by all its active lanes together).
* Memory addresses are *runs*: per (warp, static memory instruction), maximal sequences
  of consecutive executions whose 32 lane addresses advance by one common stride. A loop
  costs one run per memory instruction, not one row per iteration.

docs/trace-format.md documents every array, its dtype and meaning.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.errors import TraceError

FORMAT_TAG = "gpusim.KernelTrace"
FORMAT_VERSION = 1
WARP_SIZE = 32

Dim3 = tuple[int, int, int]
IntArray = npt.NDArray[np.integer[Any]]


class OpClass(IntEnum):
    """What executes an instruction: enough for an engine to pick a unit and a latency.

    The numbers are part of the file format (append only).
    """

    INT32 = 0
    """16/32-bit integer ALU work (add, logic, shifts, 32-bit select)."""
    INT64 = 1
    """64-bit integer ALU work; SASS splits each into two to four 32-bit operations."""
    INT_DIV = 2
    """Integer division / remainder: a multi-instruction SASS sequence."""
    FP32 = 3
    FP16 = 4
    FP64 = 5
    FP_DIV = 6
    """IEEE-rounded float div / sqrt / rcp: multi-instruction SASS sequences."""
    SFU = 7
    """Approximate transcendental / reciprocal on the special function unit."""
    CONVERT = 8
    MOVE = 9
    SETP = 10
    PREDICATE = 11
    """Logic on predicates (and/or/xor/not .pred)."""
    BRANCH = 12
    BARRIER = 13
    MEMBAR = 14
    EXIT = 15
    LD_GLOBAL = 16
    ST_GLOBAL = 17
    LD_SHARED = 18
    ST_SHARED = 19
    LD_LOCAL = 20
    ST_LOCAL = 21
    LD_PARAM = 22
    ATOM_GLOBAL = 23
    ATOM_SHARED = 24
    SHFL = 25
    MMA = 26


class MemSpace(IntEnum):
    """State space of a memory instruction (NONE for everything else); numbers are stable."""

    NONE = 0
    GLOBAL = 1
    SHARED = 2
    LOCAL = 3
    PARAM = 4


@dataclass(frozen=True)
class LaunchInfo:
    """The launch: kernel, its size parameters, geometry, resources and target."""

    kernel: str
    params: dict[str, Any]
    grid: Dim3
    block: Dim3
    registers_per_thread: int | None
    static_shared_bytes: int
    dynamic_shared_bytes: int
    local_bytes_per_thread: int
    cc: tuple[int, int]

    @property
    def threads_per_cta(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    @property
    def warps_per_cta(self) -> int:
        return -(-self.threads_per_cta // WARP_SIZE)

    @property
    def ctas(self) -> int:
        return self.grid[0] * self.grid[1] * self.grid[2]


@dataclass(frozen=True, eq=False)
class Program:
    """The static program: one row per instruction, blocks contiguous and in order.

    Ragged register lists use offsets: instruction i's destinations are
    ``dst_regs[dst_offsets[i]:dst_offsets[i + 1]]`` (same for sources).
    """

    block: npt.NDArray[np.int32]
    op_class: npt.NDArray[np.uint8]
    opcode: npt.NDArray[np.int32]
    dst_offsets: npt.NDArray[np.int64]
    dst_regs: npt.NDArray[np.int32]
    src_offsets: npt.NDArray[np.int64]
    src_regs: npt.NDArray[np.int32]
    mem_space: npt.NDArray[np.uint8]
    bytes_per_lane: npt.NDArray[np.int32]
    vector_width: npt.NDArray[np.uint8]
    flops_per_lane: npt.NDArray[np.int32]
    ptx_line: npt.NDArray[np.int32]
    block_start: npt.NDArray[np.int64]
    """Block b is instructions ``[block_start[b], block_start[b + 1])``."""
    opcode_names: tuple[str, ...]
    register_names: tuple[str, ...]
    register_bits: npt.NDArray[np.int32]
    """Width of each register in bits (1 for predicates)."""

    @property
    def n_instructions(self) -> int:
        return int(self.block.size)

    @property
    def n_blocks(self) -> int:
        return int(self.block_start.size - 1)

    def issues_per_instruction(self, visit_block: IntArray) -> npt.NDArray[np.int64]:
        """Warp-level issues of every instruction, given a sequence of block visits."""
        per_block = np.bincount(visit_block, minlength=self.n_blocks).astype(np.int64)
        return per_block[self.block]


@dataclass(frozen=True, eq=False)
class CtaRecord:
    """Everything one CTA did: per-warp block visits, memory runs, per-instruction lanes.

    Runs are sorted by (warp, instruction, first). Run r covers executions
    ``first[r] .. first[r] + count[r] - 1`` of its instruction by its warp (execution k is
    the k-th visit of the warp to the instruction's block); at the j-th of them lane l
    (active in ``mask[r]``) accesses ``base[r, l] + j * stride_bytes[r]``. Inactive lanes
    have base 0. Executions not covered by a run accessed no lane (guard false).
    """

    visit_offsets: npt.NDArray[np.int64]
    visit_block: npt.NDArray[np.int32]
    visit_mask: npt.NDArray[np.uint32]
    run_warp: npt.NDArray[np.int32]
    run_instr: npt.NDArray[np.int32]
    run_first: npt.NDArray[np.int64]
    run_count: npt.NDArray[np.int64]
    run_stride_bytes: npt.NDArray[np.int64]
    run_mask: npt.NDArray[np.uint32]
    run_base: npt.NDArray[np.uint64]
    active_lanes: npt.NDArray[np.int64]
    """Per instruction: lanes that executed it (active and guard true), summed over the CTA."""

    @property
    def n_warps(self) -> int:
        return int(self.visit_offsets.size - 1)

    def warp_visits(self, warp: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint32]]:
        """(blocks, masks) of one warp's visits, in execution order."""
        start, stop = self.visit_offsets[warp], self.visit_offsets[warp + 1]
        return self.visit_block[start:stop], self.visit_mask[start:stop]

    def shifted(self, shift_bytes: npt.NDArray[np.int64], delta: IntArray) -> CtaRecord:
        """This record with each run's addresses moved by ``shift_bytes[instr] @ delta``."""
        offset = (shift_bytes[self.run_instr] @ np.asarray(delta, np.int64)).astype(np.uint64)
        active = _mask_bits(self.run_mask)
        base = np.where(active, self.run_base + offset[:, None], np.uint64(0))
        return CtaRecord(**{**self._fields(), "run_base": base})

    def same_as(self, other: CtaRecord) -> bool:
        """True when both records hold identical arrays."""
        mine, theirs = self._fields(), other._fields()
        return all(np.array_equal(mine[name], theirs[name]) for name in mine)

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CtaRecord.__dataclass_fields__}


def _mask_bits(masks: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """[n] uint32 masks -> [n, 32] bools (lane l is bit l)."""
    return ((masks[:, None] >> np.arange(WARP_SIZE, dtype=np.uint32)) & 1).astype(bool)


@dataclass(frozen=True, eq=False)
class CtaClass:
    """CTAs ``lo <= cta <= hi`` (inclusive box): the CTA at ``lo`` recorded in full.

    CTA ``lo + delta`` of the box runs the same streams with every address of instruction
    i shifted by ``shift_bytes[i] @ delta`` (x, y, z).
    """

    lo: Dim3
    hi: Dim3
    record: CtaRecord
    shift_bytes: npt.NDArray[np.int64]

    @property
    def n_ctas(self) -> int:
        return int(np.prod([h - low + 1 for low, h in zip(self.lo, self.hi, strict=True)]))

    def contains(self, cta: Dim3) -> bool:
        return all(low <= c <= h for low, c, h in zip(self.lo, cta, self.hi, strict=True))


@dataclass(frozen=True)
class Segment:
    """A range of the emulator's flat global address space (a kernel array or a variable)."""

    name: str
    base: int
    size_bytes: int


@dataclass(frozen=True)
class TraceSummary:
    """Whole-grid totals of a trace, for tables, the CLI and quick checks."""

    kernel: str
    grid: Dim3
    block: Dim3
    ctas: int
    warps: int
    cta_classes: int
    warp_instructions: dict[str, int]
    total_warp_instructions: int
    flops: int
    bytes: dict[str, int] = field(default_factory=dict)
    """Requested bytes by kind: global_load, global_store, shared_load, shared_store,
    local_load, local_store, global_atomic, shared_atomic."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_BYTE_KINDS: dict[OpClass, str] = {
    OpClass.LD_GLOBAL: "global_load",
    OpClass.ST_GLOBAL: "global_store",
    OpClass.LD_SHARED: "shared_load",
    OpClass.ST_SHARED: "shared_store",
    OpClass.LD_LOCAL: "local_load",
    OpClass.ST_LOCAL: "local_store",
    OpClass.ATOM_GLOBAL: "global_atomic",
    OpClass.ATOM_SHARED: "shared_atomic",
}


@dataclass(frozen=True, eq=False)
class KernelTrace:
    """One launch's trace: launch, program, CTA classes and the global memory map."""

    launch: LaunchInfo
    program: Program
    classes: tuple[CtaClass, ...]
    segments: tuple[Segment, ...]

    def class_of(self, cta: Dim3) -> CtaClass:
        for cta_class in self.classes:
            if cta_class.contains(cta):
                return cta_class
        raise TraceError(f"CTA {cta} lies outside the grid {self.launch.grid}")

    def derive_cta(self, cta: Dim3) -> CtaRecord:
        """The full record of any CTA of the grid, derived from its class."""
        cta_class = self.class_of(cta)
        delta = np.subtract(cta, cta_class.lo)
        if not delta.any():
            return cta_class.record
        return cta_class.record.shifted(cta_class.shift_bytes, delta)

    def class_index_grid(self) -> npt.NDArray[np.int32]:
        """[gz, gy, gx] array: the class index of every CTA."""
        gx, gy, gz = self.launch.grid
        index = np.full((gz, gy, gx), -1, dtype=np.int32)
        for k, cta_class in enumerate(self.classes):
            (x0, y0, z0), (x1, y1, z1) = cta_class.lo, cta_class.hi
            index[z0 : z1 + 1, y0 : y1 + 1, x0 : x1 + 1] = k
        return index

    def summary(self) -> TraceSummary:
        program = self.program
        op_class = program.op_class
        by_class = np.zeros(len(OpClass), dtype=np.int64)
        flops = 0
        byte_totals = dict.fromkeys(_BYTE_KINDS.values(), 0)
        for cta_class in self.classes:
            record, n = cta_class.record, cta_class.n_ctas
            issues = program.issues_per_instruction(record.visit_block)
            by_class += n * np.bincount(op_class, weights=issues, minlength=len(OpClass)).astype(
                np.int64
            )
            lanes = record.active_lanes
            flops += n * int(np.dot(lanes, program.flops_per_lane.astype(np.int64)))
            moved = lanes * program.bytes_per_lane.astype(np.int64)
            for kind, name in _BYTE_KINDS.items():
                byte_totals[name] += n * int(moved[op_class == kind].sum())
        launch = self.launch
        return TraceSummary(
            kernel=launch.kernel,
            grid=launch.grid,
            block=launch.block,
            ctas=launch.ctas,
            warps=launch.ctas * launch.warps_per_cta,
            cta_classes=len(self.classes),
            warp_instructions={c.name: int(by_class[c]) for c in OpClass if by_class[c]},
            total_warp_instructions=int(by_class.sum()),
            flops=flops,
            bytes=byte_totals,
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the trace as ``.npz`` atomically (temporary file, then rename)."""
        target = Path(path)
        arrays = _to_arrays(self)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as handle:
                np.savez_compressed(handle, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KernelTrace:
        """Read a trace; TraceError naming the file if it is not a valid, supported one."""
        source = Path(path)
        try:
            with np.load(source, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise TraceError(f"{source}: no such trace file") from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise TraceError(f"{source}: not a readable trace file ({exc})") from None
        try:
            return _from_arrays(arrays, source)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise TraceError(f"{source}: corrupt trace ({exc})") from None


# -- serialisation ------------------------------------------------------------------------

_RECORD_VISIT_ARRAYS = ("visit_block", "visit_mask")
_RECORD_RUN_ARRAYS = (
    "run_warp",
    "run_instr",
    "run_first",
    "run_count",
    "run_stride_bytes",
    "run_mask",
    "run_base",
)
_PROGRAM_DTYPES: dict[str, Any] = {
    "block": np.int32,
    "op_class": np.uint8,
    "opcode": np.int32,
    "dst_offsets": np.int64,
    "dst_regs": np.int32,
    "src_offsets": np.int64,
    "src_regs": np.int32,
    "mem_space": np.uint8,
    "bytes_per_lane": np.int32,
    "vector_width": np.uint8,
    "flops_per_lane": np.int32,
    "ptx_line": np.int32,
    "block_start": np.int64,
    "register_bits": np.int32,
}
_DTYPES: dict[str, Any] = {
    **{f"program_{name}": dtype for name, dtype in _PROGRAM_DTYPES.items()},
    "class_lo": np.int64,
    "class_hi": np.int64,
    "class_shift_bytes": np.int64,
    "class_active_lanes": np.int64,
    "class_run_offsets": np.int64,
    "visit_offsets": np.int64,
    "visit_block": np.int32,
    "visit_mask": np.uint32,
    "run_warp": np.int32,
    "run_instr": np.int32,
    "run_first": np.int64,
    "run_count": np.int64,
    "run_stride_bytes": np.int64,
    "run_mask": np.uint32,
    "run_base": np.uint64,
}
"""Every array of a trace file and its dtype (``meta`` aside)."""


def _to_arrays(trace: KernelTrace) -> dict[str, Any]:
    program = trace.program
    meta = {
        "format": FORMAT_TAG,
        "version": FORMAT_VERSION,
        "launch": asdict(trace.launch),
        "opcode_names": list(program.opcode_names),
        "register_names": list(program.register_names),
        "segments": [asdict(s) for s in trace.segments],
    }
    arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta))}
    for name in _PROGRAM_DTYPES:
        arrays[f"program_{name}"] = getattr(program, name)
    records = [c.record for c in trace.classes]
    arrays["class_lo"] = np.array([c.lo for c in trace.classes], dtype=np.int64).reshape(-1, 3)
    arrays["class_hi"] = np.array([c.hi for c in trace.classes], dtype=np.int64).reshape(-1, 3)
    arrays["class_shift_bytes"] = np.stack([c.shift_bytes for c in trace.classes])
    arrays["class_active_lanes"] = np.stack([r.active_lanes for r in records])
    visit_counts = np.concatenate([np.diff(r.visit_offsets) for r in records])
    arrays["visit_offsets"] = np.concatenate([[0], np.cumsum(visit_counts)]).astype(np.int64)
    run_counts = [r.run_warp.size for r in records]
    arrays["class_run_offsets"] = np.concatenate([[0], np.cumsum(run_counts)]).astype(np.int64)
    for name in (*_RECORD_VISIT_ARRAYS, *_RECORD_RUN_ARRAYS):
        arrays[name] = np.concatenate([getattr(r, name) for r in records])
    return arrays


def _typed(arrays: dict[str, Any], name: str) -> Any:
    """The array ``name``, checked to be present with the dtype the format prescribes."""
    if name not in arrays:
        raise KeyError(f"missing array {name}")
    value = arrays[name]
    expected = np.dtype(_DTYPES[name])
    if value.dtype != expected:
        raise ValueError(f"array {name} has dtype {value.dtype}, expected {expected}")
    return value


def _from_arrays(arrays: dict[str, Any], source: Path) -> KernelTrace:
    if "meta" not in arrays:
        raise TraceError(f"{source}: not a gpusim trace (no metadata)")
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError:
        raise TraceError(f"{source}: not a gpusim trace (unreadable metadata)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_TAG:
        tag = meta.get("format") if isinstance(meta, dict) else None
        raise TraceError(f"{source}: not a gpusim trace (format tag {tag!r})")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise TraceError(f"{source}: unsupported trace format version {version!r}")
    if version > FORMAT_VERSION:
        raise TraceError(
            f"{source}: trace format version {version} is newer than this gpusim reads "
            f"({FORMAT_VERSION}); upgrade gpusim"
        )
    launch_fields = dict(meta["launch"])
    for name in ("grid", "block", "cc"):
        launch_fields[name] = tuple(int(v) for v in launch_fields[name])
    launch = LaunchInfo(**launch_fields)
    program = Program(
        **{name: _typed(arrays, f"program_{name}") for name in _PROGRAM_DTYPES},
        opcode_names=tuple(str(n) for n in meta["opcode_names"]),
        register_names=tuple(str(n) for n in meta["register_names"]),
    )
    segments = tuple(
        Segment(str(s["name"]), int(s["base"]), int(s["size_bytes"])) for s in meta["segments"]
    )
    trace = KernelTrace(launch, program, _classes(arrays, launch, program), segments)
    _check_coverage(trace)
    return trace


def _classes(arrays: dict[str, Any], launch: LaunchInfo, program: Program) -> tuple[CtaClass, ...]:
    lo, hi = _typed(arrays, "class_lo"), _typed(arrays, "class_hi")
    shifts, lanes = _typed(arrays, "class_shift_bytes"), _typed(arrays, "class_active_lanes")
    n_classes, n_instr, wpc = lo.shape[0], program.n_instructions, launch.warps_per_cta
    if lo.shape != (n_classes, 3) or hi.shape != (n_classes, 3):
        raise ValueError("class boxes must be [classes, 3]")
    if shifts.shape != (n_classes, n_instr, 3) or lanes.shape != (n_classes, n_instr):
        raise ValueError("class shift / lane arrays do not match the program")
    visit_offsets = _typed(arrays, "visit_offsets")
    run_offsets = _typed(arrays, "class_run_offsets")
    if visit_offsets.size != n_classes * wpc + 1 or run_offsets.size != n_classes + 1:
        raise ValueError("record offsets do not match the classes and warps per CTA")
    visits = {name: _typed(arrays, name) for name in _RECORD_VISIT_ARRAYS}
    runs = {name: _typed(arrays, name) for name in _RECORD_RUN_ARRAYS}
    if visit_offsets[-1] != visits["visit_block"].size or run_offsets[-1] != runs["run_warp"].size:
        raise ValueError("record arrays are truncated")
    if runs["run_base"].shape != (runs["run_warp"].size, WARP_SIZE):
        raise ValueError("run_base must be [runs, 32]")
    classes = []
    for k in range(n_classes):
        v0, v1 = visit_offsets[k * wpc], visit_offsets[(k + 1) * wpc]
        r0, r1 = run_offsets[k], run_offsets[k + 1]
        record = CtaRecord(
            visit_offsets=visit_offsets[k * wpc : (k + 1) * wpc + 1] - v0,
            **{name: value[v0:v1] for name, value in visits.items()},
            **{name: value[r0:r1] for name, value in runs.items()},
            active_lanes=lanes[k],
        )
        classes.append(
            CtaClass(
                lo=tuple(int(v) for v in lo[k]),  # type: ignore[arg-type]
                hi=tuple(int(v) for v in hi[k]),  # type: ignore[arg-type]
                record=record,
                shift_bytes=shifts[k],
            )
        )
    return tuple(classes)


def _check_coverage(trace: KernelTrace) -> None:
    """Every CTA of the grid must lie in exactly one class box."""
    covered = np.zeros(trace.launch.grid[::-1], dtype=np.int64)
    for cta_class in trace.classes:
        (x0, y0, z0), (x1, y1, z1) = cta_class.lo, cta_class.hi
        covered[z0 : z1 + 1, y0 : y1 + 1, x0 : x1 + 1] += 1
    if covered.size and not (covered == 1).all():
        raise ValueError("CTA classes do not partition the grid")
