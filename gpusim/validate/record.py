"""Record the validation suite on the current CUDA GPU into a measurement file.

``python3 -m gpusim.validate.record --out FILE [--quick]`` (or ``gpusim validate record``)
runs every case of the suite: compile and warm up, choose the repetitions from the warm-up
time, time them back to back with CUDA events behind a blocker (``timing``), and check the
output on a sample against the kernel's reference (``checks``). The file is rewritten
atomically after every case, so a recording cut short still leaves valid JSON holding what
was done (``status: "partial"``). ``--budget-s`` skips the cases that would not finish
before the deadline, judged by their planned time (``suite.plan_seconds``).

This module, and everything it imports, needs only the standard library, NumPy and Numba:
it runs on the lent GPU machines, which have no pydantic, SimPy, Plotly or Textual.
PyTorch, when present there, adds the library reference cases.

Exit codes: 0 when every recorded case passed its check, 1 when a case failed its check or
raised, 2 on a user error (no GPU, a bad option), with one line on stderr.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import numpy as np
from numba import cuda
from numba.cuda.core import config

from gpusim.cuda.kernels import CopyParams, get_kernel
from gpusim.cuda.kernels.copy_def import VECTOR_BYTES
from gpusim.errors import GpusimError, MeasurementError
from gpusim.validate import library, provenance, runners
from gpusim.validate.inputs import HostInputs
from gpusim.validate.measurements import (
    CaseRecord,
    FailedCase,
    MeasurementFile,
    SkippedCase,
    save_measurements,
)
from gpusim.validate.suite import (
    SIMULATOR_POLICY,
    SUITE_NAMES,
    Case,
    KernelCase,
    LibraryCase,
    RingAllreduceCase,
    SuiteName,
    TimingPolicy,
    plan,
    suite_cases,
)
from gpusim.validate.timing import (
    Blocker,
    EventFactory,
    NumbaEvent,
    WallClockEvent,
    time_repetitions,
    time_series,
)

DEFAULT_SEED = 20240501
DEFAULT_BUDGET_S: dict[SuiteName, float] = {"full": 510.0, "quick": 150.0, "smoke": 120.0}
"""Under the 9-minute limit of one device call (full) and about 2 minutes (quick)."""
MAX_CONSECUTIVE_FAILURES = 3
"""After this many cases raise in a row the CUDA context is likely broken: stop."""
BLOCKER_COPY = CopyParams(size_bytes=256 * 1024 * 1024)

Log = Callable[[str], None]


@dataclass(frozen=True)
class RecordOptions:
    """What to record and where; ``budget_s`` None takes the suite's default."""

    out: Path
    suite: SuiteName = "full"
    budget_s: float | None = None
    library: bool = True
    commit: str | None = None
    seed: int = DEFAULT_SEED


def simulator_enabled() -> bool:
    """True under ``NUMBA_ENABLE_CUDASIM=1`` (set before Numba is imported)."""
    return bool(config.ENABLE_CUDASIM)


def require_gpu() -> None:
    """MeasurementError unless a CUDA GPU (or the CUDA simulator) is there to record on."""
    if simulator_enabled() or cuda.is_available():
        return
    raise MeasurementError(
        "no CUDA GPU: recording needs an NVIDIA GPU with its driver "
        "(or NUMBA_ENABLE_CUDASIM=1 for a structural test run)"
    )


def print_plan(suite: SuiteName, *, with_library: bool, log: Log) -> float:
    """One line per planned case and the planned total, in seconds; returns the total."""
    planned = plan(suite_cases(suite, library=with_library), TimingPolicy())
    for case, seconds in planned:
        log(f"{seconds:8.1f} s  {case.case_id}")
    total_s = sum(seconds for _, seconds in planned)
    log(f"{total_s:8.1f} s  planned for {len(planned)} cases of the {suite} suite")
    return total_s


class _Session:
    """One recording: the device, the inputs, the file so far, and the clock."""

    def __init__(self, options: RecordOptions, argv: Sequence[str], log: Log) -> None:
        self.options = options
        self.log = log
        self.simulator = simulator_enabled()
        self.policy = SIMULATOR_POLICY if self.simulator else TimingPolicy()
        self.started_s = time.perf_counter()
        self.rng = np.random.default_rng(options.seed)
        self.inputs = HostInputs(options.seed)
        self.torch: ModuleType | None = None
        self._blocker: Blocker | None = None
        self._torch_blocker: Blocker | None = None
        self.consecutive_failures = 0
        self.file = MeasurementFile(
            suite=options.suite,
            status="partial",
            provenance=provenance.collect(
                simulator=self.simulator, commit=options.commit, argv=list(argv)
            ),
        )

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started_s

    def save(self) -> None:
        save_measurements(self.file, self.options.out)

    def new_event(self) -> EventFactory:
        return WallClockEvent if self.simulator else NumbaEvent

    def blocker(self) -> Blocker | None:
        """The registered copy kernel on 256 MiB, built at first use; None in the simulator."""
        if self.simulator:
            return None
        if self._blocker is None:
            kernel = get_kernel("copy")
            vectors = BLOCKER_COPY.size_bytes // VECTOR_BYTES
            # Constant data: the blocker is neither checked nor reported, only waited for.
            host_args = (np.ones(vectors, np.complex128), np.ones(vectors, np.complex128))
            device_args = [cuda.to_device(arg) for arg in host_args]
            launcher = kernel.launcher(BLOCKER_COPY)

            def launch() -> None:
                launcher(*device_args)

            samples = time_repetitions(launch, 5, NumbaEvent)
            self._blocker = Blocker(launch=launch, launch_s=min(samples[1:]))
        return self._blocker

    def torch_blocker(self, torch: ModuleType) -> Blocker:
        if self._torch_blocker is None:
            self._torch_blocker = library.torch_blocker(torch)
        return self._torch_blocker


def _skip_reason(session: _Session, case: Case) -> str | None:
    """Why ``case`` cannot run in this session, or None."""
    if isinstance(case, KernelCase) and session.simulator and not case.kernel_def().runs_on_cudasim:
        return "the CUDA simulator cannot run this kernel (inline PTX)"
    if isinstance(case, LibraryCase):
        if session.simulator:
            return "library references need PyTorch on a real GPU"
        if session.torch is None:
            return "PyTorch is not installed or sees no CUDA device"
    return None


@dataclass(frozen=True)
class _OnDevice:
    """A prepared case with the events and blocker its series is timed with."""

    prepared: runners.PreparedCase
    new_event: EventFactory
    blocker: Blocker | None
    library_info: dict[str, str] | None = None


def _put_on_device(session: _Session, case: Case) -> _OnDevice:
    """Arguments on the device and the repetition built: the registry's or the library's."""
    if isinstance(case, LibraryCase):
        torch = session.torch
        assert torch is not None  # _skip_reason rules the case out otherwise
        return _OnDevice(
            prepared=library.prepare_library_case(case, torch, session.rng),
            new_event=functools.partial(library.TorchEvent, torch),
            blocker=session.torch_blocker(torch),
            library_info=library.library_info(torch, case),
        )
    kernel = get_kernel(case.kernel)
    if isinstance(case, RingAllreduceCase):
        prepared = runners.prepare_ring_case(case, session.inputs, session.rng, kernel)
    else:
        prepared = runners.prepare_kernel_case(case, session.inputs, session.rng, kernel)
    return _OnDevice(prepared, session.new_event(), session.blocker())


def _run_case(session: _Session, case: Case) -> CaseRecord:
    """Prepare, warm up, time and check one case."""
    started_s = time.perf_counter()
    on_device = _put_on_device(session, case)
    prepared, new_event = on_device.prepared, on_device.new_event
    policy = session.policy
    warm = time_repetitions(prepared.repeat, 1 + policy.warmup_repetitions, new_event)
    repetitions = policy.repetitions(case, min(warm[1:]))
    timing = time_series(
        prepared.repeat,
        repetitions,
        prepared.launches_per_repetition,
        new_event,
        on_device.blocker,
    )
    correctness = prepared.check()
    return CaseRecord(
        case_id=case.case_id,
        kind=case.kind,
        family=case.family,
        kernel=case.kernel,
        params=case.record_params(),
        launches_per_repetition=prepared.launches_per_repetition,
        launch=prepared.launch,
        warmup_repetitions=len(warm),
        repetitions=repetitions,
        median_s=timing.median_s,
        min_s=timing.min_s,
        max_s=timing.max_s,
        series_total_s=timing.series_total_s,
        samples_s=timing.samples_s,
        queue_ahead=timing.queue_ahead,
        flops=case.flops(),
        min_dram_bytes=case.min_dram_bytes(),
        correctness=correctness,
        wall_s=time.perf_counter() - started_s,
        library=on_device.library_info,
    )


def _release_device_memory(session: _Session) -> None:
    """Free what the last case left: Numba defers frees, PyTorch caches them."""
    if session.simulator:
        return
    cuda.current_context().deallocations.clear()
    if session.torch is not None:
        session.torch.cuda.empty_cache()


def _describe(record: CaseRecord) -> str:
    check = record.correctness
    verdict = "ok" if check.passed else "CHECK FAILED"
    error = "n/a" if check.rel_error is None else f"{check.rel_error:.1e}"
    return (
        f"{record.case_id}: median {record.median_s * 1e3:.4g} ms "
        f"(min {record.min_s * 1e3:.4g}, max {record.max_s * 1e3:.4g}, x{record.repetitions}) "
        f"check {verdict} (rel {error})"
    )


def record(options: RecordOptions, argv: Sequence[str] = (), log: Log = print) -> MeasurementFile:
    """Record the suite into ``options.out``; returns the final file (also written)."""
    require_gpu()
    session = _Session(options, argv, log)
    if options.library and not session.simulator:
        session.torch = library.load_torch()
    cases = suite_cases(options.suite, library=options.library)
    for case in cases:
        if isinstance(case, KernelCase | RingAllreduceCase):
            dtype, elements, _ = runners.host_elements(case)
            session.inputs.reserve(dtype, elements)
    budget_s = options.budget_s or DEFAULT_BUDGET_S[options.suite]
    device = session.file.provenance["device"]["name"]
    log(f"recording the {options.suite} suite ({len(cases)} cases) on {device} into {options.out}")
    session.save()
    planned = plan(cases, session.policy)
    for index, (case, planned_s) in enumerate(planned, start=1):
        reason = _skip_reason(session, case) or _stop_reason(session, planned_s, budget_s)
        if reason is None:
            text = _record_case(session, case)
        else:
            skipped = (*session.file.skipped, SkippedCase(case.case_id, reason))
            session.file = replace(session.file, skipped=skipped)
            text = f"{case.case_id}: skipped ({reason})"
        session.save()
        session.log(f"[{session.elapsed_s:7.1f} s] {index:3d}/{len(planned)} {text}")
    finished = {
        **session.file.provenance,
        "finished_at_utc": provenance.utc_now(),
        "nvidia_smi_after": provenance.nvidia_smi(),
    }
    session.file = replace(session.file, status="complete", provenance=finished)
    session.save()
    log(f"[{session.elapsed_s:7.1f} s] wrote {options.out}: {_summary(session.file)}")
    return session.file


def _stop_reason(session: _Session, planned_s: float, budget_s: float) -> str | None:
    """Why no further case may start: repeated failures, or the deadline (real GPUs only)."""
    if session.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
        return f"stopped after {MAX_CONSECUTIVE_FAILURES} cases failed in a row"
    left_s = budget_s - session.elapsed_s
    if not session.simulator and planned_s > left_s:
        return f"time budget: planned {planned_s:.1f} s, {max(left_s, 0.0):.1f} s left"
    return None


def _record_case(session: _Session, case: Case) -> str:
    """Run one case into the session's file; the progress line's text."""
    try:
        case_record = _run_case(session, case)
    except Exception as err:  # one device call must keep every other case: record, go on
        traceback.print_exc(file=sys.stderr)
        session.consecutive_failures += 1
        failure = FailedCase(case.case_id, f"{type(err).__name__}: {err}")
        session.file = replace(session.file, failed=(*session.file.failed, failure))
        return f"{case.case_id}: FAILED ({err})"
    finally:
        _release_device_memory(session)
    session.consecutive_failures = 0
    session.file = replace(session.file, cases=(*session.file.cases, case_record))
    return _describe(case_record)


def _summary(measurements: MeasurementFile) -> str:
    failed_checks = sum(not case.correctness.passed for case in measurements.cases)
    return (
        f"{len(measurements.cases)} cases recorded ({failed_checks} failed their check), "
        f"{len(measurements.skipped)} skipped, {len(measurements.failed)} raised"
    )


def exit_code(measurements: MeasurementFile) -> int:
    """0 when every recorded case passed its check and none raised, else 1."""
    checks_passed = all(case.correctness.passed for case in measurements.cases)
    return 0 if checks_passed and not measurements.failed else 1


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python3 -m gpusim.validate.record", description=__doc__.split("\n", 1)[0]
    )
    parse.add_argument("--out", type=Path, help="measurement file to write (JSON)")
    parse.add_argument("--suite", choices=SUITE_NAMES, default="full")
    parse.add_argument("--quick", action="store_true", help="the quick suite (about 2 minutes)")
    parse.add_argument("--budget-s", type=float, help="stop starting cases past this many seconds")
    parse.add_argument("--no-library", action="store_true", help="skip the PyTorch references")
    parse.add_argument(
        "--commit", help=f"gpusim commit, where git is absent (or ${provenance.COMMIT_ENV})"
    )
    parse.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parse.add_argument("--plan", action="store_true", help="print the planned cases and times only")
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = parser().parse_args(arguments)
    suite: SuiteName = "quick" if options.quick else options.suite
    if options.plan:
        print_plan(suite, with_library=not options.no_library, log=print)
        return 0
    if options.out is None:
        print("error: --out FILE is required", file=sys.stderr)
        return 2
    record_options = RecordOptions(
        out=options.out,
        suite=suite,
        budget_s=options.budget_s,
        library=not options.no_library,
        commit=options.commit,
        seed=options.seed,
    )
    try:
        measurements = record(record_options, ["-m", "gpusim.validate.record", *arguments])
    except GpusimError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return exit_code(measurements)


if __name__ == "__main__":
    sys.exit(main())
