"""What a kernel simulation returns: time, throughput, utilisation, stalls, and why.

A ``KernelResult`` is built once from the engine's counters and handed to the caller; no
component keeps results on itself. ``timeline`` is present only when it was asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Mode = Literal["fast", "detailed"]


@dataclass(frozen=True)
class CtaSpan:
    """One CTA's stay on an SM."""

    sm: int
    cta: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class KernelResult:
    """The simulated run of one kernel launch on one GPU."""

    kernel: str
    gpu: str
    mode: Mode
    time_s: float
    """Launch overhead plus execution: what back-to-back launches cost each."""
    execution_s: float
    """From the first CTA's start to the last CTA's end."""
    launch_overhead_s: float
    cycles: float
    """``time_s`` in SM cycles."""
    ctas: int
    ctas_per_sm: int
    waves: float
    occupancy_limiter: str
    theoretical_occupancy: float
    achieved_occupancy: float
    warp_instructions: float
    ipc: float
    """Warp instructions issued per SM cycle, averaged over the SMs."""
    issue_slot_utilisation: float
    """Issued instructions over scheduler slots (SMs x sub-partitions x cycles)."""
    pipe_utilisation: dict[str, float]
    """Busy fraction of each pipe, over all sub-partitions."""
    stall_fractions: dict[str, float]
    """Share of warp stall time by reason (sums to 1 when any stall happened)."""
    l1_hit_rate: float
    l2_hit_rate: float
    global_bytes: float
    """Bytes the kernel's lanes requested from global memory."""
    shared_bytes: float
    """Bytes the kernel's lanes requested from shared memory; with ``global_bytes``, the
    traffic at L1 (shared memory is the same SRAM and shares its bandwidth)."""
    l2_bytes: float
    """Bytes that crossed between the SMs and L2 (sectors missing L1, and stores)."""
    dram_read_bytes: float
    dram_write_bytes: float
    dram_bandwidth_bytes_per_s: float
    dram_utilisation: float
    """Achieved DRAM bandwidth over the sustained peak (``efficiency`` x datasheet)."""
    flops: float
    flops_per_s: float
    shared_bank_conflict_factor: float
    """Shared-memory wavefronts per request (1.0: no bank conflicts)."""
    bottleneck: str
    simulated_sms: int
    sass_costed_fraction: float = 0.0
    """Share of the executed instructions costed from the kernel's SASS (docs/engine.md);
    the rest by the PTX heuristics."""
    timeline: tuple[CtaSpan, ...] | None = field(default=None, repr=False)

    @property
    def tflops(self) -> float:
        """Achieved TFLOP/s."""
        return self.flops_per_s / 1e12

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON (the timeline as a list of spans when present)."""
        data = asdict(self)
        data["tflops"] = self.tflops
        data["dram_bytes"] = self.dram_read_bytes + self.dram_write_bytes
        return data
