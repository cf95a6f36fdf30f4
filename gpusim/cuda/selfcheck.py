"""Run every kernel at small sizes on the current device and compare it with its reference.

``python -m gpusim.cuda.selfcheck`` launches each registered kernel through the same path
the GPU timing harness uses (``KernelDef.launcher`` with device arrays), compares the output
with the kernel's NumPy reference and prints one JSON document; the exit code is 0 when
every case passes. A case passes when ``||out - ref|| / ||ref||`` is at most the kernel's
tolerance and every output element is finite (outputs start as NaN, so an element the
kernel never writes fails, and NaN never passes).

It is device-agnostic: on a real GPU every kernel runs; under the CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``, set before numba is imported) the kernels the simulator
cannot execute (inline PTX: the tensor-core GEMM) are skipped. Each kernel runs at its
``sample_params``: small, and deliberately not multiples of the tiles where a kernel
accepts that, so edge handling runs.
Ring sequences also run the complete all-reduce: 2(N - 1) launches of the single-device
kernel, and the per-rank step kernels with the ranks of each step taken in ascending order;
taking them in descending order must give bit for bit the same buffers (a step is race-free:
see ``kernels.allreduce_def``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import cuda
from numba.cuda.core import config

from gpusim.cuda.kernels import (
    KERNELS,
    AllreduceRingParams,
    AllreduceStepParams,
    KernelArg,
    KernelDef,
    KernelParams,
    get_kernel,
)
from gpusim.cuda.kernels.allreduce_def import ring_phase_and_step
from gpusim.cuda.kernels.operands import random_nonzero

SEED = 20240501
RING_ELEMENTS = 103  # not a multiple of the rank count: uneven chunks
RING_RANKS = 4
# The ring sums in fp32 in ring order, the reference in fp64: rounding differs slightly.
RING_REL_TOLERANCE = 1e-6
RANK_STEP_KERNELS = "allreduce_reduce_scatter_step+allreduce_all_gather_step"


@dataclass(frozen=True)
class CaseResult:
    """One comparison: ``rel_error`` is None when the output holds NaN or infinity."""

    case: str
    kernel: str
    params: dict[str, int]
    rel_error: float | None
    rel_tolerance: float
    non_finite_elements: int
    passed: bool


def relative_error(out: npt.NDArray[Any], ref: npt.NDArray[Any]) -> float:
    """``||out - ref|| / ||ref||`` in fp64 (complex-safe); NaN if ``out`` holds NaN."""
    difference = np.asarray(out, np.complex128) - np.asarray(ref, np.complex128)
    return float(np.linalg.norm(difference.ravel()) / np.linalg.norm(np.ravel(ref)))


def compare(
    case: str,
    kernel: str,
    params: KernelParams,
    out: npt.NDArray[Any],
    ref: npt.NDArray[Any],
    rel_tolerance: float,
) -> CaseResult:
    """Judge ``out`` against ``ref``: every element finite and the relative error in bounds."""
    non_finite_elements = int(np.count_nonzero(~np.isfinite(out)))
    error = relative_error(out, ref)
    finite = non_finite_elements == 0 and np.isfinite(error)
    return CaseResult(
        case=case,
        kernel=kernel,
        params=asdict(params),
        rel_error=error if finite else None,
        rel_tolerance=rel_tolerance,
        non_finite_elements=non_finite_elements,
        passed=bool(finite and error <= rel_tolerance),
    )


def _to_device(args: Sequence[KernelArg]) -> list[Any]:
    return [cuda.to_device(arg) if isinstance(arg, np.ndarray) else arg for arg in args]


def run_case(kernel: KernelDef[Any], params: KernelParams, rng: np.random.Generator) -> CaseResult:
    """One launch of ``kernel`` on fresh arguments, compared with its reference."""
    args = kernel.make_args(params, rng)
    ref = kernel.reference(args, params)
    device_args = _to_device(args)
    kernel.launcher(params)(*device_args)
    out = device_args[kernel.output_arg].copy_to_host()
    return compare(kernel.name, kernel.name, params, out, ref, kernel.rel_tolerance)


def _ring_sum(bufs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Every rank's buffer after an all-reduce: the sum over ranks, on every row."""
    total = bufs.astype(np.float64).sum(axis=0).astype(np.float32)
    return np.broadcast_to(total, bufs.shape)


def run_ring_single_device(rng: np.random.Generator) -> CaseResult:
    """All 2(N - 1) launches of the single-device ring: every row must end as the sum."""
    kernel = get_kernel("allreduce_ring_single_device")
    first = AllreduceRingParams(elements=RING_ELEMENTS, ranks=RING_RANKS, step=0)
    bufs = np.asarray(kernel.make_args(first, rng)[0])
    device_bufs = cuda.to_device(bufs)
    for step in range(2 * (RING_RANKS - 1)):
        params = AllreduceRingParams(elements=RING_ELEMENTS, ranks=RING_RANKS, step=step)
        kernel.launcher(params)(device_bufs, step)
    out = device_bufs.copy_to_host()
    return compare(
        "ring_single_device_full", kernel.name, first, out, _ring_sum(bufs), RING_REL_TOLERANCE
    )


def ring_by_rank(bufs: npt.NDArray[np.float32], descending: bool) -> npt.NDArray[np.float32]:
    """The all-reduce of ``bufs`` (one row per rank) from the per-rank step kernels.

    Each step launches every rank's kernel in turn, in the given rank order, each reading
    its predecessor's buffer in place on this device.
    """
    device_bufs = [cuda.to_device(row) for row in bufs]
    rank_order = sorted(range(RING_RANKS), reverse=descending)
    for ring_step in range(2 * (RING_RANKS - 1)):
        phase, step = ring_phase_and_step(ring_step, RING_RANKS)
        kernel = get_kernel(f"allreduce_{phase}_step")
        for rank in rank_order:
            params = AllreduceStepParams(RING_ELEMENTS, RING_RANKS, step, rank)
            recv = device_bufs[(rank - 1) % RING_RANKS]
            kernel.launcher(params)(device_bufs[rank], recv, step, RING_RANKS, rank)
    return np.stack([buf.copy_to_host() for buf in device_bufs])


def run_ring_by_rank(rng: np.random.Generator) -> CaseResult:
    """The per-rank step kernels complete the all-reduce (ranks in ascending order)."""
    bufs = random_nonzero(rng, (RING_RANKS, RING_ELEMENTS), np.float32)
    out = ring_by_rank(bufs, descending=False)
    first = AllreduceStepParams(RING_ELEMENTS, RING_RANKS, 0, 0)
    return compare(
        "ring_by_rank_full", RANK_STEP_KERNELS, first, out, _ring_sum(bufs), RING_REL_TOLERANCE
    )


def run_ring_rank_order(rng: np.random.Generator) -> CaseResult:
    """Descending rank order gives bit for bit the ascending result: steps are race-free."""
    bufs = random_nonzero(rng, (RING_RANKS, RING_ELEMENTS), np.float32)
    ascending = ring_by_rank(bufs, descending=False)
    descending = ring_by_rank(bufs, descending=True)
    first = AllreduceStepParams(RING_ELEMENTS, RING_RANKS, 0, 0)
    return compare("ring_by_rank_order", RANK_STEP_KERNELS, first, descending, ascending, 0.0)


RING_SEQUENCES: tuple[tuple[str, Callable[[np.random.Generator], CaseResult]], ...] = (
    ("allreduce_ring_single_device", run_ring_single_device),
    ("allreduce_reduce_scatter_step", run_ring_by_rank),
    ("allreduce_reduce_scatter_step", run_ring_rank_order),
)
"""Whole all-reduces, each run when the kernel named beside it is selected."""


def device_name() -> str:
    if config.ENABLE_CUDASIM:
        return "CUDA simulator"
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def run_selfcheck(kernel_names: Sequence[str] = ()) -> dict[str, Any]:
    """Run the cases of ``kernel_names`` (all by default) and the ring sequences.

    Returns the JSON-ready report: device, versions, one result per case, skipped kernels,
    and ``passed`` for the whole run.
    """
    selected = set(kernel_names) or {kernel.name for kernel in KERNELS}
    for name in selected:
        get_kernel(name)  # an unknown name fails here, listing the known ones
    rng = np.random.default_rng(SEED)
    results: list[CaseResult] = []
    skipped: list[str] = []
    for kernel in KERNELS:
        if kernel.name not in selected:
            continue
        if config.ENABLE_CUDASIM and not kernel.runs_on_cudasim:
            skipped.append(kernel.name)
            continue
        results.append(run_case(kernel, kernel.sample_params, rng))
    results.extend(sequence(rng) for name, sequence in RING_SEQUENCES if name in selected)
    return {
        "device": device_name(),
        "simulator": bool(config.ENABLE_CUDASIM),
        "numba_cuda_version": version("numba-cuda"),
        "cases": [asdict(result) for result in results],
        "skipped": skipped,
        "passed": all(result.passed for result in results),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--kernel", action="append", default=[], help="check only this kernel (repeatable)"
    )
    options = parser.parse_args(argv)
    report = run_selfcheck(options.kernel)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
