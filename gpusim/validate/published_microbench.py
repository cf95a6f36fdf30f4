"""Simulate a published microbenchmark figure (gpu-benches latency and bandwidth curves).

A microbenchmark case names its registered kernel (``gpusim_kernel``) and its size
(``working_set_bytes`` for a chase, ``size_bytes`` for a bandwidth kernel) in its params;
the kernel's facts (``microbench_def``) say what it reports and how it is measured. The
sources report steady states of many repetitions on the same buffers, so a kernel with a
``warm_pair`` is simulated twice, a warm-up traversal alone and the warm-up followed by the
measured traversal, and the figure is the measured traversal's work over the extra time
(the caches as the warm-up left them; launch overhead and cold misses cancel).

Published and simulated figures become seconds for the statistics: the measured
traversal's work at the published figure (cycles per access at the case's clock, or bytes
at the published rate) against the simulated extra time. A printed range is compared at
its midpoint.

A one-CTA kernel (the chase) is simulated in detailed mode: fast mode's loop jump drops the
L1 hits of a single thread's repeated chain (16 KiB chase on H100 PCIe: 612 cycles per
access in fast mode, 50 in detailed), and one warp costs detailed mode nothing. Grid-wide
kernels run in fast mode, as every kernel case does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gpusim.cuda.kernels import KernelParams, SizeOptions, get_kernel
from gpusim.cuda.kernels.microbench_def import MicrobenchmarkKernelDef
from gpusim.errors import KernelError
from gpusim.spec import GpuSpec
from gpusim.validate.published import PublishedCase

SimulateMode = Callable[[GpuSpec, str, KernelParams, str], float]
"""(gpu, kernel, params, mode) -> simulated seconds of one launch."""

SIZE_FIELDS = ("working_set_bytes", "size_bytes")
"""The case params that give a microbenchmark's size, as ``--size`` would."""

NO_KERNEL_OF_ITS_STRUCTURE: dict[str, str] = {
    "mt4g_latency": (
        "mt4g sizes its chase per cache level and reports a mean or median over it; the "
        "source prints no working-set size, so pointer_chase has none to run at"
    ),
    "mt4g_bandwidth": (
        "mt4g's bandwidth kernel and data size are not in the source's table, so "
        "read_bandwidth has no size to run at"
    ),
    "babelstream_copy": (
        "BabelStream's copy (c = a, one fp64 element per thread) is not the copy "
        "kernel's structure (16-byte vectors, grid-stride over 1024 blocks), and the source "
        "prints no array size"
    ),
}
"""Why a published microbenchmark family has no kernel mapped: the reason compare prints."""

_FIGURE_SCALE: dict[str, float] = {"cycles": 1.0, "GB/s": 1e9, "TB/s": 1e12, "GiB/s": 2.0**30}


def engine_simulate_mode(gpu: GpuSpec, kernel: str, params: KernelParams, mode: str) -> float:
    """One launch through the engine's public API in ``mode``."""
    from gpusim.api import simulate_kernel

    return float(simulate_kernel(gpu, kernel, params, mode=mode).time_s)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MicrobenchmarkOutcome:
    """Measured and simulated seconds of the measured work, and the simulated figure."""

    measured_s: float
    simulated_s: float
    simulated_figure: float
    """In the published figure's unit."""


def microbenchmark_kernel(case: PublishedCase) -> MicrobenchmarkKernelDef[Any] | None:
    """The case's registered microbenchmark kernel, or None when it names none."""
    if case.gpusim_kernel is None:
        return None
    try:
        kernel = get_kernel(case.gpusim_kernel)
    except KernelError:
        return None
    return kernel if isinstance(kernel, MicrobenchmarkKernelDef) else None


def microbenchmark_size_bytes(case: PublishedCase) -> int:
    """The case's working set or data size (KernelError unless it gives exactly one)."""
    sizes = [int(case.params[name]) for name in SIZE_FIELDS if name in case.params]
    if len(sizes) != 1:
        raise KernelError(f"{case.case_id}: params need one of {', '.join(SIZE_FIELDS)}")
    return sizes[0]


def microbenchmark_params(kernel: MicrobenchmarkKernelDef[Any], case: PublishedCase) -> Any:
    """The kernel's params at the case's size (KernelError if it has none or a bad one)."""
    params = kernel.parse_size(str(microbenchmark_size_bytes(case)), SizeOptions())
    kernel.check(params)
    return params


def microbenchmark_reason(case: PublishedCase) -> str | None:
    """Why a microbenchmark case is not simulated, or None when it can be."""
    kernel = microbenchmark_kernel(case)
    if kernel is None:
        if case.gpusim_kernel is not None:
            return f"not simulated: {case.gpusim_kernel} is not a registered microbenchmark"
        reason = NO_KERNEL_OF_ITS_STRUCTURE.get(case.family, "no kernel yet")
        return f"not simulated: {reason}"
    try:
        microbenchmark_params(kernel, case)
    except KernelError as error:
        return f"not simulated: {error}"
    return None


def published_value(case: PublishedCase) -> float:
    """The printed figure, a range at its midpoint."""
    figure = case.figure
    return figure.value if figure.value_high is None else (figure.value + figure.value_high) / 2


def simulate_microbenchmark(
    case: PublishedCase, gpu: GpuSpec, simulate: SimulateMode = engine_simulate_mode
) -> MicrobenchmarkOutcome:
    """Simulate ``case`` on ``gpu`` (at the case's clock already) as its source measures it."""
    kernel = microbenchmark_kernel(case)
    assert kernel is not None
    params = microbenchmark_params(kernel, case)
    launch = kernel.launch(params)
    mode = "detailed" if launch.blocks == 1 else "fast"
    pair = kernel.warm_pair(params)
    if pair is None:
        work = float(kernel.work(params))
        seconds = simulate(gpu, kernel.name, params, mode)
    else:
        warm, measured = pair
        work = float(kernel.work(measured) - kernel.work(warm))
        seconds = simulate(gpu, kernel.name, measured, mode) - simulate(
            gpu, kernel.name, warm, mode
        )
    clock_hz = gpu.sm.clock_hz
    scale = _FIGURE_SCALE[case.figure.unit]
    value = published_value(case) * scale
    # The measured work at the published figure: cycles per access, or bytes per second.
    measured_s = work * value / clock_hz if kernel.quantity == "latency" else work / value
    return MicrobenchmarkOutcome(
        measured_s=measured_s,
        simulated_s=seconds,
        simulated_figure=kernel.figure(work, seconds, clock_hz) / scale,
    )
