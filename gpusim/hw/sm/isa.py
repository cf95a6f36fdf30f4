"""What a PTX instruction costs the SM: its pipe, result latency, issue interval, and how
many scheduler slots it takes once ptxas has turned it into SASS.

Traces are PTX, but the hardware issues SASS. The differences that matter for time are
folded in here, per instruction class, and nowhere else:

- 64-bit integer arithmetic (Numba's index maths) becomes two 32-bit SASS instructions
  (IADD3 + IADD3.X, IMAD.WIDE + IMAD.X): two issue slots, the carry chain doubles latency.
- Integer division and IEEE float division are SASS subroutines of about twenty and ten
  instructions (reciprocal estimate plus Newton steps).
- ``ld.param`` disappears: kernel parameters are constant-bank operands of the SASS
  instructions that use them, so it costs no slot and no latency.

Throughput comes from the spec: a pipe with ``L`` lanes per sub-partition holds a warp
instruction for ``32 / L`` cycles; a tensor-core ``mma`` holds the tensor pipe for its
FLOPs over the sub-partition's share of the rate ``mma.sync`` sustains: the dense peak at
``low_precision_clock_hz`` times its instruction family's measured share
(``tensor.mma_sync``; on Hopper only ``wgmma`` reaches the peak).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gpusim.cuda.trace import OpClass
from gpusim.errors import EngineError
from gpusim.hw.sm.program import MemKind, Pipe, Producer
from gpusim.spec.gpu import WARP_SIZE_THREADS, GpuSpec

INT_DIV_SLOTS = 20
"""SASS instructions of a 32/64-bit integer division or remainder subroutine."""
FP_DIV_SLOTS = 10
"""SASS instructions of an IEEE-rounded float division, square root or reciprocal."""
MMA_SHAPE = re.compile(r"\.m(\d+)n(\d+)k(\d+)")
"""The ``.mMnNkK`` shape of an ``mma`` or ``wgmma`` opcode."""
WARPS_PER_WARPGROUP = 4


@dataclass(frozen=True)
class Cost:
    """How one static instruction occupies a sub-partition."""

    pipe: Pipe
    latency_cycles: float
    issue_cycles: float
    """How long the pipe is held."""
    slots: float
    """Scheduler issue slots (SASS instructions); 0 for what ptxas folds away. Fractional
    where an instruction stands for part of a SASS instruction (``sass_true_cost``)."""
    producer: Producer
    mem: MemKind


def _pipe_cycles(gpu: GpuSpec, lanes_per_sm: int) -> float:
    lanes_per_subpartition = lanes_per_sm / gpu.sm.warp_schedulers
    return WARP_SIZE_THREADS / lanes_per_subpartition


def mma_flops_per_warp(opcode: str) -> int:
    """FLOPs of one warp-level ``mma`` (2 x m x n x k, from its ``.mMnNkK`` shape)."""
    shape = MMA_SHAPE.search(opcode)
    if shape is None:
        raise ValueError(f"mma opcode without an .mMnNkK shape: {opcode}")
    m, n, k = (int(extent) for extent in shape.groups())
    return 2 * m * n * k


def _mma_rate(gpu: GpuSpec, opcode: str) -> tuple[float, int]:
    """The FLOPs per SM cycle ``mma.sync`` sustains for ``opcode``'s input type, and its
    latency: the dense peak times the instruction family's sourced share of it
    (``tensor.mma_sync``), the low-precision peaks converted from their rated clock."""
    tensor, family = gpu.tensor, gpu.tensor.mma_sync
    clock_ratio = tensor.low_precision_clock_hz / gpu.sm.clock_hz
    if ".f64" in opcode and ".f16" not in opcode:
        # DMMA runs at the SM clock; no published latency of its own: the fp16 family's.
        return tensor.fp64_flops_per_cycle_per_sm, family.fp16_latency_cycles
    if ".tf32" in opcode:
        peak, share, latency = (
            tensor.tf32_flops_per_cycle_per_sm,
            family.tf32_fraction_of_peak,
            family.tf32_latency_cycles,
        )
    elif ".e4m3" in opcode or ".e5m2" in opcode:
        peak, share, latency = (
            tensor.fp8_flops_per_cycle_per_sm,
            family.int8_fraction_of_peak,
            family.int8_latency_cycles,
        )
    elif ".s8" in opcode or ".u8" in opcode:
        peak, share, latency = (
            tensor.int8_ops_per_cycle_per_sm,
            family.int8_fraction_of_peak,
            family.int8_latency_cycles,
        )
    else:
        dense = (
            tensor.bf16_flops_per_cycle_per_sm
            if ".bf16" in opcode
            else tensor.fp16_flops_per_cycle_per_sm
        )
        peak, share, latency = dense, family.fp16_fraction_of_peak, family.fp16_latency_cycles
    return peak * share * clock_ratio, latency


def pipe_interval_cycles(gpu: GpuSpec, pipe: Pipe) -> float:
    """Cycles one SASS instruction holds ``pipe`` of a sub-partition (not the tensor pipe,
    whose time follows each ``mma``'s FLOPs)."""
    lanes = {
        Pipe.INT: gpu.sm.int32_lanes,
        Pipe.FP32: gpu.sm.fp32_lanes,
        Pipe.FP64: gpu.sm.fp64_lanes,
        Pipe.SFU: gpu.sm.sfu_lanes,
        Pipe.LSU: gpu.sm.ldst_lanes,
    }
    return 1.0 if pipe not in lanes else _pipe_cycles(gpu, lanes[pipe])


def sass_true_cost(gpu: GpuSpec, ptx: Cost, pipe_instructions: float, slots: float) -> Cost:
    """The cost of a PTX instruction whose executions stand for ``pipe_instructions`` SASS
    instructions of its pipe and ``slots`` issue slots (``gpusim.cuda.sass``).

    Pipe, latency and what it waits on stay the PTX instruction's (its register
    dependences are the PTX's); the pipe is held by those SASS instructions, except an
    ``mma``'s tensor time, which follows its FLOPs whatever SASS shape carries them.
    """
    if ptx.pipe == Pipe.TENSOR:
        return replace(ptx, slots=slots)
    return replace(
        ptx, issue_cycles=pipe_instructions * pipe_interval_cycles(gpu, ptx.pipe), slots=slots
    )


def instruction_cost(gpu: GpuSpec, op_class: OpClass, opcode: str) -> Cost:
    """The cost of one PTX instruction of ``op_class`` (exact opcode ``opcode``) on ``gpu``."""
    if op_class is OpClass.MMA:
        return _mma_cost(gpu, opcode)
    if op_class is OpClass.WGMMA:
        return _wgmma_cost(gpu, opcode)
    lat = gpu.sm.latency
    l1 = gpu.l1
    int_pipe = _pipe_cycles(gpu, gpu.sm.int32_lanes)
    fp32_pipe = _pipe_cycles(gpu, gpu.sm.fp32_lanes)
    lsu = _pipe_cycles(gpu, gpu.sm.ldst_lanes)
    fixed, short, long_ = Producer.FIXED, Producer.SHORT, Producer.LONG
    none = MemKind.NONE
    int_latency = lat.int_mul_cycles if opcode.startswith(("mul", "mad")) else lat.int_alu_cycles
    table: dict[OpClass, Cost] = {
        OpClass.INT32: Cost(Pipe.INT, int_latency, int_pipe, 1, fixed, none),
        OpClass.INT64: Cost(Pipe.INT, 2 * int_latency, 2 * int_pipe, 2, fixed, none),
        OpClass.INT_DIV: Cost(
            Pipe.INT,
            INT_DIV_SLOTS * lat.int_alu_cycles,
            INT_DIV_SLOTS * int_pipe,
            INT_DIV_SLOTS,
            fixed,
            none,
        ),
        OpClass.FP32: Cost(Pipe.FP32, lat.fp32_cycles, fp32_pipe, 1, fixed, none),
        OpClass.FP16: Cost(Pipe.FP32, lat.fp16_cycles, fp32_pipe, 1, fixed, none),
        OpClass.FP64: Cost(
            Pipe.FP64, lat.fp64_cycles, _pipe_cycles(gpu, gpu.sm.fp64_lanes), 1, fixed, none
        ),
        OpClass.FP_DIV: Cost(
            Pipe.SFU,
            lat.sfu_cycles + FP_DIV_SLOTS * lat.fp32_cycles,
            _pipe_cycles(gpu, gpu.sm.sfu_lanes),
            FP_DIV_SLOTS,
            short,
            none,
        ),
        OpClass.SFU: Cost(
            Pipe.SFU, lat.sfu_cycles, _pipe_cycles(gpu, gpu.sm.sfu_lanes), 1, short, none
        ),
        OpClass.CONVERT: _convert_cost(gpu, opcode, int_pipe),
        OpClass.MOVE: Cost(Pipe.INT, lat.int_alu_cycles, int_pipe, 1, fixed, none),
        OpClass.SETP: Cost(Pipe.INT, lat.int_alu_cycles, int_pipe, 1, fixed, none),
        OpClass.PREDICATE: Cost(Pipe.INT, lat.int_alu_cycles, int_pipe, 1, fixed, none),
        OpClass.BRANCH: Cost(Pipe.CONTROL, 1, 1, 1, fixed, none),
        OpClass.BARRIER: Cost(Pipe.CONTROL, 1, 1, 1, fixed, none),
        OpClass.MEMBAR: Cost(Pipe.CONTROL, gpu.l2.latency_cycles, 1, 1, long_, none),
        OpClass.EXIT: Cost(Pipe.CONTROL, 1, 1, 1, fixed, none),
        OpClass.LD_GLOBAL: Cost(Pipe.LSU, l1.latency_cycles, lsu, 1, long_, MemKind.GLOBAL_LOAD),
        OpClass.ST_GLOBAL: Cost(Pipe.LSU, 1, lsu, 1, long_, MemKind.GLOBAL_STORE),
        OpClass.LD_LOCAL: Cost(Pipe.LSU, l1.latency_cycles, lsu, 1, long_, MemKind.GLOBAL_LOAD),
        OpClass.ST_LOCAL: Cost(Pipe.LSU, 1, lsu, 1, long_, MemKind.GLOBAL_STORE),
        OpClass.LD_SHARED: Cost(
            Pipe.LSU, l1.shared_latency_cycles, lsu, 1, short, MemKind.SHARED_LOAD
        ),
        OpClass.ST_SHARED: Cost(Pipe.LSU, 1, lsu, 1, short, MemKind.SHARED_STORE),
        OpClass.LD_PARAM: Cost(Pipe.CONTROL, 0, 0, 0, fixed, none),
        OpClass.ATOM_GLOBAL: Cost(
            Pipe.LSU, l1.latency_cycles, lsu, 1, long_, MemKind.GLOBAL_ATOMIC
        ),
        OpClass.ATOM_SHARED: Cost(
            Pipe.LSU, l1.shared_latency_cycles, lsu, 1, short, MemKind.SHARED_LOAD
        ),
        OpClass.SHFL: Cost(Pipe.LSU, l1.shared_latency_cycles, lsu, 1, short, none),
        # An mbarrier operation is an atomic on its shared-memory object; a TMA copy's
        # instruction only hands the box to the copy engine (``memory.tensor_copy``).
        OpClass.MBARRIER: Cost(Pipe.LSU, l1.shared_latency_cycles, lsu, 1, short, MemKind.MBARRIER),
        OpClass.TENSOR_COPY: Cost(Pipe.LSU, 1, lsu, 1, long_, MemKind.TENSOR_COPY),
    }
    return table[op_class]


def _convert_cost(gpu: GpuSpec, opcode: str, int_pipe: float) -> Cost:
    """Integer width changes are moves (or nothing); anything touching a float type goes
    through the conversion unit with the SFU's latency and rate."""
    types = opcode.split(".")[-2:]
    if all(t[0] in "us" for t in types if t):
        return Cost(
            Pipe.INT, gpu.sm.latency.int_alu_cycles, int_pipe, 1, Producer.FIXED, MemKind.NONE
        )
    return Cost(
        Pipe.SFU,
        gpu.sm.latency.sfu_cycles,
        _pipe_cycles(gpu, gpu.sm.sfu_lanes),
        1,
        Producer.SHORT,
        MemKind.NONE,
    )


def _mma_cost(gpu: GpuSpec, opcode: str) -> Cost:
    flops_per_cycle, latency = _mma_rate(gpu, opcode)
    per_subpartition = flops_per_cycle / gpu.sm.warp_schedulers
    flops = mma_flops_per_warp(opcode)
    # A GPU without tensor cores for this type emulates the mma on the FP32 pipe.
    if per_subpartition == 0:
        fp32_rate = 2 * gpu.sm.fp32_lanes / gpu.sm.warp_schedulers
        return Cost(Pipe.FP32, latency, flops / fp32_rate, 1, Producer.FIXED, MemKind.NONE)
    return Cost(Pipe.TENSOR, latency, flops / per_subpartition, 1, Producer.FIXED, MemKind.NONE)


def _wgmma_rate(gpu: GpuSpec, opcode: str) -> float:
    """The FLOPs per SM cycle ``wgmma`` sustains for ``opcode``'s input type: the dense
    peak at its rated clock times the family's sourced share of it (``tensor.wgmma``)."""
    tensor = gpu.tensor
    if tensor.wgmma is None:
        raise EngineError(f"{opcode}: the GPU has no wgmma (tensor.wgmma is not set)")
    clock_ratio = tensor.low_precision_clock_hz / gpu.sm.clock_hz
    if ".e4m3" in opcode or ".e5m2" in opcode:
        return tensor.fp8_flops_per_cycle_per_sm * tensor.wgmma.fp8_fraction_of_peak * clock_ratio
    if ".bf16" in opcode:
        peak = tensor.bf16_flops_per_cycle_per_sm
    elif ".f16" in opcode:
        peak = tensor.fp16_flops_per_cycle_per_sm
    else:
        raise EngineError(f"{opcode}: no sourced wgmma rate for its input type")
    return peak * tensor.wgmma.fp16_fraction_of_peak * clock_ratio


def _wgmma_cost(gpu: GpuSpec, opcode: str) -> Cost:
    """One warp's quarter of a warpgroup's wgmma: it holds its sub-partition's tensor pipe
    for its FLOPs at the sub-partition's share of the rate; it completes when that time
    ends (its group's wait sees it), so it has no result latency of its own."""
    per_subpartition = _wgmma_rate(gpu, opcode) / gpu.sm.warp_schedulers
    flops = mma_flops_per_warp(opcode) / WARPS_PER_WARPGROUP
    return Cost(Pipe.TENSOR, 0, flops / per_subpartition, 1, Producer.WGMMA, MemKind.NONE)
