"""The results pane: a tab per view of the run shown, and the session's history.

Kernel runs show the summary, stalls, per-SM activity and roofline tabs; collective runs the
summary and busbw tabs. A tab that does not apply is hidden rather than left empty.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import TabbedContent, TabPane, Tabs

from gpusim.hw.sm.result import KernelResult
from gpusim.tui.history import RunRecord
from gpusim.tui.widgets.bars import StallBars
from gpusim.tui.widgets.heatmap import SmHeatmap
from gpusim.tui.widgets.history_list import HistoryList
from gpusim.tui.widgets.plots import BusbwView, RooflineView
from gpusim.tui.widgets.summary import SummaryView

KERNEL_TABS = ("tab-stalls", "tab-sms", "tab-roofline")
COLLECTIVE_TABS = ("tab-busbw",)


class ResultsPane(Vertical):
    """Summary, Stalls, SMs, Roofline, busbw and History tabs."""

    DEFAULT_CSS = """
    ResultsPane TabbedContent {
        height: 1fr;
    }
    ResultsPane ContentSwitcher {
        height: 1fr;
    }
    ResultsPane TabPane {
        height: 1fr;
        padding: 0;
    }
    """

    def compose(self) -> ComposeResult:
        with TabbedContent(id="result-tabs"):
            with TabPane("Summary", id="tab-summary"), VerticalScroll():
                yield SummaryView(id="summary")
            with TabPane("Stalls", id="tab-stalls"), VerticalScroll():
                yield StallBars(id="stalls")
            with TabPane("SMs", id="tab-sms"):
                yield SmHeatmap(id="heatmap")
            with TabPane("Roofline", id="tab-roofline"):
                yield RooflineView(id="roofline")
            with TabPane("busbw", id="tab-busbw"):
                yield BusbwView(id="busbw")
            with TabPane("History", id="tab-history"):
                yield HistoryList(id="history")

    def on_mount(self) -> None:
        tabs = self.query_one(TabbedContent)
        for tab in (*KERNEL_TABS, *COLLECTIVE_TABS):
            tabs.hide_tab(tab)

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Show ``record`` in every tab that applies to it, against ``baseline``."""
        tabs = self.query_one(TabbedContent)
        kernel = isinstance(record.result, KernelResult)
        for tab in KERNEL_TABS:
            (tabs.show_tab if kernel else tabs.hide_tab)(tab)
        for tab in COLLECTIVE_TABS:
            (tabs.hide_tab if kernel else tabs.show_tab)(tab)
        self.query_one(SummaryView).show(record, baseline)
        if isinstance(record.result, KernelResult):
            base = baseline.result if baseline is not None else None
            same = baseline is not None and baseline.number == record.number
            kernel_base = base if isinstance(base, KernelResult) and not same else None
            self.query_one(StallBars).show(record.result, kernel_base)
            self.query_one(SmHeatmap).show(record.result)
            self.query_one(RooflineView).show(record, baseline)
        else:
            self.query_one(BusbwView).show(record, baseline)
        if tabs.active in ((*COLLECTIVE_TABS,) if kernel else KERNEL_TABS):
            tabs.active = "tab-summary"

    def focus_tabs(self) -> None:
        """Give the tab strip the focus (left and right then switch tabs)."""
        self.query_one(TabbedContent).query_one(Tabs).focus()

    def show_tab(self, tab: str) -> None:
        """Bring tab ``tab`` to the front."""
        self.query_one(TabbedContent).active = tab
