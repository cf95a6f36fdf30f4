"""Ampere's asynchronous copy and matrix-load instructions: ``cp.async`` with its groups and
``ldmatrix``.

The batch runs in lockstep, so a ``cp.async`` copies global to shared memory at once: the
data has landed by any later ``cp.async.wait_group``, as PTX guarantees, and a kernel that
reads a stage before waiting on its group reads what the copy wrote (the emulator cannot
show that race; the engine's timing does not depend on it). ``commit_group`` and
``wait_group`` therefore only occupy their issue slot here. The trace sees a copy as the
global load it is: its global addresses, 16 (or 4, 8) bytes per lane.

``ldmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.shared.b16`` (PTX ISA "Warp-level matrix
load instruction: ldmatrix"): lanes ``8i .. 8i+7`` give the row addresses of matrix ``i``
(8 rows of 8 b16, 16 bytes each); register ``i`` of lane ``l`` receives row ``l / 4``,
columns ``2 (l % 4)`` and ``2 (l % 4) + 1`` of matrix ``i`` (low half first), or with
``.trans`` column ``l / 4``, rows ``2 (l % 4)`` and ``2 (l % 4) + 1``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gpusim.cuda.ptx.ir import ImmInt, Instruction, VectorOperand
from gpusim.cuda.ptx.lanes import WARP_SIZE
from gpusim.cuda.ptx.machine import Machine
from gpusim.cuda.ptx.operands import CompileContext, Step, writer
from gpusim.cuda.ptx.ops_hopper import tma_copy
from gpusim.cuda.ptx.ops_memory import _address_reader, _lane_addresses, _locate, _resolve
from gpusim.cuda.ptx.types import TYPES

Handler = Callable[[Instruction, int, CompileContext], Step]

CP_ASYNC_SIZES_BYTES = (4, 8, 16)
"""The copy sizes ``cp.async`` takes (``.cg`` only 16)."""
COPY_WORD_BYTES = 4
"""A copy moves its bytes as 32-bit words (every cp-size is a multiple)."""
ROW_ELEMENTS = 8
"""b16 elements in one row of an m8n8 matrix (16 bytes)."""


def table_opcode(ins: Instruction) -> str:
    """The opcode a trace's instruction table names ``ins`` by: ``cp.async.wait_group N``
    as ``cp.async.wait_group.N`` and ``wgmma.wait_group.sync.aligned N`` as
    ``wgmma.wait_group.sync.aligned.N`` (the groups it lets stay in flight decide when it
    returns), every other instruction by its opcode."""
    waits = (ins.base == "cp" and ins.modifiers[1:2] == ("wait_group",)) or (
        ins.base == "wgmma" and ins.modifiers[:1] == ("wait_group",)
    )
    if not waits:
        return ins.opcode
    if len(ins.operands) != 1 or not isinstance(ins.operands[0], ImmInt):
        raise ins.fail("expected the count of groups that may stay pending, a constant")
    return f"{ins.opcode}.{ins.operands[0].value}"


def cp_async_bytes(ins: Instruction) -> int:
    """The bytes one lane's ``cp.async`` copies (its cp-size operand)."""
    if len(ins.operands) != 3 or not isinstance(ins.operands[2], ImmInt):
        raise ins.fail("expected [shared], [global], cp-size (a source size is not supported)")
    size = ins.operands[2].value
    if size not in CP_ASYNC_SIZES_BYTES:
        raise ins.fail(f"cp-size must be one of {CP_ASYNC_SIZES_BYTES}, got {size}")
    return size


def cp_async(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``cp.async.{ca,cg}.shared.global``, or its ``commit_group`` / ``wait_group`` /
    ``wait_all`` (issue slots only: the copy below has completed); the TMA's
    ``cp.async.bulk.tensor`` is ``ops_hopper``'s."""
    if ins.modifiers[1:2] in (("commit_group",), ("wait_group",), ("wait_all",)):
        return lambda m: None
    if ins.modifiers[1:2] == ("bulk",):
        return tma_copy(ins, index, ctx)
    if "shared" not in ins.modifiers or "global" not in ins.modifiers:
        raise ins.fail("only cp.async between .shared and .global is supported")
    size = cp_async_bytes(ins)
    read_shared = _address_reader(ins.operands[0], "shared", ins, ctx)
    read_global = _address_reader(ins.operands[1], "global", ins, ctx)

    def run(m: Machine) -> None:
        positions, sources, full = _lane_addresses(m, read_global)
        if m.observer is not None:
            m.observer.on_memory(index, "global", m.exec_mask, full)
        _, targets, _ = _lane_addresses(m, read_shared)
        for word in range(size // COPY_WORD_BYTES):
            offset, align = np.uint64(word * COPY_WORD_BYTES), size if word == 0 else 1
            source = _locate(m, ins, "global", positions, sources + offset, COPY_WORD_BYTES, align)
            target = _locate(m, ins, "shared", positions, targets + offset, COPY_WORD_BYTES, align)
            data = np.empty(positions.size, dtype=np.uint32)
            for view, words, where in source:
                data[where] = view[words]
            for view, words, where in target:
                view[words] = data[where]

    return run


def ldmatrix(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``ldmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.shared.b16`` for one warp at a time."""
    counts = [int(mod[1:]) for mod in ins.modifiers if mod in ("x1", "x2", "x4")]
    if "m8n8" not in ins.modifiers or "b16" not in ins.modifiers or len(counts) != 1:
        raise ins.fail("only ldmatrix .m8n8 .x1/.x2/.x4 .b16 is supported")
    matrices = counts[0]
    transposed = "trans" in ins.modifiers
    space = "shared" if any(m.split("::")[0] == "shared" for m in ins.modifiers) else "generic"
    destination = ins.operands[0] if len(ins.operands) == 2 else None
    if not isinstance(destination, VectorOperand) or len(destination.items) != matrices:
        raise ins.fail(f"expected a vector of {matrices} destination registers and an address")
    writes = [writer(item, TYPES["b32"], ins) for item in destination.items]
    read_address = _address_reader(ins.operands[1], space, ins, ctx)
    lane = np.arange(WARP_SIZE)
    providers = lane < ROW_ELEMENTS * matrices
    group, pair = lane // 4, lane % 4

    def run(m: Machine) -> None:
        by_warp = m.exec_mask.reshape(-1, WARP_SIZE)
        warps = np.flatnonzero(by_warp.any(axis=1))
        if not by_warp[warps].all():
            raise ins.fail("ldmatrix.sync.aligned needs all 32 lanes of the warp active")
        mask = m.exec_mask & np.tile(providers, m.n_lanes // WARP_SIZE)
        full = np.broadcast_to(np.asarray(read_address(m), dtype=np.uint64), (m.n_lanes,))
        positions = np.flatnonzero(mask)
        resolved, addresses, window = _resolve(ins, space, full[positions])
        if resolved != "shared":
            raise ins.fail("ldmatrix reads shared memory")
        if m.observer is not None:
            m.observer.on_memory(index, "shared", mask, full - np.uint64(window))
        rows = np.empty((positions.size, ROW_ELEMENTS), dtype=np.uint16)
        for column in range(ROW_ELEMENTS):
            shifted = addresses + np.uint64(2 * column)
            align = 2 * ROW_ELEMENTS if column == 0 else 1
            for view, words, where in _locate(m, ins, "shared", positions, shifted, 2, align):
                rows[where, column] = view[words]
        # [warp, matrix, row, column] from the providing lanes, warp by warp in order.
        tiles = rows.reshape(warps.size, matrices, ROW_ELEMENTS, ROW_ELEMENTS)
        if transposed:
            tiles = tiles.transpose(0, 1, 3, 2)
        low = tiles[:, :, group, 2 * pair].astype(np.uint32)
        high = tiles[:, :, group, 2 * pair + 1].astype(np.uint32)
        words = low | (high << np.uint32(16))  # [warp, matrix, lane]
        lanes = (warps[:, None] * WARP_SIZE + lane).ravel()
        for matrix, write in enumerate(writes):
            out = np.zeros(m.n_lanes, dtype=np.uint32)
            out[lanes] = words[:, matrix, :].ravel()
            write(m, out)

    return run


HANDLERS: dict[str, Handler] = {"cp": cp_async, "ldmatrix": ldmatrix}
