"""Two runs side by side: their figures with the change from the first to the second, the
parameters that differ, and their stall breakdowns."""

from __future__ import annotations

from typing import ClassVar

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from gpusim.hw.sm.result import KernelResult
from gpusim.tui.history import RunRecord
from gpusim.tui.metrics import delta, metrics_of
from gpusim.tui.widgets.bars import StallBars
from gpusim.tui.widgets.summary import delta_text


def comparison(first: RunRecord, second: RunRecord) -> RenderableType:
    """Heading, the figures of both runs with the change, and the parameters that differ."""
    heading = Text.assemble(
        ("Compare ", "bold"),
        (first.title, "bold cyan"),
        (" with ", "bold"),
        (second.title, "bold yellow"),
    )
    runs = Text.assemble(
        (f"{first.title}: {first.describe()}\n", "cyan"),
        (f"{second.title}: {second.describe()}", "yellow"),
    )
    figures = Table(
        title="Figures (change from the first to the second)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    figures.add_column("figure", style="cyan", no_wrap=True)
    figures.add_column(first.title, justify="right", no_wrap=True)
    figures.add_column(second.title, justify="right", no_wrap=True)
    figures.add_column("change", no_wrap=True)
    shared = [m for m in metrics_of(first.result) if m in metrics_of(second.result)]
    for metric in shared:
        a, b = metric.read(first.result), metric.read(second.result)
        figures.add_row(
            metric.label, metric.show(a), metric.show(b), delta_text(delta(metric, b, a))
        )
    return Group(heading, runs, Text(""), figures, Text(""), _differences(first, second))


def _differences(first: RunRecord, second: RunRecord) -> RenderableType:
    a, b = first.settings(), second.settings()
    paths = [path for path in {**a, **b} if a.get(path) != b.get(path)]
    if not paths:
        return Text("Both runs have the same parameters.", style="dim")
    table = Table(title="Parameters that differ", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("parameter", style="cyan", overflow="fold")
    table.add_column(first.title, justify="right")
    table.add_column(second.title, justify="right")
    for path in paths:
        table.add_row(path, a.get(path, "-"), b.get(path, "-"))
    return table


class CompareScreen(Screen[None]):
    """The comparison of two runs; Esc (or c, or q) goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,c,q", "dismiss", "Back", show=True),
    ]

    DEFAULT_CSS = """
    CompareScreen #compare-stalls {
        height: auto;
    }
    CompareScreen #compare-stalls StallBars {
        width: 1fr;
    }
    CompareScreen #compare-table {
        padding: 0 1;
    }
    """

    def __init__(self, first: RunRecord, second: RunRecord) -> None:
        super().__init__()
        self._first, self._second = first, second

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(comparison(self._first, self._second), id="compare-table")
            with Horizontal(id="compare-stalls"):
                yield StallBars(id="stalls-first")
                yield StallBars(id="stalls-second")
        yield Footer()

    def on_mount(self) -> None:
        first, second = self._first.result, self._second.result
        if isinstance(first, KernelResult) and isinstance(second, KernelResult):
            self.query_one("#stalls-first", StallBars).show(self._first, None)
            self.query_one("#stalls-second", StallBars).show(self._second, None)
        else:
            self.query_one("#compare-stalls").display = False
