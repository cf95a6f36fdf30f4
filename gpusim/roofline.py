"""Peaks derived from a spec, and the roofline lower bounds of gpusim's workloads.

A bound is the time no implementation can beat on the spec: the larger of its arithmetic at
the peak rate and its compulsory traffic at the peak bandwidth. It sits beside every
simulated result, so a prediction can always be read against what the hardware allows.
Peaks use datasheet rates (``dram.efficiency`` is not applied): a bound must never exceed
what a perfect kernel could do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from gpusim.spec.gpu import GpuSpec
from gpusim.spec.system import SystemSpec

Dtype = Literal["fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "int8"]
DTYPE_BYTES: dict[str, int] = {
    "fp64": 8,
    "fp32": 4,
    "tf32": 4,
    "fp16": 2,
    "bf16": 2,
    "fp8": 1,
    "int8": 1,
}
SIMT_DTYPES: tuple[Dtype, ...] = ("fp64", "fp32")
TENSOR_DTYPES: tuple[Dtype, ...] = ("fp64", "tf32", "fp16", "bf16", "fp8", "int8")


def simt_flops_per_s(gpu: GpuSpec, dtype: Dtype) -> float:
    """Peak FMA throughput of the CUDA cores (2 FLOPs per lane per cycle)."""
    lanes = {"fp32": gpu.sm.fp32_lanes, "fp64": gpu.sm.fp64_lanes}
    if dtype not in lanes:
        raise ValueError(f"dtype: SIMT peaks exist for {', '.join(lanes)}, got {dtype!r}")
    return 2.0 * lanes[dtype] * gpu.sm.count * gpu.sm.clock_hz


def tensor_flops_per_s(gpu: GpuSpec, dtype: Dtype) -> float:
    """Peak dense tensor-core throughput for inputs of ``dtype`` (0 where unsupported)."""
    tensor = gpu.tensor
    if dtype == "fp64":
        return tensor.fp64_flops_per_cycle_per_sm * gpu.sm.count * gpu.sm.clock_hz
    per_cycle = {
        "tf32": tensor.tf32_flops_per_cycle_per_sm,
        "fp16": tensor.fp16_flops_per_cycle_per_sm,
        "bf16": tensor.bf16_flops_per_cycle_per_sm,
        "fp8": tensor.fp8_flops_per_cycle_per_sm,
        "int8": tensor.int8_ops_per_cycle_per_sm,
    }
    if dtype not in per_cycle:
        raise ValueError(f"dtype: tensor-core peaks exist for {', '.join(TENSOR_DTYPES)}")
    return per_cycle[dtype] * gpu.sm.count * tensor.low_precision_clock_hz


def dram_bytes_per_s(gpu: GpuSpec) -> float:
    """Peak device-memory bandwidth."""
    return gpu.dram.bandwidth_bytes_per_s


def l2_bytes_per_s(gpu: GpuSpec) -> float:
    """Peak SM<->L2 bandwidth of the whole L2."""
    return gpu.l2.bandwidth_bytes_per_cycle * gpu.sm.clock_hz


def l1_bytes_per_s(gpu: GpuSpec) -> float:
    """Peak L1 bandwidth summed over all SMs."""
    return gpu.l1.bandwidth_bytes_per_cycle * gpu.sm.count * gpu.sm.clock_hz


def shared_bytes_per_s(gpu: GpuSpec) -> float:
    """Peak shared-memory bandwidth summed over all SMs (every bank busy every cycle)."""
    per_cycle = gpu.l1.shared_banks * gpu.l1.shared_bank_width_bytes
    return per_cycle * gpu.sm.count * gpu.sm.clock_hz


@dataclass(frozen=True)
class GpuPeaks:
    """The roofs of one GPU: arithmetic by unit and dtype, bandwidth by level, ridge points."""

    simt_flops_per_s: dict[str, float]
    tensor_flops_per_s: dict[str, float]
    dram_bytes_per_s: float
    dram_sustained_bytes_per_s: float
    l2_bytes_per_s: float
    l1_bytes_per_s: float
    shared_bytes_per_s: float
    ridge_flops_per_byte: dict[str, float]
    """Arithmetic intensity (FLOP per DRAM byte) where each roof meets the DRAM roof."""

    def to_dict(self) -> dict[str, object]:
        """Plain data, for JSON."""
        return asdict(self)


def gpu_peaks(gpu: GpuSpec) -> GpuPeaks:
    """Every roof of ``gpu``, derived from its spec."""
    simt: dict[str, float] = {dtype: simt_flops_per_s(gpu, dtype) for dtype in SIMT_DTYPES}
    tensor: dict[str, float] = {dtype: tensor_flops_per_s(gpu, dtype) for dtype in TENSOR_DTYPES}
    dram = dram_bytes_per_s(gpu)
    ridge = {f"simt_{d}": flops / dram for d, flops in simt.items()}
    ridge |= {f"tensor_{d}": flops / dram for d, flops in tensor.items() if flops > 0}
    return GpuPeaks(
        simt_flops_per_s=simt,
        tensor_flops_per_s=tensor,
        dram_bytes_per_s=dram,
        dram_sustained_bytes_per_s=dram * gpu.dram.efficiency,
        l2_bytes_per_s=l2_bytes_per_s(gpu),
        l1_bytes_per_s=l1_bytes_per_s(gpu),
        shared_bytes_per_s=shared_bytes_per_s(gpu),
        ridge_flops_per_byte=ridge,
    )


@dataclass(frozen=True)
class Bound:
    """A roofline lower bound: the larger of the compute time and the data-movement time."""

    compute_time_s: float
    movement_time_s: float
    flops: float
    bytes_moved: float
    limiter: Literal["compute", "memory", "network"]

    @property
    def time_s(self) -> float:
        """The bound itself."""
        return max(self.compute_time_s, self.movement_time_s)

    def to_dict(self) -> dict[str, object]:
        """Plain data, for JSON."""
        return {**asdict(self), "time_s": self.time_s}


def gemm_bound(gpu: GpuSpec, m: int, n: int, k: int, *, dtype: Dtype, tensor_cores: bool) -> Bound:
    """C[m,n] = A[m,k] @ B[k,n]: 2mnk FLOPs; A and B read once, C (fp32 accumulators for
    tensor cores, ``dtype`` otherwise) written once."""
    peak = tensor_flops_per_s(gpu, dtype) if tensor_cores else simt_flops_per_s(gpu, dtype)
    if peak == 0:
        raise ValueError(f"dtype: {gpu.name} has no {dtype} tensor cores")
    out_bytes = 4 if tensor_cores and DTYPE_BYTES[dtype] < 4 else DTYPE_BYTES[dtype]
    flops = 2.0 * m * n * k
    read_bytes = (m * k + k * n) * DTYPE_BYTES[dtype]
    return _kernel_bound(gpu, flops / peak, flops, read_bytes, m * n * out_bytes)


def copy_bound(gpu: GpuSpec, size_bytes: int) -> Bound:
    """Copy ``size_bytes`` from one device buffer to another: read once, written once."""
    return _kernel_bound(gpu, 0.0, 0.0, size_bytes, size_bytes)


def _kernel_bound(
    gpu: GpuSpec, compute_s: float, flops: float, read_bytes: int, write_bytes: int
) -> Bound:
    """The larger of the compute time and the data-movement time.

    Every byte passes through L2 at its bandwidth; DRAM sees the reads (a kernel starts
    with its inputs in DRAM) and the writes that do not fit in L2 (L2 writes back, and a
    kernel ends without waiting for what it still holds).
    """
    dram_bytes = read_bytes + max(0, write_bytes - gpu.l2.size_bytes)
    memory_s = max(
        dram_bytes / dram_bytes_per_s(gpu), (read_bytes + write_bytes) / l2_bytes_per_s(gpu)
    )
    limiter: Literal["compute", "memory"] = "compute" if compute_s >= memory_s else "memory"
    return Bound(compute_s, memory_s, flops, float(dram_bytes), limiter)


CollectiveKind = Literal["allreduce", "allgather", "reducescatter", "broadcast", "reduce"]
"""The collectives gpusim simulates, by their nccl-tests names."""


def collective_bound(
    system: SystemSpec,
    kind: CollectiveKind,
    algo: str,
    size_bytes: int,
    ranks: int,
    dtype: Dtype = "fp32",
) -> Bound:
    """Alpha-beta bound of collective ``kind`` by algorithm ``algo``, from the terms the
    algorithm states for itself (``CollectiveAlgorithm.terms`` in ``gpusim.collectives``).

    ``size_bytes`` follows nccl-tests: the buffer of each rank for all-reduce, broadcast and
    reduce; the whole gathered (or scattered) array for all-gather and reduce-scatter. The
    reduction's additions (``flops``, over all ranks) add no time: they are memory-bound and
    overlap the transfers. ``algo = "auto"`` (NCCL's choice): the least bound of the
    algorithms that can run here, which no choice beats. Raises ``CollectiveError`` for an
    unknown algorithm.
    """
    # The registry sits above this module (its algorithms import the types here), so it is
    # imported when a collective bound is asked for, not when this module is.
    from gpusim.collectives.registry import algorithm_candidates

    if ranks < 2:
        raise ValueError(f"ranks: a collective needs >= 2 ranks, got {ranks}")
    if ranks > system.gpu_count:
        raise ValueError(f"ranks: {system.name} has {system.gpu_count} GPUs, got {ranks}")
    terms = min(
        (
            entry.terms(system, size_bytes, ranks)
            for entry in algorithm_candidates(system, kind, algo, ranks)
        ),
        key=lambda candidate: candidate.time_s,
    )
    reduces = kind in ("allreduce", "reducescatter", "reduce")
    elements = size_bytes // DTYPE_BYTES[dtype]
    return Bound(
        compute_time_s=0.0,
        movement_time_s=terms.time_s,
        flops=float((ranks - 1) * elements) if reduces else 0.0,
        bytes_moved=terms.bytes_per_rank,
        limiter="network",
    )
