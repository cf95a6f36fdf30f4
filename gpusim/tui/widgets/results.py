"""The results pane: a tab per panel of the run shown (``gpusim.tui.panels``), then the
session's history. A panel that does not apply to the run shown is hidden rather than left
empty, and the pane falls back to the summary if the tab in front is hidden.
"""

from __future__ import annotations

from typing import cast

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import TabbedContent, TabPane, Tabs

from gpusim.tui.history import RunRecord
from gpusim.tui.panels import PANELS, RunView
from gpusim.tui.widgets.history_list import HistoryList

HISTORY_TAB = "tab-history"


class ResultsPane(Vertical):
    """The panels' tabs, then History."""

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
            for panel in PANELS:
                with TabPane(panel.title, id=panel.tab_id):
                    view = panel.widget(id=panel.name)
                    if panel.scrolls:
                        with VerticalScroll():
                            yield view
                    else:
                        yield view
            with TabPane("History", id=HISTORY_TAB):
                yield HistoryList(id="history")

    def on_mount(self) -> None:
        tabs = self.query_one(TabbedContent)
        for panel in PANELS:
            if panel.runs != "any":
                tabs.hide_tab(panel.tab_id)

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Show ``record`` in every panel that applies to it, against ``baseline``."""
        tabs = self.query_one(TabbedContent)
        applies = {panel.tab_id: panel.applies_to(record) for panel in PANELS}
        if not applies.get(tabs.active, True):
            # before hiding it: a hidden front tab would hand the front to the next (History)
            tabs.active = PANELS[0].tab_id
        for panel in PANELS:
            if applies[panel.tab_id]:
                tabs.show_tab(panel.tab_id)
                cast(RunView, self.query_one(f"#{panel.name}")).show(record, baseline)
            else:
                tabs.hide_tab(panel.tab_id)

    def focus_tabs(self) -> None:
        """Give the tab strip the focus (left and right then switch tabs)."""
        self.query_one(TabbedContent).query_one(Tabs).focus()

    def show_history(self) -> None:
        """Bring the History tab to the front."""
        self.query_one(TabbedContent).active = HISTORY_TAB
