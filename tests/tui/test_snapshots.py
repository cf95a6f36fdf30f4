"""The main screen after a run with one knob changed, at 80x24 and at 120x40: a kernel's
summary, and a training step's timeline.

The runs are answered by a canned simulation service with fixed results, so a snapshot
changes when the screen changes, not when the engine's calibration does (the engine has its
own tests). Nothing on the screen is a wall-clock time. The scenario list holds the test's
scenario and the presets. Update with ``pytest tests/tui --snapshot-update`` and review the
SVGs in ``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from gpusim.tui.app import ExplorerApp
from tests.tui.canned import CannedService
from tests.tui.conftest import DATA, SMALL_GEMM, run_and_wait, type_into

SnapCompare = Callable[..., bool]


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


async def slower_switch_then_timeline(pilot: Pilot[None]) -> None:
    """Slow the NVSwitch's reductions, run the step, and show its timeline."""
    await type_into(pilot, "system.nvswitch_reduce_efficiency", "0.5")
    await pilot.press("escape")
    await run_and_wait(pilot)
    pilot.app.query_one(TabbedContent).active = "tab-timeline"
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_training_timeline(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = ExplorerApp([DATA / "tiny_training.toml"], [], service=CannedService())
    assert snap_compare(app, terminal_size=size, run_before=slower_switch_then_timeline)
