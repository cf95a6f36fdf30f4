"""The hardware description of one GPU: SMs, tensor cores, L1/shared, L2, HBM and its links.

Every figure is a frozen, unit-suffixed field validated on construction. Presets
(``gpusim/spec/presets/*.toml``) give each figure its published source; what the engine does
with a figure is written in the engine, never here.
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import Field, model_validator

from gpusim.schema import FrozenModel
from gpusim.spec.links import NvlinkSpec, PcieSpec
from gpusim.units import GIB, MIB

WARP_SIZE_THREADS = 32
"""Threads per warp on every NVIDIA GPU gpusim models."""

REPLACEMENT_POLICIES: tuple[str, ...] = ("lru", "srrip")
"""Cache replacement policies a cache level may name (docs/engine.md says what each does):
``lru`` least recently used; ``srrip`` static re-reference interval prediction (2-bit)."""

MAX_SECTORS_PER_LINE = 64
"""Sectors a cache line may hold: the engine keeps a line's valid and dirty sectors as the
bits of one 64-bit word."""


class LatencySpec(FrozenModel):
    """Dependent-issue latencies of the arithmetic pipes, in SM cycles."""

    int_alu_cycles: int = Field(gt=0, le=1000, description="IADD3, logic, shift, compare, move")
    int_mul_cycles: int = Field(gt=0, le=1000, description="IMAD (integer multiply-add)")
    fp32_cycles: int = Field(gt=0, le=1000, description="FADD, FMUL, FFMA")
    fp16_cycles: int = Field(gt=0, le=1000, description="HADD2, HMUL2, HFMA2")
    fp64_cycles: int = Field(gt=0, le=1000, description="DADD, DMUL, DFMA")
    sfu_cycles: int = Field(
        gt=0, le=1000, description="MUFU (reciprocal, sqrt, exp, ...) and conversions"
    )


class SmSpec(FrozenModel):
    """A streaming multiprocessor: its count, clock, occupancy limits and pipes."""

    count: int = Field(gt=0, le=2048, description="SMs on the GPU")
    clock_hz: float = Field(ge=1e8, le=2e10, description="SM clock under load")
    warp_schedulers: int = Field(gt=0, le=16, description="sub-partitions, one warp scheduler each")
    max_warps: int = Field(gt=0, le=1024, description="resident warps per SM")
    max_threads: int = Field(gt=0, le=32768, description="resident threads per SM")
    max_ctas: int = Field(gt=0, le=512, description="resident CTAs (thread blocks) per SM")
    max_threads_per_cta: int = Field(gt=0, le=16384, description="threads per CTA at most")
    registers: int = Field(gt=0, le=1 << 20, description="32-bit registers per SM")
    max_registers_per_thread: int = Field(gt=0, le=4096, description="registers per thread at most")
    register_allocation_unit: int = Field(
        gt=0, le=4096, description="registers are given to a warp in multiples of this many"
    )
    warp_allocation_granularity: int = Field(
        gt=0, le=64, description="warps are given register space in groups of this many"
    )
    shared_bytes: int = Field(
        gt=0, le=4 * MIB, description="shared memory per SM at the largest carve-out"
    )
    shared_bytes_per_cta: int = Field(gt=0, le=4 * MIB, description="shared memory per CTA at most")
    shared_allocation_unit_bytes: int = Field(
        gt=0, le=4096, description="shared memory is given to a CTA in multiples of this many bytes"
    )
    reserved_shared_bytes_per_cta: int = Field(
        ge=0, le=65536, description="shared memory the CUDA runtime reserves in every CTA"
    )
    fp32_lanes: int = Field(gt=0, le=2048, description="FP32 lanes per SM")
    int32_lanes: int = Field(gt=0, le=2048, description="INT32 lanes per SM")
    fp64_lanes: int = Field(gt=0, le=2048, description="FP64 lanes per SM")
    sfu_lanes: int = Field(gt=0, le=2048, description="special-function (MUFU) lanes per SM")
    ldst_lanes: int = Field(gt=0, le=2048, description="load/store lanes per SM")
    latency: LatencySpec

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.max_threads > self.max_warps * WARP_SIZE_THREADS:
            raise ValueError(
                f"max_threads: {self.max_threads} threads do not fit in "
                f"max_warps={self.max_warps} warps of {WARP_SIZE_THREADS}"
            )
        if self.shared_bytes_per_cta > self.shared_bytes:
            raise ValueError(
                f"shared_bytes_per_cta: must be <= shared_bytes ({self.shared_bytes}), "
                f"got {self.shared_bytes_per_cta}"
            )
        for name in ("fp32_lanes", "int32_lanes", "fp64_lanes", "sfu_lanes", "ldst_lanes"):
            lanes = getattr(self, name)
            if lanes % self.warp_schedulers:
                raise ValueError(
                    f"{name}: must split evenly over warp_schedulers "
                    f"({self.warp_schedulers}), got {lanes}"
                )
        return self


class MmaSyncSpec(FrozenModel):
    """The legacy warp-level ``mma.sync`` per instruction family: the share of the dense
    tensor peak it sustains and its issue-to-result latency (SM cycles).

    Families: fp16 = ``m16n8k16`` with f16 or bf16 inputs; tf32 = ``m16n8k8``; int8 =
    ``m16n8k32`` with 8-bit inputs (s8/u8, and e4m3/e5m2 where the GPU has them).
    """

    fp16_fraction_of_peak: float = Field(
        ge=0.01, le=1, description="m16n8k16 f16/bf16 rate over the fp16/bf16 dense peak"
    )
    tf32_fraction_of_peak: float = Field(
        ge=0.01, le=1, description="m16n8k8 tf32 rate over the tf32 dense peak"
    )
    int8_fraction_of_peak: float = Field(
        ge=0.01, le=1, description="m16n8k32 8-bit rate over the int8/fp8 dense peak"
    )
    fp16_latency_cycles: int = Field(gt=0, le=1000, description="m16n8k16 f16/bf16 issue-to-result")
    tf32_latency_cycles: int = Field(gt=0, le=1000, description="m16n8k8 tf32 issue-to-result")
    int8_latency_cycles: int = Field(gt=0, le=1000, description="m16n8k32 8-bit issue-to-result")


class WgmmaSpec(FrozenModel):
    """Hopper's warpgroup ``wgmma.mma_async`` per input family: the share of the dense
    tensor peak it sustains with both operands in shared memory. Its latency is its time
    on the tensor cores at that rate (Luo et al. 2024 T8 measure 128 cycles for every type
    at N = 256: the instruction's FLOPs at the dense peak), so it has no field of its own.

    Families: fp16 = ``.f16`` and ``.bf16`` inputs (k16); fp8 = ``.e4m3`` / ``.e5m2`` (k32).
    """

    fp16_fraction_of_peak: float = Field(
        ge=0.01, le=1, description="wgmma f16/bf16 -> f32 rate over the fp16/bf16 dense peak"
    )
    fp8_fraction_of_peak: float = Field(
        ge=0.01, le=1, description="wgmma e4m3/e5m2 -> f32 rate over the fp8 dense peak"
    )


class TensorCoreSpec(FrozenModel):
    """Dense tensor-core throughput per SM per cycle by input type (0 where unsupported)."""

    fp16_flops_per_cycle_per_sm: int = Field(
        ge=0, le=1 << 17, description="fp16 in, fp32 accumulate"
    )
    bf16_flops_per_cycle_per_sm: int = Field(
        ge=0, le=1 << 17, description="bf16 in, fp32 accumulate"
    )
    tf32_flops_per_cycle_per_sm: int = Field(
        ge=0, le=1 << 17, description="tf32 in, fp32 accumulate"
    )
    fp8_flops_per_cycle_per_sm: int = Field(ge=0, le=1 << 17, description="fp8 in, fp32 accumulate")
    int8_ops_per_cycle_per_sm: int = Field(
        ge=0, le=1 << 17, description="int8 in, int32 accumulate"
    )
    fp64_flops_per_cycle_per_sm: int = Field(ge=0, le=1 << 17, description="fp64 matrix (DMMA)")
    low_precision_clock_hz: float = Field(
        ge=1e8,
        le=2e10,
        description="clock at which the fp16/bf16/tf32/fp8/int8 peaks are rated "
        "(NVIDIA rates H100 at 1830 MHz, below the SM boost clock); fp64 runs at the SM clock",
    )
    mma_sync: MmaSyncSpec
    wgmma: WgmmaSpec | None = Field(
        default=None, description="wgmma's rates; none before compute capability 9.0"
    )


def _check_cache(line_bytes: int, sector_bytes: int, replacement_policy: str) -> None:
    """The checks every cache level shares: whole sectors, few enough, a known policy."""
    if line_bytes % sector_bytes:
        raise ValueError(
            f"line_bytes: must be a multiple of sector_bytes ({sector_bytes}), got {line_bytes}"
        )
    if line_bytes // sector_bytes > MAX_SECTORS_PER_LINE:
        raise ValueError(
            f"line_bytes: at most {MAX_SECTORS_PER_LINE} sectors of sector_bytes "
            f"({sector_bytes}) per line, got {line_bytes}"
        )
    if replacement_policy not in REPLACEMENT_POLICIES:
        known = ", ".join(REPLACEMENT_POLICIES)
        raise ValueError(
            f"replacement_policy: unknown policy {replacement_policy!r} (known: {known})"
        )


class L1Spec(FrozenModel):
    """The per-SM SRAM shared by the L1 data cache and shared memory."""

    size_bytes: int = Field(gt=0, le=8 * MIB, description="L1 + shared memory capacity per SM")
    line_bytes: int = Field(gt=0, le=2048, description="cache line (tag) size")
    sector_bytes: int = Field(gt=0, le=512, description="sector (fill) size")
    associativity: int = Field(gt=0, le=1024, description="ways per set")
    latency_cycles: int = Field(gt=0, le=1000, description="load-to-use latency of an L1 hit")
    bandwidth_bytes_per_cycle: int = Field(gt=0, le=2048, description="L1 bandwidth per SM")
    max_misses_in_flight: int = Field(gt=0, le=8192, description="outstanding sector misses per SM")
    shared_latency_cycles: int = Field(
        gt=0, le=1000, description="load-to-use latency of shared memory"
    )
    shared_banks: int = Field(gt=0, le=512, description="shared-memory banks")
    shared_bank_width_bytes: int = Field(gt=0, le=64, description="bytes per bank per cycle")
    replacement_policy: str = Field(
        default="lru", description="which line a miss replaces: " + ", ".join(REPLACEMENT_POLICIES)
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_cache(self.line_bytes, self.sector_bytes, self.replacement_policy)
        return self


class L2Spec(FrozenModel):
    """The L2 cache shared by all SMs, split into address-interleaved slices."""

    size_bytes: int = Field(gt=0, le=GIB, description="L2 capacity")
    slices: int = Field(gt=0, le=1024, description="address-interleaved slices")
    associativity: int = Field(gt=0, le=1024, description="ways per set")
    line_bytes: int = Field(gt=0, le=2048, description="cache line (tag) size")
    sector_bytes: int = Field(gt=0, le=512, description="sector (fill) size")
    latency_cycles: int = Field(
        gt=0, le=10000, description="load-to-use latency of an L2 hit, SM cycles"
    )
    bandwidth_bytes_per_cycle: int = Field(
        gt=0, le=65536, description="sustained SM<->L2 bandwidth of the whole L2 per SM cycle"
    )
    replacement_policy: str = Field(
        default="lru", description="which line a miss replaces: " + ", ".join(REPLACEMENT_POLICIES)
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_cache(self.line_bytes, self.sector_bytes, self.replacement_policy)
        set_bytes = self.slices * self.associativity * self.line_bytes
        if self.size_bytes % set_bytes:
            raise ValueError(
                f"size_bytes: must be a whole number of sets (slices x associativity x "
                f"line_bytes = {set_bytes} bytes), got {self.size_bytes}"
            )
        return self


class DramSpec(FrozenModel):
    """Device memory (HBM)."""

    capacity_bytes: int = Field(gt=0, le=16 * 1024 * GIB, description="device memory capacity")
    bandwidth_bytes_per_s: float = Field(ge=1e10, le=1e14, description="peak bandwidth (datasheet)")
    efficiency: float = Field(
        ge=0.01, le=1, description="sustained fraction of peak for a streaming read+write"
    )
    latency_cycles: int = Field(
        gt=0, le=10000, description="load-to-use latency of a miss, SM cycles"
    )
    channels: int = Field(gt=0, le=1024, description="independent memory channels")


_COMPUTE_CAPABILITY = re.compile(r"\d+\.\d+")


class GpuSpec(FrozenModel):
    """One GPU: its SMs, memory hierarchy and links. Build variants with ``with_overrides``."""

    name: str = Field(min_length=1, description="marketing name of the part")
    compute_capability: str = Field(description='CUDA compute capability, e.g. "9.0"')
    launch_overhead_s: float = Field(
        ge=0, le=1e-3, description="time from one kernel launch to the next when back to back"
    )
    sm: SmSpec
    tensor: TensorCoreSpec
    l1: L1Spec
    l2: L2Spec
    dram: DramSpec
    pcie: PcieSpec
    nvlink: NvlinkSpec

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not _COMPUTE_CAPABILITY.fullmatch(self.compute_capability):
            raise ValueError(
                f'compute_capability: must look like "9.0", got {self.compute_capability!r}'
            )
        if self.sm.shared_bytes > self.l1.size_bytes:
            raise ValueError(
                f"sm.shared_bytes: must be <= l1.size_bytes ({self.l1.size_bytes}), "
                f"got {self.sm.shared_bytes}"
            )
        return self

    @property
    def compute_capability_tuple(self) -> tuple[int, int]:
        """The compute capability as ``(major, minor)``, as compilers take it."""
        major, minor = self.compute_capability.split(".")
        return int(major), int(minor)
