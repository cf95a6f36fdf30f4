"""A training step's timeline: each pipeline stage's compute and communication streams as
bars of text cells on one time axis (``gpusim.tui.step_timeline`` says how cells and rows
are chosen).

Each kind of bar has its own character as well as its colour, so the timeline reads
without colour too.
"""

from __future__ import annotations

import math

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from gpusim.training.result import TrainingResult
from gpusim.training.schedule import BarKind
from gpusim.tui.history import RunRecord
from gpusim.tui.step_timeline import StreamRow, stages_of, stages_shown, stream_rows
from gpusim.units import format_seconds

GLYPHS: dict[BarKind, tuple[str, str]] = {
    "forward": ("▒", "blue"),
    "backward": ("█", "dark_orange"),
    "optimizer": ("▓", "magenta"),
    "send": ("░", "green"),
    "dp_allreduce": ("≡", "red"),
}
"""Each kind of bar's character and colour."""

LEGEND: tuple[tuple[str, tuple[tuple[BarKind, str], ...]], ...] = (
    ("compute:", (("forward", "forward"), ("backward", "backward"), ("optimizer", "optimizer"))),
    ("comm:   ", (("send", "pipeline send"), ("dp_allreduce", "DP all-reduce"))),
)
TP_NOTE = "TP all-reduces block compute: inside forward and backward"
MIN_COLUMNS = 8
NO_STEP = "The timeline of a training step appears here."


def _labels(stage: int, gpus_per_stage: int) -> tuple[str, str]:
    """The names of a stage's two rows: ``stage 1`` and its GPUs, ``GPU 4-7``."""
    first, last = stage * gpus_per_stage, (stage + 1) * gpus_per_stage - 1
    return f"stage {stage}", f"GPU {first}" if first == last else f"GPU {first}-{last}"


def _lines_of(text: str, width: int) -> int:
    return max(1, math.ceil(len(text) / max(width, 1)))


def timeline_text(result: TrainingResult, width: int, height: int) -> Text:
    """The timeline of ``result`` drawn in ``width`` x ``height`` cells."""
    stages = stages_of(result.timeline)
    gpus_per_stage = result.gpus // max(stages, 1)
    title = (
        f"Step timeline: {format_seconds(result.step_s)}, {stages} pipeline stage"
        f"{'s' if stages > 1 else ''} of {gpus_per_stage} GPUs"
    )
    legend = [head + "".join(f" x {name}" for _, name in items) for head, items in LEGEND]
    fixed = sum(_lines_of(line, width) for line in [title, *legend, TP_NOTE]) + 1  # + the axis
    same = "(a stage's GPUs run the same bars)"
    rows_note = f"one row pair per stage {same}"
    shown = stages_shown(stages, (height - fixed - _lines_of(rows_note, width)) // 2)
    if len(shown) < stages:
        rows_note = f"{len(shown)} of {stages} stages, evenly spaced {same}"
        shown = stages_shown(stages, (height - fixed - _lines_of(rows_note, width)) // 2)
    names = {stage: _labels(stage, gpus_per_stage) for stage in shown}
    name_width = max(len(name) for pair in names.values() for name in pair)
    label_width = name_width + len(" compute ")
    columns = max(MIN_COLUMNS, width - label_width)
    text = Text(justify="left")
    text.append(title + "\n", style="bold")
    text.append(rows_note + "\n", style="dim")
    for row in stream_rows(result.timeline, result.step_s, shown, columns):
        _append_row(text, row, names[row.stage], name_width)
    end = format_seconds(result.step_s)
    text.append(" " * label_width + "0".ljust(columns - len(end)) + end + "\n", style="dim")
    for head, items in LEGEND:
        text.append(head)
        for kind, name in items:
            glyph, colour = GLYPHS[kind]
            text.append(f" {glyph}", style=colour)
            text.append(f" {name}")
        text.append("\n")
    text.append(TP_NOTE, style="dim")
    return text


def _append_row(text: Text, row: StreamRow, names: tuple[str, str], name_width: int) -> None:
    name = names[0] if row.stream == "compute" else names[1]
    text.append(name.ljust(name_width), style="cyan")
    text.append(f" {row.stream:<7} ", style="dim")
    for kind in row.cells:
        if kind is None:
            text.append(" ")
        else:
            glyph, colour = GLYPHS[kind]
            text.append(glyph, style=colour)
    text.append("\n")


class StepTimeline(Widget):
    """The timeline of the training step shown, fitted to the widget's size."""

    DEFAULT_CSS = """
    StepTimeline {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._result: TrainingResult | None = None

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Draw ``record``'s step (the baseline's has its own timeline, not drawn here)."""
        self._result = record.result if isinstance(record.result, TrainingResult) else None
        self.refresh()

    def render(self) -> RenderableType:
        if self._result is None or not self._result.timeline:
            return Text(NO_STEP, style="dim")
        return timeline_text(self._result, self.content_size.width, self.content_size.height)
