"""Where a sweep's points run: in this process, or in a local process pool.

Each runner takes the points still to do and yields their outcomes as they finish, in
whatever order they finish; the sweep puts them back in point order. A runner is a
generator: closing it early (an interrupt, an error while storing) cancels the points not
yet started.

The pool's processes are spawned, not forked: each imports gpusim afresh and loads the
engine's machine code from the Numba cache on disk, so no lock or thread of this process
(SimPy's, Numba's, Dask's) is copied half-held into a child. A script that sweeps with
``jobs > 1`` therefore needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Generator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from gpusim.sweeps.point import PointOutcome, PointTask, collect, run_point


def run_serial(tasks: Sequence[PointTask]) -> Generator[PointOutcome, None, None]:
    """Each point in turn, in this process."""
    for task in tasks:
        yield run_point(task)


def run_pool(tasks: Sequence[PointTask], workers: int) -> Generator[PointOutcome, None, None]:
    """The points on ``workers`` spawned processes, yielded as each finishes."""
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_ignore_interrupts,
    )
    try:
        futures = {pool.submit(_run_in_worker, task): task.index for task in tasks}
        for future in as_completed(futures):
            yield collect(future, futures[future])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """An idle worker ignores Ctrl-C (the parent decides what an interrupt means)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_in_worker(task: PointTask) -> PointOutcome:
    """``run_point`` with Ctrl-C enabled while it runs, so an interrupt stops it at once."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run_point(task)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
