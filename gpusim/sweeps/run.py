"""``sweep``: every point of a scenario's sweep, simulated where asked, kept as it arrives.

The order of work: plan every point (resolve it, hash it); take the points the store already
holds as they are; send the rest to a runner (this process, a local process pool, or a Dask
cluster); store each outcome in its own transaction the moment it arrives. An interrupted
sweep has therefore lost only the points still running, and running it again simulates only
what is missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path

from gpusim.errors import GpusimError
from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario, load_scenario
from gpusim.store.db import ResultStore
from gpusim.store.records import NewRecord
from gpusim.sweeps.dask_runner import check_reachable, run_dask
from gpusim.sweeps.plan import AxisValues, PlannedPoint, SweepMode, plan_points, with_axes
from gpusim.sweeps.point import PointOutcome, PointTask
from gpusim.sweeps.result import Family, SweepRecord, SweepResult, key_metrics
from gpusim.sweeps.runners import run_pool, run_serial
from gpusim.workload import CollectiveWorkload

OnRecord = Callable[[SweepRecord, int], None]
"""Called with each record as it is finished (stored or found) and the sweep's point count."""


class SweepError(GpusimError):
    """A sweep cannot run as asked (e.g. a worker count below one)."""


def sweep(
    scenario: Scenario | str | Path,
    axes: Mapping[str, AxisValues] | None = None,
    *,
    sweep_mode: SweepMode = "grid",
    jobs: int | None = None,
    scheduler: str | None = None,
    store: ResultStore | str | Path | None = None,
    mode: Mode = "fast",
    on_record: OnRecord | None = None,
) -> SweepResult:
    """Simulate every point of a sweep; one record per point, in the sweep's point order.

    ``scenario`` is a loaded scenario or a scenario file. ``axes`` (dotted path -> a list of
    values or a ``{start, stop, step|factor}`` range), combined by ``sweep_mode``, replaces
    the scenario's ``[sweep]`` table; without it the table is used. ``jobs`` processes run
    the points (default: one per CPU core; 1 runs them in this process); ``scheduler``
    (``tcp://HOST:PORT``) sends them to a Dask cluster instead. Every point is written to
    ``store`` (a ``ResultStore``, a file, or by default ``default_store_path()``) as it
    finishes, and points the store already holds (same resolved spec, workload and mode, same
    gpusim version) are not simulated again. A point that fails is recorded with its
    one-line error and the others go on. An interrupt (``KeyboardInterrupt``) propagates
    after the pool is shut down; everything finished by then is stored.
    """
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise SweepError(f"jobs: must be >= 1, got {jobs}")
    if scheduler is not None:
        check_reachable(scheduler)
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if axes is not None:
        loaded = with_axes(loaded, axes, sweep_mode)
    plan = plan_points(loaded, mode)
    family = _family(loaded)
    collected: dict[int, SweepRecord] = {}

    def finish(record: SweepRecord) -> None:
        collected[record.index] = record
        if on_record is not None:
            on_record(record, len(plan))

    with _opened(store) as results:
        tasks = []
        for planned in plan:
            ready = _ready_record(results, loaded, planned, mode, family)
            if ready is None:
                assert planned.scenario is not None  # unresolved points are always ready
                tasks.append(PointTask(planned.index, planned.scenario, mode))
            else:
                finish(ready)
        if tasks:
            with contextlib.closing(_outcomes(tasks, jobs, scheduler)) as outcomes:
                for outcome in outcomes:
                    finish(_store_outcome(results, plan[outcome.index], outcome, mode, family))
        store_path = str(results.path)
    return SweepResult(
        scenario=loaded.name,
        source=loaded.source,
        family=family,
        sweep_mode=loaded.sweep_mode or "grid",
        axes={path: list(values) for path, values in loaded.sweep_axes.items()},
        mode=mode,
        store=store_path,
        records=tuple(collected[index] for index in range(len(plan))),
    )


def _family(scenario: Scenario) -> Family:
    return "collective" if isinstance(scenario.workload, CollectiveWorkload) else "kernel"


@contextlib.contextmanager
def _opened(store: ResultStore | str | Path | None) -> Iterator[ResultStore]:
    """The store to write: the caller's open one (left open), or one opened here."""
    if isinstance(store, ResultStore):
        yield store
        return
    with ResultStore(store) as opened:
        yield opened


def _ready_record(
    results: ResultStore, base: Scenario, planned: PlannedPoint, mode: Mode, family: Family
) -> SweepRecord | None:
    """The record of a point that needs no simulation: one that did not resolve (stored as
    an error), or one the store already holds. ``None`` for a point to simulate."""
    if planned.scenario is None:
        assert planned.error is not None  # a point resolves or says why not
        record = NewRecord.of_unresolved(base, planned.point, mode=mode, error=planned.error)
        run_id = results.add(record)
        return SweepRecord(planned.index, planned.point, "error", planned.error, {}, run_id, False)
    done = results.find_done(planned.scenario_hash)
    if done is None:
        return None
    metrics = key_metrics(family, done.metrics or {})
    return SweepRecord(planned.index, planned.point, "ok", None, metrics, done.id, True)


def _outcomes(
    tasks: list[PointTask], jobs: int, scheduler: str | None
) -> Generator[PointOutcome, None, None]:
    if scheduler is not None:
        return run_dask(tasks, scheduler)
    workers = min(jobs, len(tasks))
    return run_serial(tasks) if workers == 1 else run_pool(tasks, workers)


def _store_outcome(
    results: ResultStore,
    planned: PlannedPoint,
    outcome: PointOutcome,
    mode: Mode,
    family: Family,
) -> SweepRecord:
    """Store a simulated point's outcome (one transaction); its sweep record."""
    assert planned.scenario is not None  # only resolved points are simulated
    record = NewRecord.of_scenario(
        planned.scenario,
        kind="sweep-point",
        mode=mode,
        wall_s=outcome.wall_s,
        metrics=outcome.metrics,
        error=outcome.error,
        point=planned.point,
    )
    run_id = results.add(record)
    if outcome.error is not None:
        return SweepRecord(planned.index, planned.point, "error", outcome.error, {}, run_id, False)
    assert outcome.metrics is not None  # an outcome has metrics or an error
    metrics = key_metrics(family, outcome.metrics)
    return SweepRecord(planned.index, planned.point, "ok", None, metrics, run_id, False)
