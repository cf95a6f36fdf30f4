"""``sweep``: every point of a scenario's sweep, simulated where asked, kept as it arrives.

The order of work: plan every point (resolve it, hash it); take the points the store already
holds as they are; send the rest to a runner (this process, a local process pool, or a Dask
cluster); store each outcome in its own transaction the moment it arrives. An interrupted
sweep has therefore lost only the points still running, and running it again simulates only
what is missing. Before a point is simulated it is claimed in the store, so two sweeps
sharing a store at once split the points between them rather than both run every one
(``gpusim.store.claims``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gpusim.errors import GpusimError
from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario, load_scenario
from gpusim.store.claims import Claimant
from gpusim.store.db import ResultStore
from gpusim.store.records import NewRecord, StoredRecord
from gpusim.sweeps.dask_runner import check_reachable, run_dask
from gpusim.sweeps.plan import AxisValues, PlannedPoint, SweepMode, plan_points, with_axes
from gpusim.sweeps.point import PointOutcome, PointTask
from gpusim.sweeps.result import Family, SweepRecord, SweepResult, key_metrics
from gpusim.sweeps.runners import run_pool, run_serial
from gpusim.training.model import TrainingStepWorkload
from gpusim.workload import CollectiveWorkload

CLAIM_POLL_S = 0.5
"""How often a sweep looks for the records of points another sweep is simulating."""

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
    one-line error and the others go on. A point another sweep is simulating in the same
    store is waited for, not simulated again. An interrupt (``KeyboardInterrupt``)
    propagates after the pool's workers are stopped; everything finished by then is stored.
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
        before_id = results.last_id()
        waiting = []
        for planned in plan:
            ready = _ready_record(results, loaded, planned, mode, family)
            if ready is None:
                waiting.append(planned)
            else:
                finish(ready)
        runner = _Runner(results, plan, before_id, mode, family, jobs, scheduler, finish)
        runner.run(waiting)
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
    if isinstance(scenario.workload, TrainingStepWorkload):
        return "training"
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
    return None if done is None else _found(planned, done, family)


def _found(planned: PlannedPoint, stored: StoredRecord, family: Family) -> SweepRecord:
    """The sweep record of a point whose record was found in the store."""
    if stored.status == "error":
        return SweepRecord(planned.index, planned.point, "error", stored.error, {}, stored.id, True)
    metrics = key_metrics(family, stored.metrics or {})
    return SweepRecord(planned.index, planned.point, "ok", None, metrics, stored.id, True)


@dataclass(frozen=True)
class _Runner:
    """Simulates a sweep's points, each at most once among the sweeps sharing the store."""

    results: ResultStore
    plan: list[PlannedPoint]
    before_id: int
    """The newest record before this sweep looked: a newer one of a point was stored by
    another sweep while this one ran."""
    mode: Mode
    family: Family
    jobs: int
    scheduler: str | None
    finish: Callable[[SweepRecord], None]
    claimant: Claimant = field(default_factory=Claimant.this_process)

    def run(self, waiting: list[PlannedPoint]) -> None:
        """Simulate the points no other sweep is simulating, each claimed just before it
        starts; then wait for the others' records (or for their claims to go stale, and
        take them over). Whatever stops the sweep, its unfinished claims are released."""
        try:
            while waiting:
                deferred: list[PlannedPoint] = []
                started = self._simulate(self._claimed(waiting, deferred), len(waiting))
                waiting = [planned for planned in deferred if not self._stored_by_another(planned)]
                if waiting and not started:
                    time.sleep(CLAIM_POLL_S)
        finally:
            self.results.release(self.claimant)

    def _claimed(
        self, points: list[PlannedPoint], deferred: list[PlannedPoint]
    ) -> Iterator[PointTask]:
        """The tasks of ``points`` this sweep could claim, claimed as they are drawn; the
        others are appended to ``deferred``."""
        for planned in points:
            hashes = [planned.scenario_hash]
            if self.results.claim(hashes, self.claimant, after_id=self.before_id):
                assert planned.scenario is not None  # unresolved points are always ready
                yield PointTask(planned.index, planned.scenario, self.mode)
            else:
                deferred.append(planned)

    def _simulate(self, tasks: Iterator[PointTask], most: int) -> int:
        """Run and store ``tasks`` (at most ``most`` of them); how many there were."""
        started = 0
        with contextlib.closing(_outcomes(tasks, most, self.jobs, self.scheduler)) as outcomes:
            for outcome in outcomes:
                started += 1
                self.finish(self._store(self.plan[outcome.index], outcome))
        return started

    def _stored_by_another(self, planned: PlannedPoint) -> bool:
        """Finish ``planned`` with the record another sweep stored of it, if there is one."""
        stored = self.results.find_since(planned.scenario_hash, self.before_id)
        if stored is not None:
            self.finish(_found(planned, stored, self.family))
        return stored is not None

    def _store(self, planned: PlannedPoint, outcome: PointOutcome) -> SweepRecord:
        """Store a simulated point's outcome (one transaction, ending its claim); its sweep
        record."""
        assert planned.scenario is not None  # only resolved points are simulated
        record = NewRecord.of_scenario(
            planned.scenario,
            kind="sweep-point",
            mode=self.mode,
            wall_s=outcome.wall_s,
            metrics=outcome.metrics,
            error=outcome.error,
            point=planned.point,
        )
        run_id = self.results.add(record, claimant=self.claimant)
        if outcome.error is not None:
            return SweepRecord(
                planned.index, planned.point, "error", outcome.error, {}, run_id, False
            )
        assert outcome.metrics is not None  # an outcome has metrics or an error
        metrics = key_metrics(self.family, outcome.metrics)
        return SweepRecord(planned.index, planned.point, "ok", None, metrics, run_id, False)


def _outcomes(
    tasks: Iterator[PointTask], most: int, jobs: int, scheduler: str | None
) -> Generator[PointOutcome, None, None]:
    if scheduler is not None:
        return run_dask(tasks, scheduler)
    workers = min(jobs, most)
    return run_serial(tasks) if workers == 1 else run_pool(tasks, workers)
