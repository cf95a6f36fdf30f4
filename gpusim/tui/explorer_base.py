"""The explorer's state and the views every part of it updates.

``ExplorerApp`` is this class with its layout and keys (``app``), its runs (``running``)
and its save and export (``saving``); those parts share what is here: the scenarios and
their drafts, the runs of the session, the run shown and the baseline, and the helpers
that show a run, switch view, or refuse an edited scenario that does not build.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual.app import App
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widgets import Tabs

from gpusim.errors import GpusimError
from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario
from gpusim.tui.catalog import Entry, catalog, default_dirs
from gpusim.tui.draft import Draft
from gpusim.tui.history import History, RunRecord
from gpusim.tui.service import SimulationService
from gpusim.tui.widgets.editor import ParameterEditor
from gpusim.tui.widgets.history_list import HistoryList
from gpusim.tui.widgets.results import ResultsPane


class ExplorerBase(App[None]):
    """What the explorer knows and shows; the actions live in its subclasses."""

    mode: reactive[Mode] = reactive("fast")

    def __init__(
        self,
        files: Sequence[Path] = (),
        dirs: Sequence[Path] | None = None,
        *,
        service: SimulationService | None = None,
    ) -> None:
        """``files``: scenario files to list first (the first one opens); ``dirs``: folders
        of scenarios (default: ``scenarios/`` here and in the checkout); ``service``: a
        simulation process to share (tests), else the app starts and stops its own."""
        super().__init__()
        self._entries = catalog(files, default_dirs() if dirs is None else dirs)
        self._first = Entry("scenario", files[0].stem, files[0]).key if files else None
        self.service = service if service is not None else SimulationService()
        self._owns_service = service is None
        self.history = History()
        self.shown: RunRecord | None = None
        """The run the results pane shows."""
        self.baseline: RunRecord | None = None
        """The baseline chosen with ``b``; ``None``: each run's unmodified preset."""
        self._drafts: dict[str, Draft] = {}
        self._entry_key: str | None = None

    @property
    def entries(self) -> list[Entry]:
        """Every scenario and preset the list offers."""
        return list(self._entries)

    @property
    def draft(self) -> Draft | None:
        """The scenario being edited."""
        return self._drafts.get(self._entry_key) if self._entry_key else None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification, as plain text by default: gpusim's messages name tables such
        as ``[gpu]``, which Textual would otherwise read as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def baseline_of(self, record: RunRecord) -> RunRecord | None:
        """The run ``record`` is compared with: the chosen baseline, else its preset's run."""
        return self.history.baseline_of(record, self.baseline)

    def show_record(self, record: RunRecord) -> None:
        """Show ``record`` in the results pane, against its baseline."""
        self.shown = record
        self.query_one(ResultsPane).show(record, self.baseline_of(record))
        self._refresh_history()

    def _refresh_history(self) -> None:
        baseline = self.baseline.number if self.baseline is not None else None
        shown = self.shown.number if self.shown is not None else None
        self.query_one(HistoryList).show(self.history, baseline, shown)

    def show_view(self, view: str, *, from_tabs: bool = False) -> None:
        """Below 120 columns, show the editor or the results (and keep the tabs in step).

        Focus inside the pane that is hidden moves to the pane that is shown, so the keys
        never go to an invisible field.
        """
        panes = self.query_one("#panes")
        panes.set_class(view == "editor", "-show-editor")
        panes.set_class(view == "results", "-show-results")
        if not from_tabs:
            self.query_one("#views", Tabs).active = f"view-{view}"
        hidden = self.query_one(ResultsPane if view == "editor" else ParameterEditor)
        focused = self.focused
        if focused is not None and hidden in focused.ancestors and self.screen.has_class("-narrow"):
            if view == "editor":
                self.query_one(ParameterEditor).focus_table()
            else:
                self.query_one(ResultsPane).focus_tabs()

    def edited_scenario(self, refusal: str) -> Scenario | None:
        """The edited scenario, or ``None`` after saying which field stops it."""
        draft = self.draft
        if draft is None:
            self.notify("Choose a scenario first.", severity="warning")
            return None
        if draft.errors:
            path, message = next(iter(draft.errors.items()))
            self.notify(message, title=f"{refusal}: fix {path}", severity="error")
            self.show_view("editor")
            self.query_one(ParameterEditor).focus_field(path)
            return None
        try:
            return draft.build()
        except GpusimError as err:
            self.notify(str(err), title=refusal, severity="error")
            return None
