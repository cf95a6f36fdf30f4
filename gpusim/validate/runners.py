"""Putting a suite case on the device: its arguments, its repetition, and its check.

Every launch goes through ``KernelDef.launcher`` (the configured, specialised dispatcher:
the one launch path the self-check also uses), built once per case so that a timed
repetition is a bare call. The host arguments have ``make_args``' shapes and dtypes but
come from the recorder's pools (``inputs``); they are never written, so after timing they
still are the inputs the reference is computed from.

GEMM and copy write an output that depends on the inputs alone, so the output left by the
timed series is checked. The ring all-reduce works in place (each repetition reduces the
previous one's result), so its check restores the inputs and runs one more repetition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import cuda

from gpusim.cuda.kernels import CopyParams, GemmParams, KernelArg, KernelDef, LaunchConfig
from gpusim.cuda.kernels.copy_def import VECTOR_BYTES
from gpusim.cuda.kernels.gemm_def import (
    STATIC_SHARED_LIMIT_BYTES,
    GemmKernelDef,
    HopperGemmKernelDef,
    gemm_draw_dtype,
    to_input,
)
from gpusim.cuda.selfcheck import RING_REL_TOLERANCE
from gpusim.validate.checks import judge, sample_spans
from gpusim.validate.inputs import HostInputs, Shape
from gpusim.validate.measurements import Correctness, LaunchRecord
from gpusim.validate.suite import KernelCase, RingAllreduceCase
from gpusim.validate.tensor_maps import allow_dynamic_shared, device_tensor_maps

GEMM_SAMPLE_ROWS = 8
VECTOR_SAMPLE_SPAN = 1 << 16
"""Copy vectors or ring elements per sampled span (1 MiB of copy, 256 KiB of ring)."""


@dataclass(frozen=True)
class PreparedCase:
    """A case on the device: ``repeat`` runs one repetition, ``check`` judges the output."""

    repeat: Callable[[], None]
    launches_per_repetition: int
    launch: LaunchRecord | None
    check: Callable[[], Correctness]


def host_args(
    kernel: KernelDef[Any], params: GemmParams | CopyParams, inputs: HostInputs
) -> tuple[KernelArg, ...]:
    """A GEMM's (A, B, C) or a copy's (src, dst), shaped as ``kernel.make_args`` shapes them;
    a Hopper GEMM's fourth argument, its tensor maps, in the emulator's encoding (the device
    gets the driver's, ``prepare_kernel_case``)."""
    if isinstance(kernel, GemmKernelDef) and isinstance(params, GemmParams):
        shapes = list(kernel.operand_shapes(params))
        draws = inputs.random(shapes, gemm_draw_dtype(kernel.input_dtype))
        a, b = (to_input(x, kernel.input_dtype) for x in draws)
        c = inputs.poisoned((params.m, params.n), kernel.output_dtype)
        if isinstance(kernel, HopperGemmKernelDef):
            maps = kernel.operands(params)[3]
            return a, b, c, maps.dense(np.random.default_rng(0))
        return a, b, c
    if isinstance(params, CopyParams):
        vectors = params.size_bytes // VECTOR_BYTES
        (pairs,) = inputs.random([(2 * vectors,)], np.float64)
        return pairs.view(np.complex128), inputs.poisoned((vectors,), np.complex128)
    raise TypeError(f"{kernel.name}: no host arguments for {type(params).__name__}")


def host_elements(case: KernelCase | RingAllreduceCase) -> tuple[np.dtype[Any], int, Shape]:
    """The dtype and count of the random inputs a case draws, and its output's shape.

    The recorder reserves these in the pools before the first case runs.
    """
    if isinstance(case, RingAllreduceCase):
        return np.dtype(np.float32), case.ranks * case.elements, (case.ranks, case.elements)
    kernel, params = case.kernel_def(), case.params
    if isinstance(params, GemmParams):
        dtype = np.dtype(gemm_draw_dtype(kernel.input_dtype))  # type: ignore[attr-defined]
        return dtype, params.m * params.k + params.k * params.n, (params.m, params.n)
    vectors = params.size_bytes // VECTOR_BYTES
    return np.dtype(np.float64), 2 * vectors, (vectors,)


def launch_record(config: LaunchConfig, dispatcher: Any) -> LaunchRecord:
    """The launch configuration, with what the compiler reports where the device has it."""
    return LaunchRecord(
        grid=config.grid,
        block=config.block,
        dynamic_shared_bytes=config.dynamic_shared_bytes,
        registers_per_thread=_compiled(dispatcher, "get_regs_per_thread"),
        static_shared_bytes=_compiled(dispatcher, "get_shared_mem_per_block"),
        local_bytes_per_thread=_compiled(dispatcher, "get_local_mem_per_thread"),
    )


def _compiled(dispatcher: Any, method: str) -> int | None:
    """A compiled-kernel figure; None under the CUDA simulator, which compiles nothing."""
    query = getattr(dispatcher, method, None)
    if query is None:
        return None
    figure = query()
    if isinstance(figure, dict):  # keyed by signature; these dispatchers have exactly one
        (figure,) = figure.values()
    return int(figure)


def _to_device(args: tuple[KernelArg, ...]) -> list[Any]:
    return [cuda.to_device(arg) if isinstance(arg, np.ndarray) else arg for arg in args]


def prepare_kernel_case(
    case: KernelCase, inputs: HostInputs, rng: np.random.Generator, kernel: KernelDef[Any]
) -> PreparedCase:
    """A GEMM or copy case on the device. ``kernel`` is the registered one, or a test double."""
    params = case.params
    args = host_args(kernel, params, inputs)
    device_args = _to_device(args)
    if isinstance(kernel, HopperGemmKernelDef) and isinstance(params, GemmParams):
        device_args[3] = device_tensor_maps(kernel, params, device_args[0], device_args[1])
    dynamic_shared_bytes = kernel.launch(params).dynamic_shared_bytes
    if dynamic_shared_bytes > STATIC_SHARED_LIMIT_BYTES:
        allow_dynamic_shared(kernel.dispatcher(params), dynamic_shared_bytes)
    launcher = kernel.launcher(params)

    def repeat() -> None:
        launcher(*device_args)

    def check() -> Correctness:
        if isinstance(params, GemmParams):
            return _check_gemm(kernel, params, args, device_args[kernel.output_arg], rng)
        return _check_copy(kernel, params, args, device_args[kernel.output_arg], rng)

    record = launch_record(kernel.launch(params), kernel.dispatcher(params))
    return PreparedCase(repeat=repeat, launches_per_repetition=1, launch=record, check=check)


def _check_gemm(
    kernel: KernelDef[Any],
    params: GemmParams,
    args: tuple[KernelArg, ...],
    device_c: Any,
    rng: np.random.Generator,
) -> Correctness:
    """Sampled rows of C against the kernel's reference for those rows of A (a GEMM too)."""
    a, b, c = (np.asarray(arg) for arg in args[:3])
    spans = sample_spans(params.m, GEMM_SAMPLE_ROWS, rng)
    out = np.concatenate([device_c[start:stop].copy_to_host() for start, stop in spans])
    rows = np.concatenate([np.arange(start, stop) for start, stop in spans])
    sub_params = GemmParams(m=rows.size, n=params.n, k=params.k)
    ref = kernel.reference((a[rows], b, c[rows]), sub_params)
    return judge(kernel.name, params, out, ref, kernel.rel_tolerance, c.size)


def _check_copy(
    kernel: KernelDef[Any],
    params: CopyParams,
    args: tuple[KernelArg, ...],
    device_dst: Any,
    rng: np.random.Generator,
) -> Correctness:
    """Sampled spans of the destination against the kernel's reference for those spans."""
    src, dst = (np.asarray(arg) for arg in args)
    spans = sample_spans(src.size, VECTOR_SAMPLE_SPAN, rng)
    out = np.concatenate([device_dst[start:stop].copy_to_host() for start, stop in spans])
    index = np.concatenate([np.arange(start, stop) for start, stop in spans])
    sub_params = CopyParams(size_bytes=index.size * VECTOR_BYTES)
    ref = kernel.reference((src[index], dst[index]), sub_params)
    return judge(kernel.name, params, out, ref, kernel.rel_tolerance, dst.size)


def prepare_ring_case(
    case: RingAllreduceCase, inputs: HostInputs, rng: np.random.Generator, kernel: KernelDef[Any]
) -> PreparedCase:
    """The single-device ring all-reduce: every step's launcher, launched in step order."""
    (bufs,) = inputs.random([(case.ranks, case.elements)], np.float32)
    device_bufs = cuda.to_device(bufs)
    steps = case.steps()
    launchers = [(kernel.launcher(step), step.step) for step in steps]

    def repeat() -> None:
        for launcher, step in launchers:
            launcher(device_bufs, step)

    def check() -> Correctness:
        device_bufs.copy_to_device(bufs)
        repeat()
        return _check_ring(case, bufs, device_bufs, rng)

    record = launch_record(kernel.launch(steps[0]), kernel.dispatcher(steps[0]))
    return PreparedCase(
        repeat=repeat, launches_per_repetition=len(steps), launch=record, check=check
    )


def _check_ring(
    case: RingAllreduceCase,
    bufs: npt.NDArray[np.float32],
    device_bufs: Any,
    rng: np.random.Generator,
) -> Correctness:
    """Sampled spans of every rank's buffer against the sum over ranks (fp64, then fp32)."""
    spans = sample_spans(case.elements, VECTOR_SAMPLE_SPAN, rng)
    out = np.concatenate(
        [
            np.stack([device_bufs[rank, start:stop].copy_to_host() for rank in range(case.ranks)])
            for start, stop in spans
        ],
        axis=1,
    )
    columns = np.concatenate([np.arange(start, stop) for start, stop in spans])
    total = bufs[:, columns].astype(np.float64).sum(axis=0).astype(np.float32)
    ref = np.broadcast_to(total, out.shape)
    return judge(case.kernel, case.steps()[0], out, ref, RING_REL_TOLERANCE, bufs.size)
