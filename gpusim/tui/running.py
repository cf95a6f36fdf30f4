"""Runs from the explorer: hand them to the simulation process, follow them, show them.

The simulation runs in a separate process (``SimulationService``); an async worker polls it
and draws each event, so the interface never waits and ``esc`` can stop a run at once by
terminating that process. A run the user asks for is followed by its default baseline
(the same workload on the unmodified preset) when that has not run yet in this mode.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from textual import work
from textual.widgets import Input
from textual.worker import Worker

from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario
from gpusim.tui.explorer_base import ExplorerBase
from gpusim.tui.history import RunRecord
from gpusim.tui.jobs import Failed, Finished, Phase, Progress
from gpusim.tui.widgets.editor import ParameterEditor
from gpusim.tui.widgets.run_status import RunStatus

POLL_S = 0.03
"""How often the worker looks for the simulation process's events."""

SIMULATION_GROUP = "simulation"


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


class RunActions(ExplorerBase):
    """The explorer's run, cancel and worker handling (a part of ``ExplorerApp``)."""

    @property
    def running(self) -> bool:
        """Whether a run is in flight."""
        return any(
            worker.group == SIMULATION_GROUP and worker.is_running for worker in self.workers
        )

    def action_run(self) -> None:
        """Run the scenario as edited (and its default baseline, when it has not run yet)."""
        if self.running:
            self.notify("A run is in flight: esc cancels it.", severity="warning")
            return
        scenario = self.edited_scenario("Run refused")
        if scenario is None:
            return
        requests = [RunRequest(scenario, self.mode, "run")]
        baseline = self.history.missing_baseline(scenario, self.mode, self.baseline)
        if baseline is not None:
            requests.append(RunRequest(baseline, self.mode, "baseline"))
        self.run_requests(requests)

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
    async def run_requests(self, requests: list[RunRequest]) -> None:
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
            self.show_record(record)
            self.show_view("results")
        else:
            self.show_record(self.shown)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in a worker (drawing a result, writing a report) is a notification."""
        error = event.worker.error
        if error is not None:
            title = "Run failed" if event.worker.group == SIMULATION_GROUP else "Export failed"
            self.notify(f"{type(error).__name__}: {error}", title=title, severity="error")
