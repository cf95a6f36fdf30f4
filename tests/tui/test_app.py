"""The explorer driven as a person drives it (Textual's Pilot): choose, edit, run, read the
result, set a baseline, compare, cancel, save and reload, and be refused a bad value."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, Static

from gpusim.scenario import load_scenario
from gpusim.tui.app import ExplorerApp
from gpusim.tui.commands import COMMANDS
from gpusim.tui.screens.compare import CompareScreen
from gpusim.tui.screens.help import HelpScreen
from gpusim.tui.screens.prompt import PathPrompt
from gpusim.tui.widgets.history_list import HistoryList
from tests.tui.conftest import run_and_wait, shown_text, type_into, wait_until

pytestmark = pytest.mark.asyncio

MakeApp = Callable[..., ExplorerApp]
Notes = list[tuple[str, str, str]]


def first_command(app: ExplorerApp) -> str:
    """The command palette's first hit, as text ('' while it has none)."""
    options = app.screen.query(OptionList)
    if not options or not options.first().option_count:
        return ""
    return str(options.first().get_option_at_index(0).prompt)


def summary_text(app: ExplorerApp) -> str:
    """What the summary tab shows, as plain text."""
    return shown_text(app.query_one("#summary", Static))


async def test_choose_a_preset_from_the_list(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        catalog = app.query_one("#catalog", OptionList)
        catalog.focus()
        catalog.highlighted = catalog.get_option_index("gpu:A100-SXM4-80GB")
        await pilot.press("enter")
        assert app.draft is not None
        assert app.draft.scenario.name == "A100-SXM4-80GB"
        assert app.draft.text("gpu.sm.count") == "108"
        assert "gpu.sm.count" in app.query_one(DataTable).rows


async def test_edit_a_knob_run_and_see_the_results(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_into(pilot, "gpu.l2.size_bytes", "100 MiB")
        assert app.draft is not None
        assert app.draft.edits == {"gpu.l2.size_bytes": 100 * 2**20}
        await run_and_wait(pilot)
        # the run, then its default baseline: the same GEMM on the unmodified preset
        assert [record.scenario.name for record in app.history] == [
            "small_gemm",
            "H100-SXM5-80GB preset",
        ]
        assert app.shown is not None and app.shown.number == 1
        assert app.shown.scenario.hardware.l2.size_bytes == 100 * 2**20
        text = summary_text(app)
        assert re.search(r"time\s+[\d.]+ us", text)
        assert "vs baseline #2 H100-SXM5-80GB preset" in text
        assert "bottleneck" in text


async def test_set_baseline_then_compare_with_it(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_and_wait(pilot)
        await pilot.press("b")
        assert app.baseline is app.history.get(1)
        await type_into(pilot, "workload.k", "512")
        await pilot.press("escape")
        await run_and_wait(pilot)
        assert len(app.history) == 2  # the chosen baseline needs no extra run
        text = summary_text(app)
        assert "vs baseline #1 small_gemm" in text
        assert re.search(r"time\s+[\d.]+ us\s+▲ \+[\d.]+% worse", text)
        await pilot.press("c")
        assert isinstance(app.screen, CompareScreen)
        shown = shown_text(app.screen.query_one("#compare-table", Static))
        assert "#1 small_gemm" in shown and "#2 small_gemm" in shown
        assert re.search(r"workload\.k\s+256\s+512", shown)
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)


async def test_compare_two_runs_marked_in_history(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_and_wait(pilot)
        await type_into(pilot, "gpu.sm.count", "66")
        await pilot.press("escape")
        await run_and_wait(pilot)  # and the unmodified preset is this GEMM's first run
        await pilot.press("h")
        history = app.query_one(HistoryList)
        assert history.has_focus
        history.highlighted = 0
        await pilot.press("space")
        history.highlighted = 2
        await pilot.press("space")
        assert sorted(history.marked) == [1, 2]
        await pilot.press("c")
        assert isinstance(app.screen, CompareScreen)
        shown = shown_text(app.screen.query_one("#compare-table", Static))
        assert re.search(r"gpu\.sm\.count\s+132\s+66", shown)


async def test_escape_cancels_a_run_and_the_next_run_works(make_app: MakeApp, notes: Notes) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")  # detailed mode: a minute or more, long enough to cancel
        assert app.mode == "detailed"
        await pilot.press("r")
        await wait_until(pilot, lambda: app.running)
        await wait_until(pilot, lambda: app.query_one("#run-status").has_class("-running"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.running, timeout=5)
        assert not app.query_one("#run-status").has_class("-running")
        assert len(app.history) == 0
        assert ("", "Run cancelled: the simulation was stopped.", "warning") in notes
        assert app.service.alive  # a fresh process, ready for the next run
        await pilot.press("d")
        await run_and_wait(pilot)
        assert app.shown is not None and app.shown.mode == "fast"


async def test_save_and_reload(make_app: MakeApp, tmp_path: Path, notes: Notes) -> None:
    app = make_app()
    saved = tmp_path / "bigger_l2.toml"
    async with app.run_test(size=(100, 30)) as pilot:
        await type_into(pilot, "gpu.l2.size_bytes", "100 MiB")
        await type_into(pilot, "workload.kernel", "gemm_smem_tiled_16")
        await pilot.press("escape", "s")
        assert isinstance(app.screen, PathPrompt)
        app.screen.query_one(Input).value = str(saved)
        await pilot.press("enter")
        await pilot.pause()
        assert app.draft is not None
        edited = app.draft.build()
        reloaded = load_scenario(saved)
        assert reloaded.document == edited.document
        assert (reloaded.hardware, reloaded.workload) == (edited.hardware, edited.workload)
        key = f"scenario:{saved.resolve()}"
        assert key in [entry.key for entry in app.entries]
        app.open_entry(key)
        await pilot.pause()
        assert app.draft.scenario.name == "small_gemm"
        assert not app.draft.edits
        assert app.draft.text("gpu.l2.size_bytes") == "100 MiB"
        assert app.draft.text("workload.kernel") == "gemm_smem_tiled_16"
    assert notes[-1][0] == "Saved"


async def test_saving_over_a_file_asks_first(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app()
    existing = tmp_path / "existing.toml"
    existing.write_text("keep me")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        app.screen.query_one(Input).value = str(existing)
        await pilot.press("enter")
        assert isinstance(app.screen, PathPrompt)  # asked, not written
        assert existing.read_text() == "keep me"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PathPrompt)
        assert load_scenario(existing).name == "small_gemm"


async def test_an_invalid_value_is_marked_and_refused(make_app: MakeApp, notes: Notes) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_into(pilot, "gpu.l2.size_bytes", "-4")
        assert app.draft is not None
        message = "gpu.l2.size_bytes: must be > 0, got -4"
        assert app.draft.errors == {"gpu.l2.size_bytes": message}
        table = app.query_one(DataTable)
        assert str(table.get_cell("gpu.l2.size_bytes", "mark")) == "✗"
        assert message in shown_text(app.query_one("#field-help", Static))
        await pilot.press("ctrl+r")  # the field has the focus: ctrl+r runs from anywhere
        await pilot.pause()
        assert not app.running and len(app.history) == 0
        assert notes[-1] == ("Run refused: fix gpu.l2.size_bytes", message, "error")
        assert app.focused is app.query_one("#edit-value")
        await pilot.press("escape", "s")
        assert not isinstance(app.screen, PathPrompt)
        assert notes[-1][0] == "Save refused: fix gpu.l2.size_bytes"


async def test_a_failing_run_is_a_notification(make_app: MakeApp, notes: Notes) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_into(pilot, "gpu.sm.max_threads_per_cta", "64")  # the kernel needs 1024
        await pilot.press("escape", "r")
        await wait_until(pilot, lambda: any(title == "Run failed" for title, _, _ in notes))
        await wait_until(pilot, lambda: not app.running)
        _, message, severity = next(note for note in notes if note[0] == "Run failed")
        assert severity == "error" and "threads" in message
        assert len(app.history) == 0
        assert app.is_running  # the explorer lives on


async def test_a_collective_shows_busbw_against_size(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_entry("system:8xH100-NVSwitch")
        await type_into(pilot, "workload.size_bytes", "16 MiB")
        await pilot.press("escape")
        await run_and_wait(pilot)
        assert app.shown is not None
        assert len(app.shown.outcome.sweep) == 21  # 1 KiB to 1 GiB
        assert re.search(r"busbw\s+[\d.]+ GB/s", summary_text(app))
        caption = shown_text(app.query_one("#busbw-caption", Static))
        assert "at 16 MiB" in caption


async def test_help_lists_every_command(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
    from gpusim.tui.screens.help import help_markdown

    assert all(f"| {command.title} |" in help_markdown() for command in COMMANDS)


async def test_the_command_palette_runs_actions(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Detailed mode")
        await wait_until(pilot, lambda: "Detailed mode" in first_command(app), timeout=5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.mode == "detailed", timeout=5)


async def test_export_writes_the_html_report(make_app: MakeApp, tmp_path: Path) -> None:
    pytest.importorskip("gpusim.report")
    app = make_app()
    report = tmp_path / "run.html"
    async with app.run_test(size=(100, 30)) as pilot:
        await run_and_wait(pilot)
        await pilot.press("e")
        app.screen.query_one(Input).value = str(report)
        await pilot.press("enter")
        await wait_until(pilot, report.exists, timeout=60)
    assert "<html" in report.read_text().lower()


async def test_no_color_is_respected(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.no_color
        await type_into(pilot, "gpu.sm.count", "33")
        await pilot.press("escape")
        await run_and_wait(pilot)
        # without colour the change still reads: an arrow and a word
        assert re.search(r"time\s+[\d.]+ us\s+▲ \+[\d.]+% worse", summary_text(app))


async def test_a_copy_has_no_roofline_point(make_app: MakeApp, tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(
        'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n'
        '[workload]\nkind = "copy"\nsize_bytes = 1048576\n'
    )
    app = make_app(copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_and_wait(pilot)
        assert re.search(r"DRAM bandwidth\s+[\d.]+ [GT]B/s", summary_text(app))
        caption = shown_text(app.query_one("#roofline-caption", Static))
        assert caption.startswith("A copy does no arithmetic")
        assert not app.query_one("#roofline-plot").display
