"""Fixtures of the explorer's tests: one simulation process shared by a test module (so the
engine loads once), the small scenario they run, and a driver for the app."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from gpusim.tui.app import ExplorerApp
from gpusim.tui.service import SimulationService

DATA = Path(__file__).parent / "data"
SMALL_GEMM = DATA / "small_gemm.toml"
RUN_TIMEOUT_S = 240.0
"""Long enough for a fresh environment to compile the engine (about a minute) first."""


@pytest.fixture(scope="module")
def service() -> Iterator[SimulationService]:
    """A simulation process shared by the tests of a module."""
    shared = SimulationService()
    shared.start()
    yield shared
    shared.close()


@pytest.fixture
def make_app(service: SimulationService) -> Callable[..., ExplorerApp]:
    """An explorer listing the small GEMM (and the presets), on the shared process."""

    def make(*files: Path, **options: Any) -> ExplorerApp:
        return ExplorerApp(list(files) or [SMALL_GEMM], [], service=service, **options)

    return make


@pytest.fixture
def notes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Every notification an explorer gives: (title, message, severity)."""
    seen: list[tuple[str, str, str]] = []
    original = ExplorerApp.notify

    def record(self: ExplorerApp, message: str, **options: Any) -> None:
        seen.append((options.get("title", ""), message, options.get("severity", "information")))
        original(self, message, **options)

    monkeypatch.setattr(ExplorerApp, "notify", record)
    return seen


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = RUN_TIMEOUT_S
) -> None:
    """Let the app run until ``condition`` holds (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the explorer"
        await asyncio.sleep(0.05)
    await pilot.pause()


async def run_and_wait(pilot: Pilot[None]) -> None:
    """Press r and wait until every run it started has finished."""
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    runs = len(app.history)
    await pilot.press("r")
    await wait_until(pilot, lambda: app.running or len(app.history) > runs, timeout=10)
    await wait_until(pilot, lambda: not app.running)
    assert len(app.history) > runs, "the run failed (see the notifications)"


async def type_into(pilot: Pilot[None], path: str, text: str) -> None:
    """Edit the field at ``path`` as a person does: select it, clear it, type, Enter."""
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    await pilot.pause()  # let focus moves already asked for land first
    app.query_one("#editor").focus_field(path)  # type: ignore[attr-defined]
    await pilot.pause()
    field = app.query_one("#edit-value")
    field.value = ""  # type: ignore[attr-defined]
    await pilot.press(*text)
    await pilot.press("enter")


def shown_text(static: Static, width: int = 100) -> str:
    """What a ``Static`` shows, as plain text ``width`` columns wide."""
    console = Console(file=io.StringIO(), width=width, no_color=True, record=True)
    console.print(static.content)
    return console.export_text()
