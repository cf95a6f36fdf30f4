"""The simulation process: runs the explorer's jobs one at a time and reports as it goes.

The engine is Numba-compiled code that a thread cannot interrupt, so simulations run in
this separate process; cancelling a run terminates the process and the explorer starts a
fresh one. The process stays alive between jobs, so the engine's machine code and the
traces it has read stay loaded and a second run starts at once.
"""

from __future__ import annotations

import os
import queue
import signal
import traceback
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.queues import Queue

from gpusim.api import kernel_of, kernel_trace, simulate_trace, trace_cc
from gpusim.collectives import check_collective, simulate_collective, sweep_collective, sweep_sizes
from gpusim.cuda.kernels import KernelParams
from gpusim.cuda.tracecache import trace_path
from gpusim.errors import GpusimError
from gpusim.hw.sm.engine_cache import engine_compiled
from gpusim.scenario import Scenario, scenario_from_dict
from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.simulate import simulate_training
from gpusim.tui.jobs import Event, Failed, Finished, Job, Outcome, Phase, Progress
from gpusim.workload import CollectiveWorkload, KernelWorkload

Emit = Callable[[Event], None]

BUSBW_SIZES_BYTES = tuple(2**power for power in range(10, 31))
"""1 KiB to 1 GiB, doubling: the sizes of a collective's busbw curve."""

COMPILING = "compiling the engine: first run of this gpusim version, about a minute"

PROGRESS_STEP = 0.01
"""Progress is reported in steps of at least this fraction, so the queue never floods."""

PARENT_CHECK_S = 1.0
"""How often an idle process checks that the explorer that started it is still there."""


def serve(requests: Queue[Job | None], events: Queue[Event], parent_pid: int) -> None:
    """Run jobs from ``requests`` until ``None`` arrives or the explorer is gone."""
    _silence()
    warm = False
    while True:
        try:
            job = requests.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return
            continue
        if job is None:
            return
        events.put(execute(job, events.put, warm=warm))
        warm = True


def execute(job: Job, emit: Emit, *, warm: bool) -> Finished | Failed:
    """Run one job; ``warm`` says whether this process has run the engine before."""
    try:
        scenario = scenario_from_dict(job.document, source=job.source)
        if isinstance(scenario.workload, CollectiveWorkload):
            assert isinstance(scenario.hardware, SystemSpec)  # checked on load
            outcome = _collective(job, scenario.hardware, scenario.workload, emit)
        elif isinstance(scenario.workload, TrainingStepWorkload):
            assert isinstance(scenario.hardware, SystemSpec)  # checked on load
            outcome = _training(job, scenario.hardware, scenario.workload, emit, warm=warm)
        else:
            outcome = _kernel(job, scenario, scenario.workload, emit, warm=warm)
    except GpusimError as err:
        return Failed(job.id, str(err))
    except Exception as err:  # a bug in gpusim: say where, keep the explorer alive
        where = traceback.extract_tb(err.__traceback__)[-1]
        place = f"{os.path.basename(where.filename)}:{where.lineno}"
        return Failed(job.id, f"{type(err).__name__}: {err} ({place})", bug=True)
    return Finished(job.id, outcome)


def _kernel(
    job: Job, scenario: Scenario, workload: KernelWorkload, emit: Emit, *, warm: bool
) -> Outcome:
    gpu = scenario.gpu
    kernel, params = kernel_of(workload)
    if not trace_path(kernel, params, trace_cc(gpu)).exists():
        emit(Phase(job.id, f"tracing {workload.describe()}: first run at this size, seconds"))
    trace = kernel_trace(gpu, kernel, params)
    if not warm:
        emit(Phase(job.id, _engine_phase()))
    reporter = _ProgressReporter(job.id, emit, f"simulating ({job.mode} mode)")
    result = simulate_trace(gpu, trace, mode=job.mode, timeline=True, progress=reporter)
    return Outcome(result)


def _collective(job: Job, system: SystemSpec, workload: CollectiveWorkload, emit: Emit) -> Outcome:
    emit(Phase(job.id, f"simulating {workload.describe()}"))
    result = simulate_collective(system, workload)
    ranks = check_collective(system, workload)
    sizes = sweep_sizes(workload, BUSBW_SIZES_BYTES, ranks)
    emit(Phase(job.id, f"busbw over {len(sizes)} sizes"))
    done: list[int] = []

    def on_result(_: object) -> None:
        done.append(1)
        emit(Progress(job.id, len(done) / len(sizes)))

    sweep = sweep_collective(system, workload, sizes, on_result=on_result)
    return Outcome(result, tuple(sweep))


def _training(
    job: Job, system: SystemSpec, workload: TrainingStepWorkload, emit: Emit, *, warm: bool
) -> Outcome:
    emit(Phase(job.id, f"simulating {workload.describe()}"))
    result = simulate_training(
        system, workload, mode=job.mode, watch=_LaunchReporter(job, emit, warm=warm)
    )
    return Outcome(result)


class _LaunchReporter:
    """A training step's ``LaunchWatch``: each operator shape no cache holds is a phase
    (traced, then simulated on the engine, with its progress); cached ones take no time."""

    def __init__(self, job: Job, emit: Emit, *, warm: bool) -> None:
        self._job, self._emit, self._warm = job, emit, warm
        self._launches = 0

    def __call__(self, kernel: str, params: KernelParams) -> _ProgressReporter:
        self._launches += 1
        shape = " ".join(f"{name}={size}" for name, size in asdict(params).items())
        what = f"operator {self._launches} not cached: {kernel} {shape}"
        engine = "" if self._warm else f", then {_engine_phase()}"
        self._emit(Phase(self._job.id, f"{what}: tracing{engine}"))
        self._warm = True
        simulating = f"{what}: simulating ({self._job.mode} mode)"
        return _ProgressReporter(self._job.id, self._emit, simulating)


def _engine_phase() -> str:
    return "loading the engine" if engine_compiled() else COMPILING


class _ProgressReporter:
    """The engine's progress callback: a phase on the first call, then throttled fractions."""

    def __init__(self, job: int, emit: Emit, phase: str) -> None:
        self._job, self._emit, self._phase = job, emit, phase
        self._last: float | None = None

    def __call__(self, fraction: float) -> None:
        if self._last is None:
            self._emit(Phase(self._job, self._phase))
            self._last = -1.0
        if fraction - self._last >= PROGRESS_STEP or fraction >= 1.0:
            self._last = fraction
            self._emit(Progress(self._job, fraction))


def _silence() -> None:
    """Keep the process off the terminal the explorer draws on (and off Ctrl+C)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
