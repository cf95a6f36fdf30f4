"""Horizontal bars: the stall breakdown and pipe utilisation of a kernel run.

Bars are drawn with eighth blocks, so a share is readable to 1/8 of a cell; the figure
and the baseline's figure are written beside each bar.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from gpusim.hw.sm.result import KernelResult
from gpusim.tui.history import RunRecord

EIGHTHS = " ▏▎▍▌▋▊▉"
LABEL_WIDTH = 17
FIGURES_WIDTH = 16
SHOWN_FROM = 0.005
"""Shares below this (0.5%) are left out of the chart."""


def bar(fraction: float, width: int) -> str:
    """``fraction`` (0 to 1) of ``width`` cells, in full and eighth blocks."""
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[rest] if rest else "")).ljust(width)


def bar_chart(
    title: str,
    shares: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    width: int,
    style: str,
) -> list[Text]:
    """A titled chart of ``shares``, largest first; the baseline's figure beside each."""
    lines = [Text(title, style="bold")]
    bar_width = max(4, width - LABEL_WIDTH - FIGURES_WIDTH)
    shown = sorted(
        ((name, share) for name, share in shares.items() if share >= SHOWN_FROM),
        key=lambda item: -item[1],
    )
    if not shown:
        lines.append(Text("  none", style="dim"))
    for name, share in shown:
        line = Text(name.replace("_", " ")[: LABEL_WIDTH - 1].ljust(LABEL_WIDTH))
        line.append(bar(share, bar_width), style=style)
        line.append(f" {share:>4.0%}")
        if baseline is not None:
            line.append(f" (base {baseline.get(name, 0.0):.0%})", style="dim")
        lines.append(line)
    return lines


class StallBars(Widget):
    """Why warps waited (share of stall time by reason), and how busy each pipe was."""

    DEFAULT_CSS = """
    StallBars {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._result: KernelResult | None = None
        self._baseline: KernelResult | None = None

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Chart ``record``'s kernel run, with ``baseline``'s figures beside when it is
        another kernel run."""
        result = record.result
        base = (
            baseline.result if baseline is not None and baseline.number != record.number else None
        )
        self._result = result if isinstance(result, KernelResult) else None
        self._baseline = base if isinstance(base, KernelResult) else None
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        if self._result is None:
            return Text("The stall breakdown of a kernel run appears here.", style="dim")
        width = self.content_size.width
        base = self._baseline
        lines = bar_chart(
            "Warp stalls (share of stall time)",
            self._result.stall_fractions,
            base.stall_fractions if base is not None else None,
            width,
            "red",
        )
        lines.append(Text(""))
        lines += bar_chart(
            "Pipe utilisation (busy share)",
            self._result.pipe_utilisation,
            base.pipe_utilisation if base is not None else None,
            width,
            "green",
        )
        return Group(*lines)
