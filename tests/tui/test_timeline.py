"""A training step in the explorer: its timeline in text cells, its summary against the
baseline, the panel shown only for training runs, and the simulation process's phases.

Every run here is canned (``tests.tui.canned``): the hand-made two-stage step below is
16 ms long, so at 16 columns a cell is 1 ms and each cell's expectation can be read off it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static, TabbedContent

from gpusim.cuda.kernels import GemmParams
from gpusim.scenario import load_scenario
from gpusim.training.schedule import Bar
from gpusim.tui import runner
from gpusim.tui.app import ExplorerApp
from gpusim.tui.history import RunRecord
from gpusim.tui.jobs import Event, Failed, Finished, Job, Outcome, Phase, Progress, RunResult
from gpusim.tui.panels import PANELS
from gpusim.tui.screens.compare import CompareScreen
from gpusim.tui.step_timeline import stages_shown, stream_rows
from gpusim.tui.widgets.timeline import StepTimeline, timeline_text
from tests.tui.canned import (
    MS,
    TWO_STAGE_BARS,
    CannedService,
    canned_collective_result,
    canned_result,
    canned_training_result,
)
from tests.tui.conftest import DATA, SMALL_GEMM, run_and_wait, shown_text, type_into, wait_until

TINY_TRAINING = DATA / "tiny_training.toml"
LETTERS = {
    None: ".",
    "forward": "F",
    "backward": "B",
    "optimizer": "O",
    "send": "S",
    "dp_allreduce": "A",
}


def test_cells_hold_the_kind_that_covers_most_of_them() -> None:
    rows = stream_rows(TWO_STAGE_BARS, 16 * MS, (0, 1), 16)
    drawn = [(row.stage, row.stream, "".join(LETTERS[c] for c in row.cells)) for row in rows]
    assert drawn == [
        (0, "compute", "FFFF....BBBBBB.O"),
        # a send of half a cell marks it; the bucket's half cell 12 is still the bucket's
        (0, "comm", "..S.S.......AAA."),
        # cell 6 is half forward, half backward: a tie goes to the kind listed first
        (1, "compute", "..FFFFFBBBBBBBBO"),
        # cell 14: the bucket covers all of it, the send half, so the bucket shows
        (1, "comm", "..........S..AAS"),
    ]


def test_a_bar_shorter_than_a_cell_is_not_lost() -> None:
    bars = (
        Bar(0, "backward", "B0", 0 * MS, 9.5 * MS),
        Bar(0, "optimizer", "optimizer", 9.5 * MS, 10 * MS),  # a fifth of the last cell
        Bar(0, "send", "B0 to stage 1", 0.1 * MS, 0.2 * MS),
    )
    rows = stream_rows(bars, 10 * MS, (0,), 4)
    assert [row.cells for row in rows] == [
        ("backward", "backward", "backward", "optimizer"),
        ("send", None, None, None),
    ]


@pytest.mark.parametrize(
    ("stages", "room", "shown"),
    [(4, 10, (0, 1, 2, 3)), (16, 5, (0, 4, 8, 11, 15)), (8, 2, (0, 7)), (8, 0, (0,))],
)
def test_many_stages_are_sampled_evenly(stages: int, room: int, shown: tuple[int, ...]) -> None:
    assert stages_shown(stages, room) == shown


def test_the_panel_draws_each_stage_on_one_time_axis() -> None:
    lines = timeline_text(canned_training_result(), width=32, height=20).plain.split("\n")
    assert lines[:7] == [
        "Step timeline: 16 ms, 2 pipeline stages of 4 GPUs",
        "one row pair per stage (a stage's GPUs run the same bars)",
        "stage 0 compute ▒▒▒▒    ██████ ▓",
        "GPU 0-3 comm      ░ ░       ≡≡≡ ",
        "stage 1 compute   ▒▒▒▒▒████████▓",
        "GPU 4-7 comm              ░  ≡≡░",
        "                0          16 ms",
    ]
    assert lines[7:9] == [
        "compute: ▒ forward █ backward ▓ optimizer",
        "comm:    ░ pipeline send ≡ DP all-reduce",
    ]


def test_stages_beyond_the_height_are_sampled_and_the_title_says_so() -> None:
    bars = tuple(Bar(stage, "forward", "F0", stage * MS, (stage + 1) * MS) for stage in range(8))
    result = canned_training_result()
    many = type(result)(**{**result.__dict__, "gpus": 64, "step_s": 8 * MS, "timeline": bars})
    lines = timeline_text(many, width=70, height=12).plain.split("\n")
    assert lines[1] == "3 of 8 stages, evenly spaced (a stage's GPUs run the same bars)"
    labels = [line.split(" compute")[0].rstrip() for line in lines if " compute " in line]
    assert labels == ["stage 0", "stage 4", "stage 7"]
    assert "GPU 56-63 comm" in "\n".join(lines)


def record_of(result: RunResult, scenario: Path) -> RunRecord:
    return RunRecord(1, load_scenario(scenario), "fast", Outcome(result))


def test_the_timeline_applies_to_training_runs_only() -> None:
    def panels(record: RunRecord) -> list[str]:
        return [panel.name for panel in PANELS if panel.applies_to(record)]

    assert panels(record_of(canned_result(20e-6), SMALL_GEMM)) == [
        "summary",
        "stalls",
        "heatmap",
        "roofline",
    ]
    assert panels(record_of(canned_collective_result(), TINY_TRAINING)) == ["summary", "busbw"]
    assert panels(record_of(canned_training_result(), TINY_TRAINING)) == ["summary", "timeline"]


def tab_shown(app: ExplorerApp, name: str) -> bool:
    return app.query_one(TabbedContent).get_tab(f"tab-{name}").display


@pytest.mark.asyncio
async def test_a_training_step_runs_and_reads_against_its_baseline() -> None:
    app = ExplorerApp([TINY_TRAINING, SMALL_GEMM], [], service=CannedService())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "system.nvswitch_reduce_efficiency", "0.5")
        await pilot.press("escape")
        await run_and_wait(pilot)  # the edited step (20 ms), then its preset's (16 ms)
        summary = shown_text(app.query_one("#summary", Static))
        assert re.search(r"step time\s+20 ms\s+▲ \+25% worse", summary)
        assert re.search(r"MFU\s+2\.5%\s+▼ -20% worse", summary)
        assert re.search(r"bubble\s+2\.5 ms\s+▲ \+25% worse", summary)
        assert re.search(r"memory per GPU\s+20 GiB\s+= same", summary)
        assert "fits: 20 GiB of 79.65 GiB (25%) on the fullest GPU" in summary
        shown = [panel.name for panel in PANELS if tab_shown(app, panel.name)]
        assert shown == ["summary", "timeline"]
        app.query_one(TabbedContent).active = "tab-timeline"
        await pilot.pause()
        timeline = app.query_one(StepTimeline)
        drawn = timeline.render().plain.split("\n")  # type: ignore[union-attr]
        assert drawn[0] == "Step timeline: 20 ms, 2 pipeline stages of 4 GPUs"
        rows = [line for line in drawn if line.startswith(("stage ", "GPU "))]
        assert len(rows) == 4
        assert {len(line) for line in rows} == {timeline.content_size.width}

        app.open_entry(f"scenario:{SMALL_GEMM.resolve()}")  # a kernel run hides the timeline again
        await run_and_wait(pilot)
        assert not tab_shown(app, "timeline") and tab_shown(app, "stalls")
        assert app.query_one(TabbedContent).active == "tab-summary"


@pytest.mark.asyncio
async def test_a_training_step_compares_and_exports(tmp_path: Path) -> None:
    app = ExplorerApp([TINY_TRAINING], [], service=CannedService())
    report = tmp_path / "step.html"
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "system.nvswitch_reduce_efficiency", "0.5")
        await pilot.press("escape")
        await run_and_wait(pilot)
        await pilot.press("c")  # the preset's step (run #2), then the edited one (#1)
        assert isinstance(app.screen, CompareScreen)
        shown = shown_text(app.screen.query_one("#compare-table", Static))
        assert re.search(r"step time\s+16 ms\s+20 ms\s+▲ \+25% worse", shown)
        assert re.search(r"system\.nvswitch_reduce_efficiency\s+0\.85\s+0\.5", shown)
        assert not app.screen.query_one("#compare-stalls").display
        await pilot.press("escape", "e")
        app.screen.query_one(Input).value = str(report)
        await pilot.press("enter")
        await wait_until(pilot, report.exists, timeout=60)
    assert "Timeline of one step (20 ms)" in report.read_text()


def fake_simulation(calls: list[dict[str, Any]]) -> Any:
    """``simulate_training`` as the process calls it, with one operator not cached."""

    def simulate(system: Any, workload: Any, *, mode: str, watch: Any) -> Any:
        calls.append({"system": system.name, "pp": workload.pp, "mode": mode})
        progress = watch("gemm_tc_ampere_bf16", GemmParams(128, 256, 64))
        progress(0.5)
        progress(1.0)
        return canned_training_result()

    return simulate


def test_the_process_runs_a_training_step_and_reports_its_operators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(runner, "simulate_training", fake_simulation(calls))
    monkeypatch.setattr(runner, "engine_compiled", lambda: True)
    document = dict(load_scenario(TINY_TRAINING).document)
    events: list[Event] = []
    final = runner.execute(Job(1, document, "tiny.toml", "fast"), events.append, warm=False)
    assert calls == [{"system": "8xH100-NVSwitch", "pp": 2, "mode": "fast"}]
    operator = "operator 1 not cached: gemm_tc_ampere_bf16 m=128 n=256 k=64"
    assert [event.text for event in events if isinstance(event, Phase)] == [
        "simulating training step 4-layer h512 dp=2 tp=2 pp=2 "
        "(1f1b, 4 micro-batches of 1, seq 256, bf16)",
        f"{operator}: tracing, then loading the engine",
        f"{operator}: simulating (fast mode)",
    ]
    assert [event.fraction for event in events if isinstance(event, Progress)] == [0.5, 1.0]
    assert final == Finished(1, Outcome(canned_training_result()))


def test_a_training_step_that_does_not_tile_the_system_is_one_line() -> None:
    document = dict(load_scenario(TINY_TRAINING).document)
    document["workload"] = {**document["workload"], "dp": 4}
    final = runner.execute(Job(1, document, "tiny.toml", "fast"), lambda _: None, warm=True)
    assert final == Failed(
        1, "tiny.toml: workload.dp: dp x tp x pp = 4 x 2 x 2 = 16, but 8xH100-NVSwitch has 8 GPUs"
    )
