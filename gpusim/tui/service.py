"""The explorer's side of its simulation process: start it, hand it jobs, read its events,
and stop it dead to cancel a run.

Reading is a non-blocking poll, so the interface never waits on the process; a process
that dies without answering (killed, out of memory) reads as a failed job, not a hang.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
from multiprocessing import resource_tracker
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from typing import Any

from gpusim.hw.sm.result import Mode
from gpusim.tui.jobs import Event, Failed, Job
from gpusim.tui.runner import serve

STOP_GRACE_S = 1.0
"""How long a terminated process gets to exit before it is killed."""


class SimulationService:
    """One simulation process at a time, replaced by a fresh one when a run is cancelled."""

    def __init__(self) -> None:
        # spawn, not fork: the explorer has threads (its terminal driver), and a forked
        # copy of a threaded process can deadlock.
        self._context = multiprocessing.get_context("spawn")
        # The queues' semaphores need multiprocessing's resource tracker, which is started
        # with the terminal's stderr. Start it now: once Textual runs, sys.stderr is its
        # capture object, which has no file descriptor to hand the tracker.
        resource_tracker.ensure_running()
        self._process: SpawnProcess | None = None
        self._requests: Queue[Job | None] | None = None
        self._events: Queue[Event] | None = None
        self._job_ids = itertools.count(1)

    @property
    def alive(self) -> bool:
        """Whether the process is running."""
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        """Start the process (it imports the simulator while the explorer draws)."""
        if self.alive:
            return
        self._requests = self._context.Queue()
        self._events = self._context.Queue()
        self._process = self._context.Process(
            target=serve,
            args=(self._requests, self._events, os.getpid()),
            name="gpusim-simulation",
            daemon=True,
        )
        self._process.start()

    def submit(self, document: dict[str, Any], source: str, mode: Mode) -> int:
        """Queue a scenario document to simulate; returns the job's number."""
        self.start()
        assert self._requests is not None  # set by start()
        job = Job(next(self._job_ids), document, source, mode)
        self._requests.put(job)
        return job.id

    def poll(self, job: int) -> Event | None:
        """The next event of ``job``, if one has arrived (events of other jobs, left over
        from an explorer that quit mid-run, are dropped); a ``Failed`` if the process died."""
        while self._events is not None:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            if event.job == job:
                return event
        if self._process is not None and not self._process.is_alive():
            code = self._process.exitcode
            return Failed(job, f"the simulation process stopped (exit code {code})", True)
        return None

    def restart(self) -> None:
        """Stop the process mid-run and start a fresh one (a cancel)."""
        self.stop()
        self.start()

    def stop(self) -> None:
        """Terminate the process at once, whatever it is doing."""
        process, self._process = self._process, None
        if process is not None and process.is_alive():
            process.terminate()
            process.join(STOP_GRACE_S)
            if process.is_alive():
                process.kill()
                process.join()
        for channel in (self._requests, self._events):
            if channel is not None:
                channel.cancel_join_thread()
                channel.close()
        self._requests = self._events = None

    def close(self) -> None:
        """Ask the process to finish, then stop it (the explorer is quitting)."""
        if self.alive and self._requests is not None:
            self._requests.put(None)
            assert self._process is not None  # alive
            self._process.join(STOP_GRACE_S / 2)
        self.stop()
