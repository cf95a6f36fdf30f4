"""Where a sweep's points run: in this process, or in a local process pool.

Each runner takes the points still to do and yields their outcomes as they finish, in
whatever order they finish; the sweep puts them back in point order. A runner is a
generator: closing it early (an interrupt, an error while storing) cancels the points not
yet started.

The pool's processes are spawned, not forked: each imports gpusim afresh and loads the
engine's machine code from the Numba cache on disk, so no lock or thread of this process
(SimPy's, Numba's, Dask's) is copied half-held into a child. A script that sweeps with
``jobs > 1`` therefore needs the usual ``if __name__ == "__main__":`` guard.

Workers ignore Ctrl-C; the parent decides. A pool closed early terminates its workers
rather than wait for them: a busy one's point would be lost anyway, and a terminated worker
is gone at once, even inside the engine's jitted loop. Each worker also dies with the
parent if the parent is killed (``parent_watch``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from gpusim.sweeps.parent_watch import end_with_parent
from gpusim.sweeps.point import PointOutcome, PointTask, collect, run_point

STOP_TIMEOUT_S = 5.0
"""How long a closed pool waits for its terminated workers to be gone."""


def run_serial(tasks: Iterable[PointTask]) -> Generator[PointOutcome, None, None]:
    """Each point in turn, in this process."""
    for task in tasks:
        yield run_point(task)


def run_pool(tasks: Iterable[PointTask], workers: int) -> Generator[PointOutcome, None, None]:
    """The points on ``workers`` spawned processes, yielded as each finishes. ``tasks`` is
    drawn from only as a worker comes free (so a point is taken, and claimed, just before
    it starts)."""
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    to_start = iter(tasks)
    running: dict[Future[PointOutcome], int] = {}

    def start_next() -> None:
        task = next(to_start, None)
        if task is not None:
            running[pool.submit(run_point, task)] = task.index

    try:
        for _ in range(workers):
            start_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                start_next()
                yield collect(future, running.pop(future))
    except BaseException:  # an interrupt, a failed store, the generator closed: stop now
        _terminate(pool)
        raise
    pool.shutdown(wait=True)


def _start_worker(parent_pid: int) -> None:
    """A worker ignores Ctrl-C (the parent decides what it means) and dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent_pid)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel the points not started and terminate the workers, busy or not (Python 3.14's
    ``terminate_workers``, which 3.11 lacks)."""
    processes = list(pool._processes.values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_TIMEOUT_S)
