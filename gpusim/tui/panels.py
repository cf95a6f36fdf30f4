"""The panels of the results pane, listed in one place.

A panel is a tab of the results pane that draws the run shown against its baseline. To
add one: write its widget (any Textual widget with ``show(record, baseline)``), add its
entry to ``PANELS`` here, and describe it in docs/tui.md. The pane's tabs and their order,
which runs each applies to, and the help's list of what the results show all come from
this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from textual.widget import Widget

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import KernelResult
from gpusim.tui.history import RunRecord
from gpusim.tui.jobs import RunResult
from gpusim.tui.widgets.bars import StallBars
from gpusim.tui.widgets.heatmap import SmHeatmap
from gpusim.tui.widgets.plots import BusbwView, RooflineView
from gpusim.tui.widgets.summary import SummaryView
from gpusim.tui.widgets.timeline import StepTimeline

RunKind = Literal["any", "kernel", "collective", "training"]


def kind_of(result: RunResult) -> RunKind:
    """Which kind of run came back with ``result``."""
    if isinstance(result, KernelResult):
        return "kernel"
    return "collective" if isinstance(result, CollectiveResult) else "training"


class RunView(Protocol):
    """What a panel's widget does: draw a run against its baseline (``None``: none yet)."""

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None: ...


@dataclass(frozen=True)
class Panel:
    """One tab of the results pane."""

    name: str
    """The widget's id; the tab's is ``tab-<name>``."""
    title: str
    """The tab's label."""
    widget: type[Widget]
    """The widget class; its instances are ``RunView``s."""
    runs: RunKind
    """The runs it applies to; on other runs its tab is hidden rather than left empty."""
    scrolls: bool
    """Whether the tab scrolls (text panels) or fits the widget to its size (plots)."""
    describes: str
    """What it shows, for the help's list of panels."""

    def __post_init__(self) -> None:
        if not callable(getattr(self.widget, "show", None)):
            raise TypeError(
                f"panel {self.name}: {self.widget.__name__} has no show(record, baseline)"
            )

    @property
    def tab_id(self) -> str:
        return f"tab-{self.name}"

    def applies_to(self, record: RunRecord) -> bool:
        """Whether this panel has something to show for ``record``."""
        return self.runs in ("any", kind_of(record.result))


PANELS: tuple[Panel, ...] = (
    Panel(
        "summary",
        "Summary",
        SummaryView,
        "any",
        True,
        "the summary with the change against the baseline (▲/▼, *better*/*worse*)",
    ),
    Panel("stalls", "Stalls", StallBars, "kernel", True, "stall breakdown"),
    Panel("heatmap", "SMs", SmHeatmap, "kernel", False, "per-SM activity"),
    Panel("roofline", "Roofline", RooflineView, "kernel", False, "roofline"),
    Panel("busbw", "busbw", BusbwView, "collective", False, "busbw against size for collectives"),
    Panel(
        "timeline",
        "Timeline",
        StepTimeline,
        "training",
        False,
        "each pipeline stage's compute and communication over a training step",
    ),
)
"""In tab order; the History tab (this session's runs) follows them."""
