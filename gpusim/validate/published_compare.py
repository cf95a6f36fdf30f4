"""Simulate the published cases that gpusim can run, and score them like a recording.

A published rate becomes seconds per repetition (``published.measured_seconds``) and is
held against the simulator's time: a kernel case is one launch of the registered kernel of
the same structure (``KernelResult.time_s``, the spec's launch overhead included); an
nccl-tests all-reduce is ``simulate_collective`` on the system preset at the published size
(fp32, nccl-tests' default; its ``time_s`` from the protocol's base latency to the last
arrival). The statistics are those of the project's own recordings (``stats``), grouped by
family and GPU: the group is ``"<family> on <preset>"``.

Conditions: a case that names its clock runs at that SM clock (``sm.clock_hz`` overridden);
one that does not runs at the preset's. Caches: the engine starts every launch with empty
caches, while the source's repetitions found the previous launch's lines in L2. A warm-up
launch leaves at most L2-size bytes of the case's working set resident, so the cold
simulation is held to cases whose working set is several times L2; each comparison notes the
largest resident fraction, and a case whose working set fits in L2 is marked as such.

Microbenchmark cases (gpu-benches' latency and bandwidth curves, the stream kernel) run
their registered kernel as its source measures it: see ``published_microbench``.

Every published case that is not simulated is listed with the reason (no kernel of its
structure yet, no model of a library or of NVLS, no preset for its device): none is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from gpusim.cuda.kernels import GemmParams, KernelParams, get_kernel
from gpusim.errors import CollectiveError, KernelError
from gpusim.spec import GpuSpec, SystemSpec, gpu_preset, system_preset
from gpusim.validate.compare import (
    CaseComparison,
    Comparison,
    Simulate,
    accuracy_by_family,
    accuracy_of,
)
from gpusim.validate.compare import (  # re-exported: the CLI counts calls of each entry point
    engine_simulate as engine_simulate,
)
from gpusim.validate.published import (
    PublishedCase,
    PublishedFile,
    figure_of_seconds,
    measured_seconds,
)
from gpusim.validate.published_microbench import (
    SimulateMode,
    microbenchmark_reason,
    microbenchmark_size_bytes,
    published_value,
    simulate_microbenchmark,
)
from gpusim.validate.published_microbench import (
    engine_simulate_mode as engine_simulate_mode,
)
from gpusim.validate.stats import error_pct

SimulateAllreduce = Callable[[SystemSpec, int, str], float]
"""(system, bytes per rank, algorithm or ``auto``) -> simulated seconds of one all-reduce."""

FP32_BYTES = 4
WARM_L2_NOTE_FRACTION = 0.25
"""Working sets with more than this fraction resident after a warm-up launch are flagged."""


def engine_allreduce(system: SystemSpec, size_bytes: int, algo: str) -> float:
    """One fp32 all-reduce through the collective model (``algo``: forced, or ``auto`` for
    NCCL's tuner), NCCL's protocol choice."""
    from gpusim.collectives import simulate_collective
    from gpusim.workload import AllreduceWorkload

    workload = AllreduceWorkload(size_bytes=size_bytes, algo=algo)
    return float(simulate_collective(system, workload).time_s)


@dataclass(frozen=True)
class CollectiveSetup:
    """What a published collective case runs on and with, read from its conditions."""

    system: SystemSpec
    algo: str
    """The algorithm the source states (``NCCL_ALGO``, in gpusim's name), or ``auto``."""
    note: str | None
    """Why a stated algorithm was not simulated (it cannot run there), or None."""


def collective_setup(case: PublishedCase) -> CollectiveSetup:
    """The case's system preset, launched by one host thread per ``gpus_per_thread`` GPUs
    (nccl-tests ``-g``), and the algorithm it states. A stated algorithm that cannot run on
    the system (NCCL itself could not have run it there) leaves the choice to the tuner,
    with a note."""
    from gpusim.collectives.registry import algorithm_candidates

    assert case.preset is not None
    system = system_preset(case.preset)
    if case.conditions.gpus_per_thread is not None:
        system = system.with_overrides(
            {"collective.gpus_per_thread": case.conditions.gpus_per_thread}
        )
    stated = case.conditions.algorithm
    if stated is None:
        return CollectiveSetup(system, "auto", None)
    try:
        algorithm_candidates(system, "allreduce", stated.casefold(), int(case.params["ranks"]))
    except CollectiveError as err:
        note = (
            f"NCCL_ALGO={stated}, as the source states, cannot run on {case.preset} ({err}); "
            "simulated with the tuner's choice"
        )
        return CollectiveSetup(system, "auto", note)
    return CollectiveSetup(system, stated.casefold(), None)


@dataclass(frozen=True)
class PublishedResult:
    """One simulated published case: the figure as printed and the simulated one."""

    case_id: str
    group: str
    label: str
    device: str
    preset: str
    published: str
    published_figure: float
    """The printed figure as a number (a range at its midpoint), in ``unit``."""
    simulated_figure: float
    unit: str
    size_bytes: int | None
    """A microbenchmark's working set or data size, the x of its curve (None: not a curve)."""
    measured_s: float
    simulated_s: float
    error_pct: float


@dataclass(frozen=True)
class PublishedComparison:
    """The comparison of one published file: statistics, results, and what was not run."""

    comparison: Comparison
    results: tuple[PublishedResult, ...]
    not_simulated: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """The recording comparison's JSON (``mape``, ``pearson_r``...) and the figures."""
        document = self.comparison.to_dict()
        document["published"] = [asdict(result) for result in self.results]
        document["not_simulated"] = [
            {"case_id": case_id, "reason": reason} for case_id, reason in self.not_simulated
        ]
        return document


def group_of(case: PublishedCase) -> str:
    """The accuracy group: family and GPU (or system)."""
    return f"{case.family} on {case.preset}"


def not_simulated_reason(case: PublishedCase) -> str | None:
    """Why ``case`` is not simulated, or None when it can be."""
    if case.preset is None:
        return f"not simulated: no preset for {case.device}"
    if case.kind == "microbenchmark":
        return microbenchmark_reason(case)
    if measured_seconds(case) is None:
        return "not simulated: no kernel yet"
    if case.kind == "collective":
        if case.params.get("collective") != "allreduce":
            return f"not simulated: no model of {case.params.get('collective')}"
        return None
    if case.gpusim_kernel is None:
        if case.family.startswith("cublas"):
            return "not simulated: no simulator model of cuBLAS"
        return "not simulated: no kernel yet"
    try:
        get_kernel(case.gpusim_kernel)
    except KernelError:
        return f"not simulated: kernel {case.gpusim_kernel} is not registered"
    return None


def compared_cases(published: PublishedFile, skipped: list[tuple[str, str]]) -> list[PublishedCase]:
    """The cases of ``published`` that are not in ``skipped``."""
    left_out = {case_id for case_id, _ in skipped}
    return [case for case in published.cases if case.case_id not in left_out]


def gpu_for(case: PublishedCase) -> GpuSpec:
    """The case's GPU preset, at the source's SM clock when it names one."""
    assert case.preset is not None
    gpu = gpu_preset(case.preset)
    if case.conditions.clock_mhz is None:
        return gpu
    return gpu.with_overrides({"sm.clock_hz": case.conditions.clock_mhz * 1e6})


def kernel_params(case: PublishedCase) -> KernelParams:
    """The registered kernel's params for a GEMM case (the only kernel cases so far)."""
    return GemmParams(int(case.params["m"]), int(case.params["n"]), int(case.params["k"]))


def gemm_working_set_bytes(case: PublishedCase) -> int:
    """A, B and C of an fp32 GEMM: what a repeated launch finds of itself in L2."""
    m, n, k = (int(case.params[axis]) for axis in ("m", "n", "k"))
    return FP32_BYTES * (m * k + k * n + m * n)


def _rate_seconds(case: PublishedCase) -> float:
    """Seconds per repetition of a case whose figure is a rate (checked by the caller)."""
    seconds = measured_seconds(case)
    assert seconds is not None
    return seconds


def compare_published(
    published: PublishedFile,
    *,
    source: str = "",
    simulate: Simulate | None = None,
    simulate_allreduce: SimulateAllreduce | None = None,
    simulate_microbenchmark_launch: SimulateMode | None = None,
) -> PublishedComparison:
    """Simulate every simulatable case of ``published`` and score it per family and GPU."""
    simulate_microbenchmark_launch = simulate_microbenchmark_launch or engine_simulate_mode
    simulate = simulate or engine_simulate
    simulate_allreduce = simulate_allreduce or engine_allreduce
    compared: list[CaseComparison] = []
    results: list[PublishedResult] = []
    skipped: list[tuple[str, str]] = []
    notes: list[str] = []
    resident_fractions: list[float] = []
    for case in published.cases:
        reason = not_simulated_reason(case)
        if reason is not None:
            skipped.append((case.case_id, reason))
            continue
        assert case.preset is not None
        fits_in_l2 = False
        simulated_figure: float | None = None
        if case.kind == "microbenchmark":
            outcome = simulate_microbenchmark(case, gpu_for(case), simulate_microbenchmark_launch)
            measured_s, simulated_s = outcome.measured_s, outcome.simulated_s
            simulated_figure = outcome.simulated_figure
            kernel = str(case.gpusim_kernel)
        elif case.kind == "collective":
            measured_s = _rate_seconds(case)
            setup = collective_setup(case)
            simulated_s = simulate_allreduce(
                setup.system, int(case.params["size_bytes"]), setup.algo
            )
            if setup.note is not None and setup.note not in notes:
                notes.append(setup.note)
            kernel = f"simulate_collective allreduce ({setup.algo})"
        else:
            assert case.gpusim_kernel is not None
            measured_s = _rate_seconds(case)
            gpu = gpu_for(case)
            simulated_s = simulate(gpu, case.gpusim_kernel, kernel_params(case))
            working_set = gemm_working_set_bytes(case)
            fits_in_l2 = working_set <= gpu.l2.size_bytes
            resident_fractions.append(min(1.0, gpu.l2.size_bytes / working_set))
            if case.conditions.clock_mhz is None:
                notes.append(
                    f"{case.case_id}: clock not stated by the source; simulated at the "
                    f"preset's {gpu.sm.clock_hz / 1e6:g} MHz"
                )
            kernel = case.gpusim_kernel
        error = error_pct(simulated_s, measured_s)
        compared.append(
            CaseComparison(
                case_id=case.case_id,
                family=group_of(case),
                kernel=kernel,
                measured_s=measured_s,
                simulated_s=simulated_s,
                error_pct=error,
                fits_in_l2=fits_in_l2,
            )
        )
        results.append(
            PublishedResult(
                case_id=case.case_id,
                group=group_of(case),
                label=case.label,
                device=case.device,
                preset=case.preset,
                published=case.figure.printed,
                published_figure=published_value(case),
                simulated_figure=(
                    figure_of_seconds(case, simulated_s)
                    if simulated_figure is None
                    else simulated_figure
                ),
                unit=case.figure.unit,
                size_bytes=(
                    microbenchmark_size_bytes(case) if case.kind == "microbenchmark" else None
                ),
                measured_s=measured_s,
                simulated_s=simulated_s,
                error_pct=error,
            )
        )
    if resident_fractions:
        worst = max(resident_fractions)
        flag = " (large: the cold simulation is suspect)" if worst > WARM_L2_NOTE_FRACTION else ""
        notes.append(
            "warm L2: simulated with cold caches; a warm-up launch leaves at most "
            f"{100 * worst:.1f}% of a kernel case's working set in L2{flag}"
        )
    if any(case.kind == "collective" for case in compared_cases(published, skipped)):
        notes.append(
            "collectives: simulated as an fp32 (nccl-tests' default) all-reduce with the "
            "algorithm the source states (conditions.algorithm, NCCL_ALGO), else the one "
            "(ring, tree, NVLS) NCCL's tuner chooses per size, and the protocol the tuner "
            "chooses; launched by one host thread per conditions.gpus_per_thread GPUs "
            "(nccl-tests -g), else one per GPU"
        )
    notes.extend(published.notes)
    devices = sorted({case.device for case in published.cases})
    presets = sorted({case.preset for case in published.cases if case.preset is not None})
    comparison = Comparison(
        source=source,
        device="; ".join(devices),
        preset=", ".join(presets),
        status="published",
        cases=tuple(compared),
        families=accuracy_by_family(compared),
        overall=accuracy_of(compared),
        excluded=tuple(skipped),
        notes=tuple(notes),
    )
    return PublishedComparison(
        comparison=comparison, results=tuple(results), not_simulated=tuple(skipped)
    )
