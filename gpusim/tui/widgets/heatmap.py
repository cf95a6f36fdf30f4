"""Per-SM activity over time as a heatmap of shaded cells.

A cell's shade (`` ░▒▓█``) and colour both say how full the SM's CTA slots were in that
slice of the run; the shade alone carries it without colour. Fast mode simulates a few
representative SMs, and the title says so; detailed mode (``d``) draws every SM.
"""

from __future__ import annotations

import math

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from gpusim.hw.sm.result import KernelResult
from gpusim.tui.activity import activity
from gpusim.tui.history import RunRecord
from gpusim.units import format_seconds

SHADES = " ░▒▓█"
COLOURS = ("", "blue", "cyan", "yellow", "bright_white")
LEGEND = ("idle (blank)", "≤25%", "≤50%", "≤75%", ">75%")
LABEL_WIDTH = 11


def shade(share: float) -> tuple[str, str]:
    """The character and colour of a cell ``share`` (0 to 1) full: empty only when idle."""
    level = 0 if share <= 0 else min(len(SHADES) - 1, math.ceil(share * (len(SHADES) - 1)))
    return SHADES[level], COLOURS[level]


def title_of(result: KernelResult) -> str:
    """What the map shows, and what fast mode leaves out."""
    if result.mode == "fast":
        return (
            f"CTA slots in use over time: the {result.simulated_sms} representative SMs "
            "fast mode simulates (d: detailed mode, every SM)"
        )
    return f"CTA slots in use over time on each of the {result.simulated_sms} SMs"


class SmHeatmap(Widget):
    """The heatmap of the run shown, fitted to the widget's size."""

    DEFAULT_CSS = """
    SmHeatmap {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._result: KernelResult | None = None

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Draw ``record``'s timeline (the baseline has its own, not drawn here)."""
        self._result = record.result if isinstance(record.result, KernelResult) else None
        self.refresh()

    def render(self) -> RenderableType:
        result = self._result
        if result is None or not result.timeline:
            return Text("Per-SM activity of a kernel run appears here.", style="dim")
        width, height = self.content_size.width, self.content_size.height
        columns = max(8, width - LABEL_WIDTH)
        title = title_of(result)
        rows = max(1, height - math.ceil(len(title) / max(width, 1)) - 2)
        grid = activity(result.timeline, result.ctas_per_sm, columns=columns, rows=rows)
        text = Text(justify="left")
        text.append(title + "\n", style="bold")
        for label, row in zip(grid.labels, grid.share, strict=True):
            text.append(label[: LABEL_WIDTH - 1].ljust(LABEL_WIDTH), style="cyan")
            for share in row:
                char, colour = shade(float(share))
                text.append(char, style=colour)
            text.append("\n")
        end = format_seconds(grid.end_s)
        text.append(" " * LABEL_WIDTH + "0".ljust(columns - len(end)) + end + "\n", style="dim")
        text.append("in use:")
        for level, label in enumerate(LEGEND):
            text.append(f" {SHADES[level]}", style=COLOURS[level])
            text.append(f" {label}")
        return text
