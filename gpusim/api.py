"""The scripting API: what the CLI, the TUI and users' scripts call.

>>> import gpusim
>>> h100 = gpusim.gpu_preset("H100-SXM5-80GB")
>>> bigger_l2 = h100.with_overrides({"l2.size_bytes": 100 * 2**20})
>>> result = gpusim.simulate(bigger_l2, gpusim.GemmWorkload(m=1024, n=1024, k=1024))
>>> result.time_s, result.tflops, result.bottleneck

Times are in seconds, sizes in bytes, rates in per-second units, as the names say.
"""

from __future__ import annotations

from collections.abc import Callable

from gpusim.collectives import CollectiveResult, simulate_collective
from gpusim.cuda.kernels import KernelParams, get_kernel
from gpusim.cuda.trace import KernelTrace
from gpusim.cuda.tracecache import cached_trace
from gpusim.errors import ScenarioError
from gpusim.hw.sm.gpu import simulate_kernel as _simulate_program
from gpusim.hw.sm.lowering import lower
from gpusim.hw.sm.result import KernelResult, Mode
from gpusim.scenario import Scenario
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.result import TrainingResult
from gpusim.workload import CollectiveWorkload, KernelWorkload, Workload

Progress = Callable[[float], None]
"""Called with the fraction of a kernel's grid simulated so far (0 to 1)."""

OLDEST_TRACE_CC = (7, 5)
"""The oldest target the CUDA 13 compiler wheels accept; older GPUs (V100, cc 7.0) are traced
for it. The project's kernels compile to the same PTX there, and timing comes from the spec."""


def trace_cc(gpu: GpuSpec) -> tuple[int, int]:
    """The compute capability a kernel is compiled and traced for, to run on ``gpu``."""
    return max(gpu.compute_capability_tuple, OLDEST_TRACE_CC)


def kernel_trace(gpu: GpuSpec, kernel: str, params: KernelParams) -> KernelTrace:
    """The trace of one launch of ``kernel`` at ``params``, compiled for ``gpu`` (cached).

    KernelError, naming the kernel and the GPU, before anything is compiled, if the GPU's
    compute capability is older than the kernel needs (tensor-core GEMMs on a V100)."""
    get_kernel(kernel).check_compute_capability(gpu.compute_capability_tuple, gpu.name)
    return cached_trace(kernel, params, trace_cc(gpu))


def simulate_trace(
    gpu: GpuSpec,
    trace: KernelTrace,
    *,
    mode: Mode = "fast",
    scheduler: str = "gto",
    timeline: bool = False,
    progress: Progress | None = None,
) -> KernelResult:
    """Simulate one launch of a traced kernel on ``gpu``."""
    return _simulate_program(
        lower(trace, gpu),
        gpu,
        mode=mode,
        scheduler=scheduler,
        timeline=timeline,
        progress=progress,
    )


def simulate_kernel(
    gpu: GpuSpec,
    kernel: str,
    params: KernelParams,
    *,
    mode: Mode = "fast",
    scheduler: str = "gto",
    timeline: bool = False,
    progress: Progress | None = None,
) -> KernelResult:
    """Simulate one launch of a registered kernel (``gpusim.cuda.kernels``) on ``gpu``.

    ``progress`` (if given) is called with the fraction of the grid simulated so far.
    """
    trace = kernel_trace(gpu, kernel, params)
    return simulate_trace(
        gpu, trace, mode=mode, scheduler=scheduler, timeline=timeline, progress=progress
    )


def kernel_of(workload: KernelWorkload) -> tuple[str, KernelParams]:
    """The registered kernel and its parameters that run a kernel workload."""
    return workload.kernel, get_kernel(workload.kernel).params_for(workload)


def simulate(
    hardware: GpuSpec | SystemSpec,
    workload: Workload,
    *,
    mode: Mode = "fast",
    timeline: bool = False,
    progress: Progress | None = None,
) -> KernelResult | CollectiveResult | TrainingResult:
    """Simulate a workload: a kernel on a GPU, or a collective or training step on a system.

    A kernel workload given a system runs on the system's GPU; a collective and a training
    step need a system (a training step's timeline is always kept).
    """
    if isinstance(workload, CollectiveWorkload | TrainingStepWorkload):
        if not isinstance(hardware, SystemSpec):
            raise ScenarioError(
                f"workload.kind: {workload.kind!r} runs on a system, not on one GPU"
            )
        if isinstance(workload, TrainingStepWorkload):
            # here, not at the top: gpusim.training simulates its operators through this API
            from gpusim.training.simulate import simulate_training

            return simulate_training(hardware, workload, mode=mode)
        return simulate_collective(hardware, workload, timeline=timeline)
    gpu = hardware if isinstance(hardware, GpuSpec) else hardware.gpu
    kernel, params = kernel_of(workload)
    return simulate_kernel(gpu, kernel, params, mode=mode, timeline=timeline, progress=progress)


def simulate_scenario(
    scenario: Scenario,
    *,
    mode: Mode = "fast",
    timeline: bool = False,
    progress: Progress | None = None,
) -> KernelResult | CollectiveResult | TrainingResult:
    """Simulate a loaded scenario (its hardware and workload; its sweep is not expanded)."""
    return simulate(
        scenario.hardware, scenario.workload, mode=mode, timeline=timeline, progress=progress
    )
