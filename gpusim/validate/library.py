"""Vendor-library reference cases through PyTorch: cuBLAS GEMMs and a device-to-device copy.

They say how far the project's own kernels are from what the hardware gives through its
best libraries, on the same device in the same run; they are recorded and reported, never
simulated. PyTorch is optional: without it these cases are skipped with that reason.

Inputs are drawn on the device with the recorder's distribution (``inputs``: magnitudes in
[0.25, 1], random signs); the GEMM ``out`` buffer and the copy destination start as NaN.
``tf32`` is PyTorch's fp32 GEMM at matmul precision "high" (TF32 allowed); fp16 and bf16
multiply and write in that type, so their tolerance is that type's output rounding.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from gpusim.cuda.kernels import CopyParams, GemmParams
from gpusim.validate.checks import judge, sample_spans
from gpusim.validate.measurements import Correctness
from gpusim.validate.runners import GEMM_SAMPLE_ROWS, VECTOR_SAMPLE_SPAN, PreparedCase
from gpusim.validate.suite import LibraryCase
from gpusim.validate.timing import MS_PER_S, Blocker, time_repetitions

BLOCKER_COPY_BYTES = 256 * 1024 * 1024
FP32_BYTES = 4
TOLERANCE = {"fp32": 1e-5, "tf32": 2e-3, "fp16": 2e-3, "bf16": 1e-2, "bytes": 0.0}
"""``||out - ref|| / ||ref||`` bounds: fp32 rounding; tf32 inputs (10-bit mantissa);
fp16 and bf16 outputs (11 and 8 significant bits)."""


def load_torch() -> ModuleType | None:
    """PyTorch if it is installed and sees a CUDA device, else None."""
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def library_info(torch: ModuleType, case: LibraryCase) -> dict[str, str]:
    return {"backend": "torch", "version": str(torch.__version__), "dtype": case.dtype}


class TorchEvent:
    """A PyTorch CUDA timing event on the current (default) stream."""

    def __init__(self, torch: ModuleType) -> None:
        self._event = torch.cuda.Event(enable_timing=True)

    def record(self) -> None:
        self._event.record()

    def seconds_until(self, end: TorchEvent) -> float:
        return float(self._event.elapsed_time(end._event)) / MS_PER_S

    def pending(self) -> bool | None:
        return not self._event.query()

    def synchronize(self) -> None:
        self._event.synchronize()


def _random_nonzero(torch: ModuleType, shape: tuple[int, ...], generator: Any) -> Any:
    values = torch.rand(shape, generator=generator, device="cuda") * 1.5 - 0.75
    return values + torch.where(values >= 0, 0.25, -0.25)


def torch_blocker(torch: ModuleType) -> Blocker:
    """A 256 MiB device copy, its device time measured: the library series' blocker."""
    elements = BLOCKER_COPY_BYTES // FP32_BYTES
    source = torch.ones(elements, device="cuda")
    target = torch.empty_like(source)

    def launch() -> None:
        target.copy_(source)

    samples = time_repetitions(launch, 5, lambda: TorchEvent(torch))
    return Blocker(launch=launch, launch_s=min(samples))


def prepare_library_case(
    case: LibraryCase, torch: ModuleType, rng: np.random.Generator
) -> PreparedCase:
    """The case's buffers on the device, its call, and its sampled check."""
    generator = torch.Generator(device="cuda")
    generator.manual_seed(int(rng.integers(2**31)))
    if isinstance(case.params, GemmParams):
        return _prepare_gemm(case, case.params, torch, generator, rng)
    return _prepare_copy(case, case.params, torch, generator, rng)


def _prepare_gemm(
    case: LibraryCase,
    params: GemmParams,
    torch: ModuleType,
    generator: Any,
    rng: np.random.Generator,
) -> PreparedCase:
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(case.dtype, torch.float32)
    a = _random_nonzero(torch, (params.m, params.k), generator).to(dtype)
    b = _random_nonzero(torch, (params.k, params.n), generator).to(dtype)
    c = torch.full((params.m, params.n), float("nan"), dtype=dtype, device="cuda")
    # "high" lets fp32 matmuls use TF32, "highest" forbids it; fp16/bf16 are unaffected.
    torch.set_float32_matmul_precision("high" if case.dtype == "tf32" else "highest")

    def repeat() -> None:
        torch.matmul(a, b, out=c)

    def check() -> Correctness:
        spans = sample_spans(params.m, GEMM_SAMPLE_ROWS, rng)
        rows = torch.as_tensor(np.concatenate([np.arange(x, y) for x, y in spans]), device="cuda")
        out = c[rows].float().cpu().numpy()
        ref = (a[rows].double() @ b.double()).float().cpu().numpy()
        return judge(case.kernel, params, out, ref, TOLERANCE[case.dtype], c.numel())

    return PreparedCase(repeat=repeat, launches_per_repetition=1, launch=None, check=check)


def _prepare_copy(
    case: LibraryCase,
    params: CopyParams,
    torch: ModuleType,
    generator: Any,
    rng: np.random.Generator,
) -> PreparedCase:
    source = _random_nonzero(torch, (params.size_bytes // FP32_BYTES,), generator)
    target = torch.full_like(source, float("nan"))

    def repeat() -> None:
        target.copy_(source)

    def check() -> Correctness:
        spans = sample_spans(source.numel(), VECTOR_SAMPLE_SPAN, rng)
        index = torch.as_tensor(np.concatenate([np.arange(x, y) for x, y in spans]), device="cuda")
        out = target[index].cpu().numpy()
        ref = source[index].cpu().numpy()
        return judge(case.kernel, params, out, ref, TOLERANCE[case.dtype], target.numel())

    return PreparedCase(repeat=repeat, launches_per_repetition=1, launch=None, check=check)
