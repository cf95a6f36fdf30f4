"""The main screen after a run with one knob changed, at 80x24 and at 120x40.

The runs are answered by a canned simulation service with fixed results, so a snapshot
changes when the screen changes, not when the engine's calibration does (the engine has its
own tests). Nothing on the screen is a wall-clock time. The scenario list holds the test's
scenario and the presets. Update with ``pytest tests/tui --snapshot-update`` and review the
SVGs in ``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from gpusim.hw.sm.result import CtaSpan, KernelResult, Mode
from gpusim.tui.app import ExplorerApp
from gpusim.tui.jobs import Event, Finished, Outcome
from gpusim.tui.service import SimulationService
from tests.tui.conftest import SMALL_GEMM, run_and_wait, type_into

SnapCompare = Callable[..., bool]


def canned_result(time_s: float) -> KernelResult:
    """A 256^3 GEMM's result on four SMs of two CTA slots each, taking ``time_s``."""
    launch_s = 2.43e-6
    spans = tuple(
        CtaSpan(
            sm,
            cta,
            launch_s + wave * (time_s - launch_s) / 2,
            launch_s + (wave + 1) * (time_s - launch_s) / 2,
        )
        for sm in range(4)
        for wave in range(2)
        for cta in (sm * 4 + wave * 2, sm * 4 + wave * 2 + 1)
    )
    flops = 2.0 * 256**3
    dram_bytes = 3 * 256 * 256 * 4
    return KernelResult(
        kernel="gemm_smem_tiled_32",
        gpu="H100-SXM5-80GB",
        mode="fast",
        time_s=time_s,
        execution_s=time_s - launch_s,
        launch_overhead_s=launch_s,
        cycles=time_s * 1.98e9,
        ctas=64,
        ctas_per_sm=2,
        waves=0.24,
        occupancy_limiter="warps",
        theoretical_occupancy=0.5,
        achieved_occupancy=0.25,
        warp_instructions=1.2e6,
        ipc=0.48,
        issue_slot_utilisation=0.12,
        pipe_utilisation={"lsu": 0.25, "int": 0.06, "fp32": 0.03, "control": 0.01},
        stall_fractions={
            "long_scoreboard": 0.41,
            "lsu_throttle": 0.26,
            "barrier": 0.26,
            "wait": 0.07,
        },
        l1_hit_rate=0.0,
        l2_hit_rate=0.88,
        global_bytes=2 * 256**3 * 4 / 32,
        shared_bytes=2 * 256**3 * 4 * (1 + 1 / 32),
        l2_bytes=2 * 256**3 * 4 / 32,
        dram_read_bytes=dram_bytes * 2 / 3,
        dram_write_bytes=dram_bytes / 3,
        dram_bandwidth_bytes_per_s=dram_bytes / time_s,
        dram_utilisation=dram_bytes / time_s / 3.0e12,
        flops=flops,
        flops_per_s=flops / time_s,
        shared_bank_conflict_factor=1.0,
        bottleneck="latency-bound: global-memory latency (long scoreboard) (41% of stalls)",
        simulated_sms=4,
        timeline=spans,
    )


class CannedService(SimulationService):
    """Answers each job at once: the edited run takes 31 us, the preset's run 19.7 us."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: list[Event] = []
        self._jobs = 0

    @property
    def alive(self) -> bool:
        return True

    def start(self) -> None:
        """Nothing to start: no process."""

    def submit(self, document: dict[str, Any], source: str, mode: Mode) -> int:
        self._jobs += 1
        edited = bool(document["gpu"]["overrides"])
        result = canned_result(31e-6 if edited else 19.7e-6)
        self._answers.append(Finished(self._jobs, Outcome(result)))
        return self._jobs

    def poll(self, job: int) -> Event | None:
        return self._answers.pop(0) if self._answers else None

    def close(self) -> None:
        """Nothing to stop."""


async def slower_clock_then_run(pilot: Pilot[None]) -> None:
    """Slow the SM clock and run: the result, and its change against the unmodified preset."""
    await type_into(pilot, "gpu.sm.clock_hz", "1.2 GHz")
    await pilot.press("escape")
    await run_and_wait(pilot)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = ExplorerApp([SMALL_GEMM], [], service=CannedService())
    assert snap_compare(app, terminal_size=size, run_before=slower_clock_then_run)
