"""Simulate every measured case and say how far the simulator is from the GPU.

What is compared: a case's measured ``median_s`` (device time per repetition, between CUDA
events, launches queued ahead of the GPU so the host's launch overhead is out) against the
simulator's ``KernelResult.time_s`` (launch overhead plus execution: what a launch costs
back to back). A ring all-reduce repetition is its 2(N - 1) launches, so its simulated time
is the sum of ``time_s`` over the steps.

Not compared, but listed: library reference cases (no simulator model of cuBLAS; shown
with their throughput as a ceiling for the project's kernels), and cases whose output
failed its check (their times may not be of a correct kernel). Statistics (``stats``) are
per family and overall.

The simulator is a parameter (``simulate``) so that tests can drive this module with a
stand-in; the default is the engine's ``gpusim.api.simulate_kernel``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from gpusim.cuda.kernels import AllreduceRingParams, KernelParams, get_kernel
from gpusim.errors import KernelError, MeasurementError
from gpusim.spec import GpuSpec
from gpusim.validate.device_presets import spec_mismatches
from gpusim.validate.measurements import CaseRecord, MeasurementFile
from gpusim.validate.stats import AccuracyStats, accuracy, error_pct
from gpusim.validate.suite import RING_KERNEL

Simulate = Callable[[GpuSpec, str, KernelParams], float]
"""(gpu, kernel name, params) -> simulated seconds of one launch (``time_s``)."""


def engine_simulate(gpu: GpuSpec, kernel: str, params: KernelParams) -> float:
    """One launch through the engine's public API, in its fast mode."""
    from gpusim.api import simulate_kernel  # the engine is imported only when used

    return float(simulate_kernel(gpu, kernel, params, mode="fast").time_s)


@dataclass(frozen=True)
class CaseComparison:
    """One case: measured and simulated seconds per repetition, and the signed error."""

    case_id: str
    family: str
    kernel: str
    measured_s: float
    simulated_s: float
    error_pct: float
    fits_in_l2: bool
    """Its minimal working set fits in the preset's L2: back-to-back repetitions find it
    there, so the case measures L2, not DRAM, bandwidth."""


@dataclass(frozen=True)
class LibraryReference:
    """A library case, with its achieved throughput (FLOP/s for GEMMs, bytes/s for copies)."""

    case_id: str
    family: str
    measured_s: float
    flops_per_s: float
    bytes_per_s: float


@dataclass(frozen=True)
class Comparison:
    """The whole comparison of one measurement file with one preset."""

    source: str
    device: str
    preset: str
    status: str
    cases: tuple[CaseComparison, ...]
    families: dict[str, AccuracyStats]
    overall: AccuracyStats | None
    library: tuple[LibraryReference, ...] = ()
    excluded: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def mape(self) -> float | None:
        return None if self.overall is None else self.overall.mape

    @property
    def pearson_r(self) -> float | None:
        return None if self.overall is None else self.overall.pearson_r

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``mape`` and ``pearson_r`` at the top and in every family."""
        return {
            "source": self.source,
            "device": self.device,
            "preset": self.preset,
            "status": self.status,
            "mape": self.mape,
            "pearson_r": self.pearson_r,
            "overall": None if self.overall is None else self.overall.to_dict(),
            "families": {name: stats.to_dict() for name, stats in self.families.items()},
            "cases": [asdict(case) for case in self.cases],
            "library": [asdict(reference) for reference in self.library],
            "excluded": [{"case_id": case, "reason": reason} for case, reason in self.excluded],
            "notes": list(self.notes),
        }


def simulate_case(record: CaseRecord, gpu: GpuSpec, simulate: Simulate) -> float:
    """Simulated seconds of one repetition of a recorded kernel or ring case."""
    if record.kind == "ring_allreduce":
        elements, ranks = int(record.params["elements"]), int(record.params["ranks"])
        return sum(
            simulate(gpu, RING_KERNEL, AllreduceRingParams(elements, ranks, step))
            for step in range(2 * (ranks - 1))
        )
    kernel = get_kernel(record.kernel)
    try:
        params = kernel.params_type(**record.params)
    except TypeError as err:
        raise MeasurementError(
            f"{record.case_id}: params {record.params} do not fit {record.kernel} ({err})"
        ) from None
    return simulate(gpu, record.kernel, params)


def compare(
    measurements: MeasurementFile,
    gpu: GpuSpec,
    *,
    source: str = "",
    simulate: Simulate | None = None,
) -> Comparison:
    """Simulate every comparable case of ``measurements`` on ``gpu`` and score the result.

    ``simulate`` defaults to ``engine_simulate``, looked up at call time.
    """
    simulate = simulate or engine_simulate
    if measurements.simulator:
        raise MeasurementError(
            f"{source or 'measurements'}: recorded under the CUDA simulator, "
            "whose times are not GPU times"
        )
    compared: list[CaseComparison] = []
    library: list[LibraryReference] = []
    excluded: list[tuple[str, str]] = []
    for record in measurements.cases:
        if record.kind == "library":
            library.append(_library_reference(record))
            continue
        if not record.correctness.passed:
            excluded.append((record.case_id, "its output failed the check"))
            continue
        try:
            simulated_s = simulate_case(record, gpu, simulate)
        except KernelError as err:
            excluded.append((record.case_id, f"cannot be simulated: {err}"))
            continue
        compared.append(_case_comparison(record, simulated_s, gpu))
    notes = spec_mismatches(measurements.provenance["device"], gpu)
    if measurements.status != "complete":
        notes.append("the recording did not finish: the file holds part of the suite")
    return Comparison(
        source=source,
        device=measurements.device_name,
        preset=gpu.name,
        status=measurements.status,
        cases=tuple(compared),
        families=accuracy_by_family(compared),
        overall=accuracy_of(compared),
        library=tuple(library),
        excluded=tuple(excluded),
        notes=tuple(notes),
    )


def _case_comparison(record: CaseRecord, simulated_s: float, gpu: GpuSpec) -> CaseComparison:
    return CaseComparison(
        case_id=record.case_id,
        family=record.family,
        kernel=record.kernel,
        measured_s=record.median_s,
        simulated_s=simulated_s,
        error_pct=error_pct(simulated_s, record.median_s),
        fits_in_l2=record.min_dram_bytes <= gpu.l2.size_bytes,
    )


def _library_reference(record: CaseRecord) -> LibraryReference:
    return LibraryReference(
        case_id=record.case_id,
        family=record.family,
        measured_s=record.median_s,
        flops_per_s=record.flops / record.median_s,
        bytes_per_s=record.min_dram_bytes / record.median_s,
    )


def accuracy_of(cases: list[CaseComparison]) -> AccuracyStats | None:
    """The statistics of ``cases`` together; None for no cases."""
    if not cases:
        return None
    return accuracy([case.measured_s for case in cases], [case.simulated_s for case in cases])


def accuracy_by_family(cases: list[CaseComparison]) -> dict[str, AccuracyStats]:
    """The statistics of each family of ``cases``, in order of first appearance."""
    families: dict[str, list[CaseComparison]] = {}
    for case in cases:
        families.setdefault(case.family, []).append(case)
    return {
        name: stats
        for name, members in families.items()
        if (stats := accuracy_of(members)) is not None
    }
