"""The terminal explorer: pick a scenario, change a knob, run, and read the result against a
baseline, without the interface ever waiting on the simulator.

Layout: scenarios and presets on the left, the parameter editor in the centre, the results
on the right (below 120 columns the editor and the results take turns, switched by the
tabs above them or by ``2`` and ``3``). This module holds the layout, the keys, opening
scenarios, the baseline and moving between panes; the runs are in ``running``, save and
export in ``saving``, and the state they all share in ``explorer_base``.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, OptionList, Tab, Tabs

from gpusim.errors import GpusimError
from gpusim.tui.commands import ExplorerCommands, bindings
from gpusim.tui.draft import Draft
from gpusim.tui.running import RunActions
from gpusim.tui.saving import FileActions
from gpusim.tui.screens.compare import CompareScreen
from gpusim.tui.screens.help import HelpScreen
from gpusim.tui.widgets.catalog_list import CatalogList
from gpusim.tui.widgets.editor import ParameterEditor
from gpusim.tui.widgets.history_list import HistoryList
from gpusim.tui.widgets.results import ResultsPane
from gpusim.tui.widgets.run_status import RunStatus

WIDE_COLUMNS = 120
"""From this width the editor and the results are side by side."""

MAIN_SCREEN_ACTIONS = frozenset(
    {"run", "set_baseline", "compare", "save", "export", "toggle_mode", "focus_pane"}
    | {"history", "filter", "reset_baseline", "revert"}
)
"""Actions that act on the main screen, so another screen (compare, help) hides them."""


class ExplorerApp(RunActions, FileActions):
    """``gpusim tui``: explore scenarios, run them, compare the results."""

    TITLE = "gpusim explorer"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings())
    COMMANDS = App.COMMANDS | {ExplorerCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_COLUMNS, "-wide")]  # noqa: RUF012 (Textual's type)

    CSS = """
    #body {
        height: 1fr;
    }
    #catalog {
        width: 24;
        border-right: vkey $foreground 20%;
    }
    Screen.-narrow #catalog {
        width: 20;
    }
    #main {
        width: 1fr;
    }
    #views {
        height: 2;
    }
    Screen.-wide #views {
        display: none;
    }
    #panes {
        height: 1fr;
    }
    #editor, #results {
        width: 1fr;
    }
    Screen.-wide #editor {
        width: 5fr;
    }
    Screen.-wide #results {
        width: 6fr;
    }
    Screen.-wide #results {
        border-left: vkey $foreground 20%;
    }
    Screen.-narrow #panes.-show-results #editor {
        display: none;
    }
    Screen.-narrow #panes.-show-editor #results {
        display: none;
    }
    """

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield CatalogList(id="catalog")
            with Vertical(id="main"):
                yield Tabs(
                    Tab("Parameters", id="view-editor"),
                    Tab("Results", id="view-results"),
                    id="views",
                )
                with Horizontal(id="panes", classes="-show-editor"):
                    yield ParameterEditor(id="editor")
                    yield ResultsPane(id="results")
        yield RunStatus(id="run-status")
        yield Footer()

    def on_mount(self) -> None:
        self.service.start()
        self.query_one(CatalogList).show(self._entries)
        self._refresh_history()
        self._update_subtitle()
        first = self._first or next(
            (entry.key for entry in self._entries if entry.label == "quickstart"),
            self._entries[0].key,
        )
        self.open_entry(first)
        self.query_one(CatalogList).focus()

    def on_unmount(self) -> None:
        if self._owns_service:
            self.service.close()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Main-screen actions are off (and out of the footer) while another screen is up."""
        return not (action in MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

    # --- opening scenarios --------------------------------------------------------------

    def open_entry(self, key: str) -> None:
        """Open the scenario or preset ``key`` in the editor (its edits are kept per entry)."""
        entry = self.query_one(CatalogList).entry(key)
        if key not in self._drafts:
            try:
                self._drafts[key] = Draft(entry.load())
            except GpusimError as err:
                self.notify(str(err), title="Cannot open", severity="error")
                return
        self._entry_key = key
        self.query_one(ParameterEditor).load(self._drafts[key])
        self.query_one(CatalogList).show(self._entries, current=key)
        self._update_subtitle()
        self.show_view("editor")

    @on(OptionList.OptionSelected, "#catalog")
    def _catalog_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_entry(event.option.id)
            self.query_one(CatalogList).focus()

    @on(OptionList.OptionSelected, "#history")
    def _history_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.show_record(self.history.get(int(event.option.id)))

    @on(ParameterEditor.Edited)
    def _edited(self) -> None:
        self._update_subtitle()

    @on(Tabs.TabActivated, "#views")
    def _view_tab(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is not None:
            self.show_view(event.tab.id.removeprefix("view-"), from_tabs=True)

    def watch_mode(self) -> None:
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        draft = self.draft
        parts = [draft.scenario.name] if draft is not None else []
        if draft is not None and draft.edits:
            parts.append(f"{len(draft.edits)} changed")
        if draft is not None and draft.errors:
            parts.append(f"{len(draft.errors)} invalid")
        parts.append(f"{self.mode} mode")
        self.sub_title = " · ".join(parts)

    # --- results and baseline -----------------------------------------------------------

    def action_set_baseline(self) -> None:
        """Make the run shown the baseline of every run after it."""
        if self.shown is None:
            self.notify("Run a scenario first: r runs it.", severity="warning")
            return
        self.baseline = self.shown
        self.show_record(self.shown)
        self.notify(f"Baseline: {self.shown.title} ({self.shown.describe()})")

    def action_reset_baseline(self) -> None:
        """Go back to comparing each run with its unmodified preset."""
        self.baseline = None
        if self.shown is not None:
            self.show_record(self.shown)
        self.notify("Baseline: each run's unmodified preset")

    def action_compare(self) -> None:
        """Compare the two runs marked in History, else the run shown with its baseline."""
        marked = self.query_one(HistoryList).marked
        if len(marked) == 2:
            first, second = (self.history.get(number) for number in sorted(marked))
        elif self.shown is not None and (base := self.baseline_of(self.shown)) is not None:
            first, second = base, self.shown
        else:
            self.notify(
                "Mark two runs in History (h, then space on each) to compare them.",
                severity="warning",
            )
            return
        self.push_screen(CompareScreen(first, second))

    def action_toggle_mode(self) -> None:
        """Switch between fast mode and detailed mode (every SM and warp simulated)."""
        self.mode = "detailed" if self.mode == "fast" else "fast"
        if self.mode == "detailed":
            self.notify(
                "Detailed mode: every SM and warp is simulated, so the SM map shows them all; "
                "a run takes about a minute. d switches back.",
                title="Detailed mode",
            )

    # --- panes, help and small actions --------------------------------------------------

    def action_help(self) -> None:
        """The keys and how the explorer works."""
        self.push_screen(HelpScreen())

    def action_focus_pane(self, pane: str) -> None:
        """Go to ``catalog``, ``editor`` or ``results``."""
        if pane == "catalog":
            self.query_one(CatalogList).focus()
            return
        self.show_view(pane)
        if pane == "editor":
            self.query_one(ParameterEditor).focus_table()
        else:
            self.query_one(ResultsPane).focus_tabs()

    def action_history(self) -> None:
        """Go to the history of this session's runs."""
        self.show_view("results")
        self.query_one(ResultsPane).show_history()
        self.query_one(HistoryList).focus()

    def action_filter(self) -> None:
        """Filter the parameters by name."""
        self.show_view("editor")
        self.query_one(ParameterEditor).focus_filter()

    def action_revert(self) -> None:
        """Put every parameter back as the scenario has it."""
        if self._entry_key is None or self.draft is None:
            return
        self._drafts[self._entry_key] = Draft(self.draft.scenario)
        self.query_one(ParameterEditor).load(self._drafts[self._entry_key])
        self._update_subtitle()
