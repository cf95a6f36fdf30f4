"""Where the engine puts a kernel's CTAs before it runs them: the occupancy, the SMs
simulated, and which CTAs each of them runs (a ``CtaPlacement``).

Detailed mode simulates every SM, all taking the next CTA from one queue. Fast mode
simulates a few representative SMs spread over the GPU, each running every ``sm.count``-th
CTA from its position (the CTAs an SM gets when all progress in step) and standing for the
SMs up to the next representative's: its *shadow SMs*, whose L2 and HBM traffic is its own
shifted to their CTAs' addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpusim.hw.sm.occupancy import Occupancy, occupancy
from gpusim.hw.sm.program import EngineProgram
from gpusim.hw.sm.result import Mode
from gpusim.hw.sm.schedulers import scheduler_code
from gpusim.hw.sm.settings import FastModeSettings
from gpusim.hw.sm.state import CoreParams, ProgramArrays, program_arrays
from gpusim.spec.gpu import GpuSpec
from gpusim.units import KIB, cycles_to_ns

BARRIER_LATENCY_CYCLES = 2
"""Cycles from the last warp's arrival at bar.sync to the release of the CTA's warps."""
CARVEOUT_GRANULE_BYTES = 8 * KIB
"""The L1/shared split moves in steps of this size; L1 keeps what shared memory leaves."""


@dataclass(frozen=True)
class CtaPlacement:
    """The engine's placement of one launch's CTAs on SMs: the GPU, the program, the
    occupancy, the SMs simulated and the figures the core runs them with."""

    gpu: GpuSpec
    program: EngineProgram
    occupancy: Occupancy
    mode: Mode
    settings: FastModeSettings
    params: CoreParams
    arrays: ProgramArrays

    @property
    def simulated_sms(self) -> int:
        return self.params.sms

    def position(self, rep: int) -> int:
        """The SM representative ``rep`` sits at (fast mode)."""
        return rep * self.gpu.sm.count // self.simulated_sms

    def shadow_sms(self, rep: int) -> int:
        """The SMs representative ``rep`` stands for besides itself (fast mode)."""
        following = self.position(rep + 1) if rep + 1 < self.simulated_sms else self.gpu.sm.count
        return following - self.position(rep) - 1

    def cta_queues(self) -> list[list[int]]:
        """Per simulated SM, the CTA ids it will run, the next one last (detailed mode: one
        queue shared by every SM, a freed SM takes the next CTA)."""
        total, count = self.program.cta_count, self.gpu.sm.count
        if self.mode == "detailed":
            shared = list(range(total))[::-1]
            return [shared] * self.simulated_sms
        return [
            list(range(self.position(rep), total, count))[::-1] for rep in range(self.simulated_sms)
        ]

    def l1_cache_bytes(self) -> int:
        """What the L1/shared SRAM leaves to the L1 cache once resident CTAs have their
        shared memory (the carve-out rounded up to its granule)."""
        shared = self.occupancy.ctas_per_sm * self.occupancy.shared_bytes_per_cta
        carveout = -(-shared // CARVEOUT_GRANULE_BYTES) * CARVEOUT_GRANULE_BYTES
        return max(self.gpu.l1.size_bytes - carveout, CARVEOUT_GRANULE_BYTES)


def place_ctas(
    program: EngineProgram, gpu: GpuSpec, scheduler: str, mode: Mode, settings: FastModeSettings
) -> CtaPlacement:
    """``program`` on ``gpu`` in ``mode``: its occupancy and the SMs simulated."""
    occ = occupancy(
        gpu,
        threads_per_cta=program.threads_per_cta,
        registers_per_thread=program.registers_per_thread,
        shared_bytes_per_cta=program.shared_bytes_per_cta,
    )
    detailed = mode == "detailed"
    waves = program.cta_count / (occ.ctas_per_sm * gpu.sm.count)
    short_grid = waves <= settings.short_grid_waves
    wanted = settings.short_grid_representative_sms if short_grid else settings.representative_sms
    representatives = min(wanted, gpu.sm.count)
    params = CoreParams(
        cycle_ns=cycles_to_ns(1.0, gpu.sm.clock_hz),
        sms=gpu.sm.count if detailed else representatives,
        subpartitions=gpu.sm.warp_schedulers,
        cta_slots=occ.ctas_per_sm,
        warps_per_cta=program.warps_per_cta,
        barrier_latency_ns=cycles_to_ns(BARRIER_LATENCY_CYCLES, gpu.sm.clock_hz),
        scheduler=scheduler_code(scheduler),
        grid_x=program.grid[0],
        grid_y=program.grid[1],
        total_ctas=program.cta_count,
        max_shadow_sms=0 if detailed else -(-gpu.sm.count // representatives) - 1,
    )
    return CtaPlacement(gpu, program, occ, mode, settings, params, program_arrays(program))
