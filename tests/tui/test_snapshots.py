"""The main screen as it looks after a run with one knob changed, at 80x24 and at 120x40.

Snapshots hold no wall-clock times (the explorer shows simulated figures only), and the
scenario list holds only the test's scenario and the presets, so they change only when the
screen does. Update them with ``pytest tests/tui --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from gpusim.tui.app import ExplorerApp
from tests.tui.conftest import run_and_wait, type_into

SnapCompare = Callable[..., bool]


async def slower_clock_then_run(pilot: Pilot[None]) -> None:
    """Slow the SM clock and run: the result, and its change against the unmodified preset."""
    await type_into(pilot, "gpu.sm.clock_hz", "1.2 GHz")
    await pilot.press("escape")
    await run_and_wait(pilot)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen(
    snap_compare: SnapCompare, make_app: Callable[..., ExplorerApp], size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=slower_clock_then_run)
