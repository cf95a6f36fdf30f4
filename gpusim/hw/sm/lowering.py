"""From a ``KernelTrace`` to the ``EngineProgram`` the engine runs on one GPU.

Every static instruction gets its cost on the GPU (``gpusim.hw.sm.isa``); instructions that
cost nothing on hardware (``ld.param``, folded into constant-bank operands by ptxas) are
dropped, along with visits to blocks they leave empty; each block is put in the order
ptxas would issue it (``gpusim.hw.sm.reorder``). Each CTA class's streams and address runs are
regrouped per (warp, memory instruction) so the engine can walk them with one cursor each.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gpusim.cuda.sass import SassCosting, sass_costing
from gpusim.cuda.trace import CtaRecord, InstructionTable, KernelTrace, OpClass
from gpusim.errors import EngineError
from gpusim.hw.sm.isa import Cost, instruction_cost, sass_true_cost
from gpusim.hw.sm.loops import executions_per_period, steady_loop
from gpusim.hw.sm.program import (
    ASYNC_GROUP_SLOTS,
    AsyncOp,
    AsyncUnit,
    BarrierOp,
    EngineProgram,
    MemKind,
)
from gpusim.hw.sm.reorder import block_order
from gpusim.spec.gpu import GpuSpec
from gpusim.units import cycles_to_ns


def lower(trace: KernelTrace, gpu: GpuSpec, *, from_sass: bool = True) -> EngineProgram:
    """The engine's view of ``trace`` on ``gpu``.

    With ``from_sass`` (and SASS to read: ``gpusim.cuda.sass.sass_costing``) instructions
    are costed by the SASS they stand for where a region maps, the rest (and everything
    without ``from_sass``) by the PTX heuristics of ``gpusim.hw.sm.isa``.
    """
    launch, program = trace.launch, trace.program
    if launch.registers_per_thread is None:
        raise EngineError(
            f"{launch.kernel}: the trace has no register count (ptxas did not report one), "
            "so occupancy cannot be computed"
        )
    sass = sass_costing(trace) if from_sass else None
    costs = costs_of(trace, gpu, sass)
    kept = program.op_class != OpClass.LD_PARAM  # folded into constant operands by ptxas
    # Original instruction indices, in the order the engine holds them.
    rows = np.array([i for i in block_order(program) if kept[i]], dtype=np.int64)
    row_costs = [costs[i] for i in rows]
    block_sizes = np.bincount(program.block[rows], minlength=program.n_blocks)
    bb_start = np.concatenate([[0], np.cumsum(block_sizes)]).astype(np.int32)
    memory_instructions = np.array(
        [i for i in range(program.n_instructions) if costs[i].mem != MemKind.NONE and kept[i]],
        dtype=np.int64,
    )
    mem_slot = np.full(program.n_instructions, -1, dtype=np.int32)
    mem_slot[memory_instructions] = np.arange(memory_instructions.size, dtype=np.int32)
    cycle_ns = cycles_to_ns(1.0, gpu.sm.clock_hz)
    dst_ptr, dst = _ragged(program.dst_offsets, program.dst_regs, rows)
    src_ptr, src = _ragged(program.src_offsets, program.src_regs, rows)
    streams = _streams(trace, block_sizes > 0)
    runs = _runs(trace, mem_slot, memory_instructions.size)
    loops = _loops(streams, bb_start, mem_slot[rows], memory_instructions.size)
    if (program.op_class == OpClass.MBARRIER).any():
        # A loop jump moves warps whole periods but not their CTA's mbarrier phases with
        # them: such kernels run every period (their rounds are still skipped).
        loops.loop_count[:] = 0
    async_op, async_pending, async_unit = _async_roles(program)
    return EngineProgram(
        name=launch.kernel,
        grid=launch.grid,
        block=launch.block,
        registers_per_thread=launch.registers_per_thread,
        shared_bytes_per_cta=launch.static_shared_bytes + launch.dynamic_shared_bytes,
        register_count=int(program.register_bits.size),
        pipe=np.array([c.pipe for c in row_costs], dtype=np.int8),
        latency_ns=np.array([c.latency_cycles * cycle_ns for c in row_costs]),
        issue_ns=np.array([c.issue_cycles * cycle_ns for c in row_costs]),
        slot_ns=np.array([c.slots * cycle_ns for c in row_costs]),
        producer=np.array([c.producer for c in row_costs], dtype=np.int8),
        mem_kind=np.array([c.mem for c in row_costs], dtype=np.int8),
        mem_width_bytes=program.bytes_per_lane[rows].astype(np.int32),
        mem_slot=mem_slot[rows],
        slot_kind=np.array([costs[i].mem for i in memory_instructions], dtype=np.int8),
        slot_width_bytes=program.bytes_per_lane[memory_instructions].astype(np.int32),
        dst_ptr=dst_ptr,
        dst=dst,
        src_ptr=src_ptr,
        src=src,
        is_barrier=program.op_class[rows] == OpClass.BARRIER,
        is_exit=program.op_class[rows] == OpClass.EXIT,
        async_op=async_op[rows],
        async_pending=async_pending[rows],
        async_unit=async_unit[rows],
        barrier_op=_barrier_roles(program)[rows],
        operand=program.operand[rows],
        row_stride_bytes=program.row_stride_bytes[rows],
        bb_start=bb_start,
        cta_class=trace.class_index_grid().ravel().astype(np.int32),
        class_lo=np.array([c.lo for c in trace.classes], dtype=np.int64).reshape(-1, 3),
        **streams._asdict(),
        **loops._asdict(),
        **runs._asdict(),
        class_ctas=np.array([c.n_ctas for c in trace.classes], dtype=np.int64),
        class_warp_instructions=np.array(
            [_issued(program, c.record, block_sizes) for c in trace.classes], dtype=np.int64
        ),
        sass_costed_fraction=_sass_costed_fraction(trace, sass, kept),
        class_flops=np.array(
            [float(c.record.active_lanes @ program.flops_per_lane) for c in trace.classes]
        ),
        class_global_bytes=np.array(
            [_requested_bytes(program, c.record, _GLOBAL_CLASSES) for c in trace.classes],
            dtype=np.int64,
        ),
        class_shared_bytes=np.array(
            [_requested_bytes(program, c.record, _SHARED_CLASSES) for c in trace.classes],
            dtype=np.int64,
        ),
        cta_shift=np.stack([c.shift_bytes[memory_instructions] for c in trace.classes]).reshape(
            len(trace.classes), memory_instructions.size, 3
        ),
    )


def _barrier_roles(program: InstructionTable) -> npt.NDArray[np.int8]:
    """Every instruction's ``BarrierOp`` (``mbarrier.init``, ``arrive{.expect_tx}``,
    ``try_wait`` / ``test_wait``)."""
    actions = {
        "init": BarrierOp.INIT,
        "arrive": BarrierOp.ARRIVE,
        "try_wait": BarrierOp.WAIT,
        "test_wait": BarrierOp.WAIT,
    }
    roles = np.zeros(program.n_instructions, dtype=np.int8)
    for i, (op, opcode) in enumerate(program.opcodes()):
        if op == OpClass.MBARRIER:
            action = opcode.split(".")[1]
            if action not in actions:
                raise EngineError(f"{opcode}: the engine does not time this mbarrier operation")
            roles[i] = actions[action]
    return roles


def _async_roles(
    program: InstructionTable,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """Every instruction's ``AsyncOp``, for a ``wait_group N`` (named
    ``cp.async.wait_group.N`` or ``wgmma.wait_group.sync.aligned.N`` in the trace) its N,
    and the ``AsyncUnit`` whose groups it works on."""
    roles = np.zeros(program.n_instructions, dtype=np.int8)
    pending = np.zeros(program.n_instructions, dtype=np.int8)
    units = np.zeros(program.n_instructions, dtype=np.int8)
    for i, (op, opcode) in enumerate(program.opcodes()):
        parts = opcode.split(".")
        if parts[0] == "wgmma":
            units[i] = AsyncUnit.WGMMA
            roles[i], pending[i] = _wgmma_role(op, parts)
            continue
        if parts[:2] != ["cp", "async"] or op == OpClass.TENSOR_COPY:
            continue
        if op == OpClass.LD_GLOBAL:
            roles[i] = AsyncOp.OPERATION
        elif parts[2] == "commit_group":
            roles[i] = AsyncOp.COMMIT
        elif parts[2] == "wait_all":
            roles[i] = AsyncOp.COMMIT_AND_WAIT
        elif parts[2] == "wait_group":
            roles[i], pending[i] = AsyncOp.WAIT, _groups_left_pending(parts, 4)
    return roles, pending, units


def _groups_left_pending(parts: list[str], length: int) -> int:
    """The N of a ``wait_group N`` named in ``length`` dot-separated parts, its N last."""
    if len(parts) != length or not parts[-1].isdigit():
        raise EngineError(
            f"{'.'.join(parts)}: the trace does not say how many groups may stay "
            "pending (traced by an older gpusim): trace the kernel again"
        )
    if int(parts[-1]) >= ASYNC_GROUP_SLOTS:
        raise EngineError(
            f"{'.'.join(parts)}: the engine tracks at most {ASYNC_GROUP_SLOTS - 1} pending groups"
        )
    return int(parts[-1])


def _wgmma_role(op: OpClass, parts: list[str]) -> tuple[AsyncOp, int]:
    """A ``wgmma`` instruction's ``AsyncOp`` and wait count (``fence`` has no part)."""
    if op == OpClass.WGMMA:
        return AsyncOp.OPERATION, 0
    if parts[1] == "commit_group":
        return AsyncOp.COMMIT, 0
    if parts[1] == "wait_group":
        return AsyncOp.WAIT, _groups_left_pending(parts, 5)
    return AsyncOp.NONE, 0


def _issued(
    program: InstructionTable, record: CtaRecord, block_sizes: npt.NDArray[np.int64]
) -> int:
    """Warp instructions one CTA of a class issues: its visits times the (kept) block sizes."""
    visits = np.bincount(record.visit_block, minlength=program.n_blocks)
    return int(visits @ block_sizes)


_GLOBAL_CLASSES = (OpClass.LD_GLOBAL, OpClass.ST_GLOBAL, OpClass.ATOM_GLOBAL, OpClass.TENSOR_COPY)
_SHARED_CLASSES = (OpClass.LD_SHARED, OpClass.ST_SHARED, OpClass.ATOM_SHARED)


def _requested_bytes(
    program: InstructionTable, record: CtaRecord, op_classes: tuple[OpClass, ...]
) -> int:
    """Bytes one CTA's lanes request by the instructions of ``op_classes``."""
    chosen = np.isin(program.op_class, op_classes)
    return int(record.active_lanes[chosen] @ program.bytes_per_lane[chosen])


class _Streams(NamedTuple):
    """Every warp stream's visits (``EngineProgram``'s fields of these names)."""

    visit_ptr: npt.NDArray[np.int64]
    visit_bb: npt.NDArray[np.int32]
    visit_mask: npt.NDArray[np.uint32]


class _Loops(NamedTuple):
    """Every stream's steady loop (``EngineProgram``'s fields of these names)."""

    loop_start: npt.NDArray[np.int64]
    loop_period: npt.NDArray[np.int64]
    loop_count: npt.NDArray[np.int64]
    loop_execs: npt.NDArray[np.int64]


class _Runs(NamedTuple):
    """Address runs by (stream, memory slot) (``EngineProgram``'s fields of these names)."""

    run_ptr: npt.NDArray[np.int64]
    run_exec: npt.NDArray[np.int64]
    run_count: npt.NDArray[np.int64]
    run_stride: npt.NDArray[np.int64]
    run_mask: npt.NDArray[np.uint32]
    run_base: npt.NDArray[np.int64]


def _loops(
    streams: _Streams,
    bb_start: npt.NDArray[np.int32],
    mem_slot: npt.NDArray[np.int32],
    mem_slots: int,
) -> _Loops:
    """Each stream's steady loop, and its memory executions per period."""
    ptr, blocks, masks = streams
    found = []
    for stream in range(ptr.size - 1):
        span = slice(ptr[stream], ptr[stream + 1])
        loop = steady_loop(blocks[span], masks[span])
        found.append(
            (loop, executions_per_period(loop, blocks[span], bb_start, mem_slot, mem_slots))
        )
    return _Loops(
        loop_start=np.array([loop.start for loop, _ in found], dtype=np.int64),
        loop_period=np.array([loop.period for loop, _ in found], dtype=np.int64),
        loop_count=np.array([loop.count for loop, _ in found], dtype=np.int64),
        loop_execs=np.stack([executions for _, executions in found]).astype(np.int64),
    )


def _ragged(
    offsets: npt.NDArray[np.int64], values: npt.NDArray[np.int32], rows: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The ragged lists of ``rows``, in that order."""
    lengths = (offsets[rows + 1] - offsets[rows]).astype(np.int64)
    parts = [values[offsets[i] : offsets[i + 1]] for i in rows]
    flat = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, dtype=np.int32)
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), flat


def _streams(trace: KernelTrace, nonempty_block: npt.NDArray[np.bool_]) -> _Streams:
    """Every class's warp streams, one after another, without visits to emptied blocks."""
    blocks, masks, lengths = [], [], []
    for cta_class in trace.classes:
        record = cta_class.record
        for warp in range(record.n_warps):
            visit_block, visit_mask = record.warp_visits(warp)
            keep = nonempty_block[visit_block]
            blocks.append(visit_block[keep])
            masks.append(visit_mask[keep])
            lengths.append(int(keep.sum()))
    return _Streams(
        visit_ptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        visit_bb=np.concatenate(blocks).astype(np.int32),
        visit_mask=np.concatenate(masks).astype(np.uint32),
    )


def _runs(trace: KernelTrace, mem_slot: npt.NDArray[np.int32], mem_slots: int) -> _Runs:
    """Address runs grouped by (stream, memory slot), streams numbered class-major."""
    ptr_counts: list[npt.NDArray[np.int64]] = []
    columns: dict[str, list[npt.NDArray[np.generic]]] = {
        name: [] for name in ("first", "count", "stride", "mask", "base")
    }
    for cta_class in trace.classes:
        record = cta_class.record
        slot = mem_slot[record.run_instr]
        keep = slot >= 0
        key = record.run_warp[keep].astype(np.int64) * mem_slots + slot[keep]
        order = np.lexsort((record.run_first[keep], key))
        ptr_counts.append(np.bincount(key, minlength=record.n_warps * mem_slots))
        columns["first"].append(record.run_first[keep][order])
        columns["count"].append(record.run_count[keep][order])
        columns["stride"].append(record.run_stride_bytes[keep][order])
        columns["mask"].append(record.run_mask[keep][order])
        columns["base"].append(record.run_base[keep][order].view(np.int64))
    ptr = np.concatenate([[0], np.cumsum(np.concatenate(ptr_counts))]).astype(np.int64)
    return _Runs(
        run_ptr=ptr,
        run_exec=np.concatenate(columns["first"]).astype(np.int64),
        run_count=np.concatenate(columns["count"]).astype(np.int64),
        run_stride=np.concatenate(columns["stride"]).astype(np.int64),
        run_mask=np.concatenate(columns["mask"]).astype(np.uint32),
        run_base=np.concatenate(columns["base"]).reshape(-1, 32).astype(np.int64),
    )


def costs_of(trace: KernelTrace, gpu: GpuSpec, sass: SassCosting | None = None) -> list[Cost]:
    """The cost of every static instruction of ``trace`` on ``gpu``: from the SASS it
    stands for where ``sass`` maps it, else the PTX heuristics (``instruction_cost``)."""
    program = trace.program
    costs = [instruction_cost(gpu, op, opcode) for op, opcode in program.opcodes()]
    if sass is None:
        return costs
    return [
        sass_true_cost(gpu, cost, float(sass.pipe_instructions[i]), float(sass.slots[i]))
        if sass.mapped[i]
        else cost
        for i, cost in enumerate(costs)
    ]


def _sass_costed_fraction(
    trace: KernelTrace, sass: SassCosting | None, kept: npt.NDArray[np.bool_]
) -> float:
    """The share of the grid's executed (kept) PTX instructions costed from SASS."""
    if sass is None:
        return 0.0
    program = trace.program
    executed = np.zeros(program.n_instructions)
    for cta_class in trace.classes:
        executed += cta_class.n_ctas * program.issues_per_instruction(cta_class.record.visit_block)
    executed *= kept
    total = float(executed.sum())
    return float(executed[sass.mapped].sum()) / total if total > 0 else 0.0
