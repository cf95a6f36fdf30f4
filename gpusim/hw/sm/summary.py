"""From a finished run's counters to the ``KernelResult`` the caller gets."""

from __future__ import annotations

from collections.abc import Sequence

from gpusim.hw.sm.bottleneck import describe_bottleneck
from gpusim.hw.sm.counters import Counters, share
from gpusim.hw.sm.launch import CtaPlacement
from gpusim.hw.sm.memory import (
    C_DRAM_READ_BYTES,
    C_DRAM_WRITE_BYTES,
    C_L1_HIT_SECTORS,
    C_L1_MISS_SECTORS,
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    C_L2_STORE_SECTORS,
    C_SHARED_REQUESTS,
    C_SHARED_WAVEFRONTS,
)
from gpusim.hw.sm.program import Pipe
from gpusim.hw.sm.result import CtaSpan, KernelResult
from gpusim.hw.sm.stalls import Stall
from gpusim.units import ns_to_s


def kernel_result(
    placement: CtaPlacement,
    counters: Counters,
    sector_bytes: int,
    start_ns: float,
    end_ns: float,
    spans: Sequence[CtaSpan] | None,
) -> KernelResult:
    """The result of the launch placed as ``placement``, which ran from ``start_ns`` (after
    the launch overhead) to ``end_ns`` with these ``counters`` (skipped work included);
    ``spans``: the timeline, if asked for."""
    gpu, program = placement.gpu, placement.program
    issued = counters.sm.issued.sum(axis=0)
    pipe_busy = counters.sm.pipe_busy_ns.sum(axis=0)
    stall_ns = counters.sm.stall_ns.sum(axis=0)
    memory = counters.memory_totals()
    cycle_ns = placement.params.cycle_ns
    execution_ns = end_ns - start_ns
    execution_s = ns_to_s(execution_ns)
    sms = placement.simulated_sms
    slots_ns = execution_ns * sms * gpu.sm.warp_schedulers
    stall_total = float(stall_ns.sum())
    dram_bytes = float(memory[C_DRAM_READ_BYTES] + memory[C_DRAM_WRITE_BYTES])
    dram_bandwidth = dram_bytes / execution_s if execution_s else 0.0
    sustained = gpu.dram.bandwidth_bytes_per_s * gpu.dram.efficiency
    total_flops = program.flops
    pipe_utilisation = {
        pipe.name.lower(): float(pipe_busy[pipe]) / slots_ns if slots_ns else 0.0 for pipe in Pipe
    }
    stall_fractions = {
        stall.name.lower(): float(stall_ns[stall]) / stall_total if stall_total else 0.0
        for stall in Stall
    }
    warp_ns = float(counters.sm.warp_ns.sum())
    achieved = warp_ns / (execution_ns * sms * gpu.sm.max_warps) if execution_ns else 0.0
    dram_utilisation = dram_bandwidth / sustained
    cycles = execution_ns / cycle_ns
    l2_sectors = memory[C_L2_HIT_SECTORS] + memory[C_L2_MISS_SECTORS] + memory[C_L2_STORE_SECTORS]
    return KernelResult(
        kernel=program.name,
        gpu=gpu.name,
        mode=placement.mode,
        time_s=ns_to_s(end_ns),
        execution_s=execution_s,
        launch_overhead_s=gpu.launch_overhead_s,
        cycles=end_ns / cycle_ns,
        ctas=program.cta_count,
        ctas_per_sm=placement.occupancy.ctas_per_sm,
        waves=program.cta_count / (placement.occupancy.ctas_per_sm * gpu.sm.count),
        occupancy_limiter=placement.occupancy.limiter,
        theoretical_occupancy=placement.occupancy.fraction(gpu),
        achieved_occupancy=achieved,
        warp_instructions=float(program.warp_instructions),
        ipc=float(issued.sum()) / (cycles * sms) if cycles else 0.0,
        issue_slot_utilisation=float(issued.sum()) * cycle_ns / slots_ns if slots_ns else 0.0,
        pipe_utilisation=pipe_utilisation,
        stall_fractions=stall_fractions,
        l1_hit_rate=share(memory[C_L1_HIT_SECTORS], memory[C_L1_MISS_SECTORS]),
        l2_hit_rate=share(memory[C_L2_HIT_SECTORS], memory[C_L2_MISS_SECTORS]),
        global_bytes=float(program.global_bytes),
        shared_bytes=float(program.shared_bytes),
        l2_bytes=float(l2_sectors) * sector_bytes,
        dram_read_bytes=float(memory[C_DRAM_READ_BYTES]),
        dram_write_bytes=float(memory[C_DRAM_WRITE_BYTES]),
        dram_bandwidth_bytes_per_s=dram_bandwidth,
        dram_utilisation=dram_utilisation,
        flops=total_flops,
        flops_per_s=total_flops / execution_s if execution_s else 0.0,
        shared_bank_conflict_factor=_ratio(memory[C_SHARED_WAVEFRONTS], memory[C_SHARED_REQUESTS]),
        bottleneck=describe_bottleneck(
            pipe_utilisation, stall_fractions, dram_utilisation, achieved
        ),
        simulated_sms=sms,
        sass_costed_fraction=program.sass_costed_fraction,
        timeline=tuple(sorted(spans, key=lambda s: (s.start_s, s.sm)))
        if spans is not None
        else None,
    )


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0
