"""The terminal explorer: pick a scenario, change a knob, run, and read the result against a
baseline, without the interface ever waiting on the simulator.

Layout: scenarios and presets on the left, the parameter editor in the centre, the results
on the right (below 120 columns the editor and the results take turns, switched by the
tabs above them or by ``2`` and ``3``). Runs go to a separate simulation process
(``SimulationService``); an async worker polls it and draws each event, so ``esc`` can stop
a run at once by terminating that process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widgets import Footer, Header, Input, OptionList, Tab, Tabs
from textual.worker import Worker

from gpusim.errors import GpusimError
from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario, scenario_from_dict
from gpusim.tui.catalog import Entry, catalog, default_dirs
from gpusim.tui.commands import ExplorerCommands, bindings
from gpusim.tui.draft import Draft
from gpusim.tui.history import History, RunRecord, unmodified
from gpusim.tui.jobs import Failed, Finished, Phase, Progress
from gpusim.tui.screens.compare import CompareScreen
from gpusim.tui.screens.help import HelpScreen
from gpusim.tui.screens.prompt import PathPrompt
from gpusim.tui.service import SimulationService
from gpusim.tui.tomlwriter import write_scenario
from gpusim.tui.widgets.catalog_list import CatalogList
from gpusim.tui.widgets.editor import ParameterEditor
from gpusim.tui.widgets.history_list import HistoryList
from gpusim.tui.widgets.results import ResultsPane
from gpusim.tui.widgets.run_status import RunStatus

WIDE_COLUMNS = 120
"""From this width the editor and the results are side by side."""

POLL_S = 0.03
"""How often the worker looks for the simulation process's events."""

SIMULATION_GROUP = "simulation"

MAIN_SCREEN_ACTIONS = frozenset(
    {"run", "set_baseline", "compare", "save", "export", "toggle_mode", "focus_pane"}
    | {"history", "filter", "reset_baseline", "revert"}
)
"""Actions that act on the main screen, so another screen (compare, help) hides them."""


@dataclass(frozen=True)
class RunRequest:
    """A scenario to run, and whether the user asked for it or it is a default baseline."""

    scenario: Scenario
    mode: Mode
    purpose: Literal["run", "baseline"]

    @property
    def title(self) -> str:
        """What the run line calls it."""
        if self.purpose == "baseline":
            return f"baseline {self.scenario.name}"
        return self.scenario.name


class ExplorerApp(App[None]):
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

    @property
    def entries(self) -> list[Entry]:
        """Every scenario and preset the list offers."""
        return list(self._entries)

    @property
    def draft(self) -> Draft | None:
        """The scenario being edited."""
        return self._drafts.get(self._entry_key) if self._entry_key else None

    @property
    def running(self) -> bool:
        """Whether a run is in flight."""
        return any(
            worker.group == SIMULATION_GROUP and worker.is_running for worker in self.workers
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Main-screen actions are off (and out of the footer) while another screen is up."""
        return not (action in MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

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
        self._show_view("editor")

    @on(OptionList.OptionSelected, "#catalog")
    def _catalog_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_entry(event.option.id)
            self.query_one(CatalogList).focus()

    @on(OptionList.OptionSelected, "#history")
    def _history_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self._show_record(self.history.get(int(event.option.id)))

    @on(ParameterEditor.Edited)
    def _edited(self) -> None:
        self._update_subtitle()

    @on(Tabs.TabActivated, "#views")
    def _view_tab(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is not None:
            self._show_view(event.tab.id.removeprefix("view-"), from_tabs=True)

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

    # --- running ------------------------------------------------------------------------

    def action_run(self) -> None:
        """Run the scenario as edited (and its default baseline, when it has not run yet)."""
        if self.running:
            self.notify("A run is in flight: esc cancels it.", severity="warning")
            return
        scenario = self._edited_scenario("Run refused")
        if scenario is None:
            return
        requests = [RunRequest(scenario, self.mode, "run")]
        baseline = self._missing_baseline(scenario)
        if baseline is not None:
            requests.append(RunRequest(baseline, self.mode, "baseline"))
        self._run(requests)

    def _missing_baseline(self, scenario: Scenario) -> Scenario | None:
        """The default baseline of ``scenario``, if it is needed and has not run yet."""
        if self.baseline is not None:
            return None
        preset = self._unmodified(scenario)
        if preset is None or self.history.find(preset, self.mode) is not None:
            return None
        same = (preset.hardware, preset.workload) == (scenario.hardware, scenario.workload)
        return None if same else preset

    def action_cancel(self) -> None:
        """Stop the run in flight (the simulation process is replaced), else leave a field."""
        if self.running:
            self.workers.cancel_group(self, SIMULATION_GROUP)
            self.service.restart()
            self.query_one(RunStatus).stop()
            self.notify("Run cancelled: the simulation was stopped.", severity="warning")
            return
        if isinstance(self.focused, Input) and self.focused.id in ("edit-value", "filter"):
            self.query_one(ParameterEditor).focus_table()

    @work(group=SIMULATION_GROUP, exclusive=True, exit_on_error=False)
    async def _run(self, requests: list[RunRequest]) -> None:
        """Hand the runs to the simulation process one by one and draw what it reports."""
        status = self.query_one(RunStatus)
        try:
            for request in requests:
                status.start(f"{request.title}: starting")
                if not await self._run_one(request, status):
                    break
        finally:
            status.stop()

    async def _run_one(self, request: RunRequest, status: RunStatus) -> bool:
        scenario = request.scenario
        job = self.service.submit(dict(scenario.document), scenario.source, request.mode)
        while True:
            event = self.service.poll(job)
            if event is None:
                await asyncio.sleep(POLL_S)
            elif isinstance(event, Phase):
                status.phase(f"{request.title}: {event.text}")
            elif isinstance(event, Progress):
                status.progress(event.fraction)
            elif isinstance(event, Finished):
                self._finished(request, self.history.add(scenario, request.mode, event.outcome))
                return True
            elif isinstance(event, Failed):
                title = "gpusim failed (a bug)" if event.bug else "Run failed"
                self.notify(event.message, title=title, severity="error", timeout=15)
                return False

    def _finished(self, request: RunRequest, record: RunRecord) -> None:
        """Show a run the user asked for; a baseline run only fills in the deltas."""
        if request.purpose == "run" or self.shown is None:
            self._show_record(record)
            self._show_view("results")
        else:
            self._show_record(self.shown)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in a worker (drawing a result, writing a report) is a notification."""
        error = event.worker.error
        if error is not None:
            title = "Run failed" if event.worker.group == SIMULATION_GROUP else "Export failed"
            self.notify(f"{type(error).__name__}: {error}", title=title, severity="error")

    # --- results and baseline -----------------------------------------------------------

    def baseline_of(self, record: RunRecord) -> RunRecord | None:
        """The run ``record`` is compared with: the chosen baseline, else its preset's run."""
        if self.baseline is not None:
            return self.baseline
        preset = self._unmodified(record.scenario)
        return None if preset is None else self.history.find(preset, record.mode)

    def _show_record(self, record: RunRecord) -> None:
        self.shown = record
        self.query_one(ResultsPane).show(record, self.baseline_of(record))
        self._refresh_history()

    def _refresh_history(self) -> None:
        baseline = self.baseline.number if self.baseline is not None else None
        shown = self.shown.number if self.shown is not None else None
        self.query_one(HistoryList).show(self.history, baseline, shown)

    def action_set_baseline(self) -> None:
        """Make the run shown the baseline of every run after it."""
        if self.shown is None:
            self.notify("Run a scenario first: r runs it.", severity="warning")
            return
        self.baseline = self.shown
        self._show_record(self.shown)
        self.notify(f"Baseline: {self.shown.title} ({self.shown.describe()})")

    def action_reset_baseline(self) -> None:
        """Go back to comparing each run with its unmodified preset."""
        self.baseline = None
        if self.shown is not None:
            self._show_record(self.shown)
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

    # --- saving and exporting -----------------------------------------------------------

    def action_save(self) -> None:
        """Write the edited scenario as a TOML file that ``gpusim run`` accepts unchanged."""
        draft = self.draft
        if draft is None or self._edited_scenario("Save refused") is None:
            return
        default = Path.cwd() / f"{draft.scenario.name}.toml"
        prompt = PathPrompt("Save the scenario as", default, "a TOML file; esc cancels")
        self.push_screen(prompt, callback=self._save_to)

    def _save_to(self, path: Path | None) -> None:
        draft = self.draft
        if path is None or draft is None:
            return
        try:
            write_scenario(path, draft.document(), source=draft.scenario.source)
        except (OSError, GpusimError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            self.notify(f"{path}: cannot write: {reason}", title="Save failed", severity="error")
            return
        entry = Entry("scenario", path.stem, path)
        if all(known.key != entry.key for known in self._entries):
            scenarios = [known for known in self._entries if known.group == "scenario"]
            self._entries.insert(len(scenarios), entry)
            self.query_one(CatalogList).show(self._entries, current=self._entry_key)
        else:
            self._drafts.pop(entry.key, None)
        self.notify(f"Saved {path}: gpusim run {path} runs it", title="Saved")

    def action_export(self) -> None:
        """Write the run shown as the HTML report ``gpusim run --html`` writes."""
        record = self.shown
        if record is None:
            self.notify("Run a scenario first: r runs it, e then exports it.", severity="warning")
            return
        default = Path.cwd() / f"{record.scenario.name}-run{record.number}.html"
        prompt = PathPrompt(f"Export {record.title} as", default, "an HTML file; esc cancels")
        self.push_screen(prompt, callback=lambda path: self._export(record, path))

    def _export(self, record: RunRecord, path: Path | None) -> None:
        if path is not None:
            self._write_report(record, path)

    @work(thread=True, group="export", exit_on_error=False)
    def _write_report(self, record: RunRecord, path: Path) -> None:
        """Write the report off the interface's thread (Plotly takes a moment)."""
        from gpusim.report import write_report  # Plotly loads only when a report is written

        try:
            write_report(record.result, path, scenario=record.scenario, bound=record.bound)
        except (OSError, GpusimError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            self.call_from_thread(
                self.notify, f"{path}: {reason}", title="Export failed", severity="error"
            )
            return
        self.call_from_thread(self.notify, f"Wrote {path}", title="Exported")

    # --- panes, help and small actions --------------------------------------------------

    def action_help(self) -> None:
        """The keys and how the explorer works."""
        self.push_screen(HelpScreen())

    def action_focus_pane(self, pane: str) -> None:
        """Go to ``catalog``, ``editor`` or ``results``."""
        if pane == "catalog":
            self.query_one(CatalogList).focus()
            return
        self._show_view(pane)
        if pane == "editor":
            self.query_one(ParameterEditor).focus_table()
        else:
            self.query_one(ResultsPane).focus_tabs()

    def action_history(self) -> None:
        """Go to the history of this session's runs."""
        self._show_view("results")
        self.query_one(ResultsPane).show_tab("tab-history")
        self.query_one(HistoryList).focus()

    def action_filter(self) -> None:
        """Filter the parameters by name."""
        self._show_view("editor")
        self.query_one(ParameterEditor).focus_filter()

    def action_revert(self) -> None:
        """Put every parameter back as the scenario has it."""
        if self._entry_key is None or self.draft is None:
            return
        self._drafts[self._entry_key] = Draft(self.draft.scenario)
        self.query_one(ParameterEditor).load(self._drafts[self._entry_key])
        self._update_subtitle()

    def _show_view(self, view: str, *, from_tabs: bool = False) -> None:
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

    def _edited_scenario(self, refusal: str) -> Scenario | None:
        """The edited scenario, or ``None`` after saying which field stops it."""
        draft = self.draft
        if draft is None:
            self.notify("Choose a scenario first.", severity="warning")
            return None
        if draft.errors:
            path, message = next(iter(draft.errors.items()))
            self.notify(message, title=f"{refusal}: fix {path}", severity="error")
            self._show_view("editor")
            self.query_one(ParameterEditor).focus_field(path)
            return None
        try:
            return draft.build()
        except GpusimError as err:
            self.notify(str(err), title=refusal, severity="error")
            return None

    @staticmethod
    def _unmodified(scenario: Scenario) -> Scenario | None:
        """The scenario's workload on its unmodified preset (``None`` if that cannot run)."""
        try:
            return scenario_from_dict(unmodified(scenario.document), source=scenario.source)
        except GpusimError:
            return None
