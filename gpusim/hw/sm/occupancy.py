"""How many CTAs of a kernel fit on one SM: the CUDA occupancy rules.

The rules are those of NVIDIA's occupancy calculator for compute capability 7.0 and later:
registers are given to warps in units (``register_allocation_unit`` per warp, warps in groups
of ``warp_allocation_granularity``), shared memory to CTAs in units of
``shared_allocation_unit_bytes`` after the runtime's per-CTA reservation, and warps, threads
and CTAs per SM are capped. A kernel that fits zero CTAs is a ``KernelError`` that says which
limit it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpusim.errors import KernelError
from gpusim.spec.gpu import WARP_SIZE_THREADS, GpuSpec

Limiter = Literal["warps", "ctas", "registers", "shared_memory"]


@dataclass(frozen=True)
class Occupancy:
    """CTAs per SM and what limits them, for one kernel launch on one GPU."""

    ctas_per_sm: int
    warps_per_cta: int
    limiter: Limiter
    limits: dict[Limiter, int]
    """CTAs per SM allowed by each resource on its own."""
    shared_bytes_per_cta: int
    """Shared memory one CTA takes, reservation and allocation rounding included."""

    @property
    def warps_per_sm(self) -> int:
        """Resident warps per SM at full occupancy."""
        return self.ctas_per_sm * self.warps_per_cta

    def fraction(self, gpu: GpuSpec) -> float:
        """Theoretical occupancy: resident warps over the SM's maximum."""
        return self.warps_per_sm / gpu.sm.max_warps


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def occupancy(
    gpu: GpuSpec, *, threads_per_cta: int, registers_per_thread: int, shared_bytes_per_cta: int
) -> Occupancy:
    """CTAs of this shape that fit on one SM of ``gpu``, by the CUDA rules."""
    sm = gpu.sm
    if threads_per_cta <= 0 or threads_per_cta > sm.max_threads_per_cta:
        raise KernelError(
            f"block: {threads_per_cta} threads per CTA, {gpu.name} allows 1 to "
            f"{sm.max_threads_per_cta}"
        )
    if registers_per_thread > sm.max_registers_per_thread:
        raise KernelError(
            f"registers: {registers_per_thread} per thread, {gpu.name} allows at most "
            f"{sm.max_registers_per_thread}"
        )
    if shared_bytes_per_cta > sm.shared_bytes_per_cta:
        raise KernelError(
            f"shared memory: {shared_bytes_per_cta} bytes per CTA, {gpu.name} allows at most "
            f"{sm.shared_bytes_per_cta}"
        )
    warps_per_cta = -(-threads_per_cta // WARP_SIZE_THREADS)
    registers_per_warp = _round_up(
        max(registers_per_thread, 1) * WARP_SIZE_THREADS, sm.register_allocation_unit
    )
    warps_by_registers = sm.registers // registers_per_warp
    warps_by_registers -= warps_by_registers % sm.warp_allocation_granularity
    shared_taken = _round_up(
        shared_bytes_per_cta + sm.reserved_shared_bytes_per_cta, sm.shared_allocation_unit_bytes
    )
    limits: dict[Limiter, int] = {
        "warps": min(sm.max_warps // warps_per_cta, sm.max_threads // threads_per_cta),
        "ctas": sm.max_ctas,
        "registers": warps_by_registers // warps_per_cta,
        "shared_memory": sm.shared_bytes // shared_taken if shared_taken else sm.max_ctas,
    }
    limiter = min(limits, key=lambda name: limits[name])
    ctas = limits[limiter]
    if ctas == 0:
        raise KernelError(
            f"{limiter.replace('_', ' ')}: not one CTA of {threads_per_cta} threads, "
            f"{registers_per_thread} registers per thread and {shared_bytes_per_cta} bytes "
            f"of shared memory fits on an SM of {gpu.name}"
        )
    return Occupancy(
        ctas_per_sm=ctas,
        warps_per_cta=warps_per_cta,
        limiter=limiter,
        limits=limits,
        shared_bytes_per_cta=shared_taken,
    )
