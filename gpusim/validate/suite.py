"""What a recording measures: the cases of the full, quick and smoke suites, and their cost.

Three kinds of case:

* ``KernelCase``: one registered kernel at one size; a repetition is one launch.
* ``RingAllreduceCase``: the single-device ring all-reduce of ``ranks`` buffers of
  ``message_bytes`` each (nccl-tests' "size": the bytes every rank contributes); a
  repetition is its 2(N - 1) launches of ``allreduce_ring_single_device``, steps in order.
* ``LibraryCase``: a vendor-library reference (cuBLAS GEMM, a device-to-device copy)
  through PyTorch when it is installed; recorded for context, never simulated.

``plan_seconds`` estimates a case's wall time from its work at planning rates: it sizes the
suites to their time limits and lets the recorder skip what would overrun ``--budget-s``.
The rates are guesses for an H100 on the slow side, not measurements and not simulator
inputs; a recorded file is the way to revise them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Literal

from gpusim.cuda.kernels import (
    AllreduceRingParams,
    CopyParams,
    GemmParams,
    KernelDef,
    get_kernel,
    kernel_names,
)
from gpusim.cuda.kernels.gemm_def import (
    GEMM_TC_AMPERE_FP16_DEPTHS,
    GEMM_TC_HOPPER_FP8,
    GEMM_TC_HOPPER_FP16,
)
from gpusim.units import GIB, MIB

SuiteName = Literal["full", "quick", "smoke"]
SUITE_NAMES: tuple[SuiteName, ...] = ("full", "quick", "smoke")
RING_KERNEL = "allreduce_ring_single_device"
FP32_BYTES = 4

UNRECORDED_GEMMS = frozenset({"gemm_naive_uncoalesced"})
"""GEMMs kept out of the recording suites: the uncoalesced naive kernel (the SGEMM ladder's
rung 1, compared with its published A6000 figure) runs at a few hundred GFLOP/s, and the
full suite's 8192^3 cases alone would take a third of its time budget."""
GEMM_KERNELS = tuple(name for name in kernel_names("gemm") if name not in UNRECORDED_GEMMS)
QUICK_UNRECORDED_GEMMS = frozenset(
    {
        "gemm_tc_ampere_tf32",
        "gemm_tc_ampere_int8",
        *(kernel.name for kernel in GEMM_TC_AMPERE_FP16_DEPTHS),
        GEMM_TC_HOPPER_FP16.name,
        GEMM_TC_HOPPER_FP8.name,
    }
)
"""Format and pipeline-depth variants the quick suite leaves to the full one, which records
them: the Ampere kernel's tile loop is the 3-stage fp16 variant's, the Hopper kernel's the
bf16 one's, and with them the quick suite's plan would pass its 2.5-minute budget's
margin."""


def kernel_family(kernel: str) -> str:
    """The family a kernel's accuracy is reported under: its name less a tile-size suffix.

    ``gemm_smem_tiled_16`` and ``_32`` are one family, as are the two register-blocked
    variants: they share one code shape and so one modelling question.
    """
    stem, _, suffix = kernel.rpartition("_")
    return stem if suffix.isdigit() else kernel


@dataclass(frozen=True)
class KernelCase:
    """One launch of a registered kernel per repetition."""

    kernel: str
    params: GemmParams | CopyParams

    @property
    def kind(self) -> Literal["kernel"]:
        return "kernel"

    @property
    def family(self) -> str:
        return kernel_family(self.kernel)

    @property
    def case_id(self) -> str:
        return f"{self.kernel}/{_params_text(asdict(self.params))}"

    def record_params(self) -> dict[str, int | str]:
        return dict(asdict(self.params))

    def kernel_def(self) -> KernelDef[GemmParams | CopyParams]:
        return get_kernel(self.kernel)

    def flops(self) -> int:
        return self.kernel_def().flops(self.params)

    def min_dram_bytes(self) -> int:
        return self.kernel_def().min_dram_bytes(self.params)


@dataclass(frozen=True)
class RingAllreduceCase:
    """The whole single-device ring all-reduce: 2(ranks - 1) launches per repetition."""

    ranks: int
    message_bytes: int

    @property
    def kind(self) -> Literal["ring_allreduce"]:
        return "ring_allreduce"

    @property
    def family(self) -> str:
        return "allreduce"

    @property
    def kernel(self) -> str:
        return RING_KERNEL

    @property
    def elements(self) -> int:
        return self.message_bytes // FP32_BYTES

    @property
    def case_id(self) -> str:
        return f"ring_allreduce/ranks={self.ranks},elements={self.elements}"

    def record_params(self) -> dict[str, int | str]:
        return {"elements": self.elements, "ranks": self.ranks}

    def steps(self) -> tuple[AllreduceRingParams, ...]:
        """The params of each launch, in launch order."""
        return tuple(
            AllreduceRingParams(elements=self.elements, ranks=self.ranks, step=step)
            for step in range(2 * (self.ranks - 1))
        )

    def flops(self) -> int:
        kernel = get_kernel(RING_KERNEL)
        return sum(kernel.flops(step) for step in self.steps())

    def min_dram_bytes(self) -> int:
        kernel = get_kernel(RING_KERNEL)
        return sum(kernel.min_dram_bytes(step) for step in self.steps())


LibraryOp = Literal["gemm", "copy"]
LibraryDtype = Literal["fp32", "tf32", "fp16", "bf16", "bytes"]


@dataclass(frozen=True)
class LibraryCase:
    """A vendor-library call: ``gemm`` (cuBLAS via PyTorch) in ``dtype``, or a ``copy``."""

    op: LibraryOp
    dtype: LibraryDtype
    params: GemmParams | CopyParams

    @property
    def kind(self) -> Literal["library"]:
        return "library"

    @property
    def family(self) -> str:
        return f"library_{self.op}"

    @property
    def kernel(self) -> str:
        return f"library_{self.op}_{self.dtype}"

    @property
    def case_id(self) -> str:
        return f"{self.kernel}/{_params_text(asdict(self.params))}"

    def record_params(self) -> dict[str, int | str]:
        return {**asdict(self.params), "dtype": self.dtype}

    def flops(self) -> int:
        if isinstance(self.params, GemmParams):
            return 2 * self.params.m * self.params.n * self.params.k
        return 0

    def min_dram_bytes(self) -> int:
        if isinstance(self.params, GemmParams):
            p = self.params
            input_bytes = 4 if self.dtype in ("fp32", "tf32") else 2
            return (p.m * p.k + p.k * p.n + p.m * p.n) * input_bytes
        return 2 * self.params.size_bytes


Case = KernelCase | RingAllreduceCase | LibraryCase


def _params_text(params: dict[str, int]) -> str:
    return ",".join(f"{key}={value}" for key, value in params.items())


def _powers_of_two(low: int, high: int) -> list[int]:
    return [1 << exponent for exponent in range(low.bit_length() - 1, high.bit_length())]


FULL_GEMM_SHAPES = (
    *(GemmParams(size, size, size) for size in _powers_of_two(256, 8192)),
    GemmParams(4096, 4096, 1024),
    GemmParams(8192, 1024, 8192),
    GemmParams(2048, 2048, 8192),
)
QUICK_GEMM_SHAPES = (
    *(GemmParams(size, size, size) for size in (256, 1024, 2048)),
    GemmParams(4096, 4096, 1024),
)
FULL_COPY_BYTES = _powers_of_two(1 * MIB, 4 * GIB)
QUICK_COPY_BYTES = [1 * MIB, 16 * MIB, 256 * MIB, 1 * GIB]
RING_RANKS = (2, 4, 8)
FULL_RING_BYTES = _powers_of_two(1 * MIB, 1 * GIB)
QUICK_RING_BYTES = [1 * MIB, 64 * MIB]
FULL_LIBRARY_GEMM_SIZES = (1024, 4096, 8192)
QUICK_LIBRARY_GEMM_SIZES = (4096,)
LIBRARY_GEMM_DTYPES: tuple[LibraryDtype, ...] = ("fp32", "tf32", "fp16", "bf16")
FULL_LIBRARY_COPY_BYTES = (256 * MIB, 4 * GIB)
QUICK_LIBRARY_COPY_BYTES = (256 * MIB,)

# Each GEMM and copy kernel at its sample size (small, a few not multiples of the tiles where
# the kernel guards its edges): the CUDA simulator runs one OS thread per GPU thread, so
# these keep a smoke recording under a minute there, and on a GPU they make a first check in
# seconds.
SMOKE_CASES: tuple[Case, ...] = (
    *(KernelCase(name, get_kernel(name).sample_params) for name in GEMM_KERNELS),
    *(KernelCase(name, get_kernel(name).sample_params) for name in kernel_names("copy")),
    RingAllreduceCase(ranks=2, message_bytes=4 * 103),
    RingAllreduceCase(ranks=4, message_bytes=4 * 257),
)


def suite_cases(name: SuiteName, *, library: bool = True) -> tuple[Case, ...]:
    """The cases of suite ``name`` in recording order (library references last)."""
    if name == "smoke":
        return SMOKE_CASES
    full = name == "full"
    shapes = FULL_GEMM_SHAPES if full else QUICK_GEMM_SHAPES
    kernels = [k for k in GEMM_KERNELS if full or k not in QUICK_UNRECORDED_GEMMS]
    cases: list[Case] = [KernelCase(kernel, shape) for shape in shapes for kernel in kernels]
    copy_bytes = FULL_COPY_BYTES if full else QUICK_COPY_BYTES
    cases += [KernelCase("copy", CopyParams(size)) for size in copy_bytes]
    ring_bytes = FULL_RING_BYTES if full else QUICK_RING_BYTES
    cases += [RingAllreduceCase(ranks, size) for ranks in RING_RANKS for size in ring_bytes]
    if library:
        cases += list(_library_cases(full))
    return tuple(cases)


def _library_cases(full: bool) -> Iterator[LibraryCase]:
    sizes = FULL_LIBRARY_GEMM_SIZES if full else QUICK_LIBRARY_GEMM_SIZES
    for size in sizes:
        for dtype in LIBRARY_GEMM_DTYPES:
            yield LibraryCase("gemm", dtype, GemmParams(size, size, size))
    for size_bytes in FULL_LIBRARY_COPY_BYTES if full else QUICK_LIBRARY_COPY_BYTES:
        yield LibraryCase("copy", "bytes", CopyParams(size_bytes))


@dataclass(frozen=True)
class TimingPolicy:
    """How many repetitions to time: enough for ``target_series_s`` of device time, in bounds.

    At least ``min_repetitions`` (the issue's 20) and at most ``max_repetitions``; the ring
    all-reduce runs in place, so every repetition multiplies the buffers by up to N, and
    ``max_ring_repetitions`` keeps 8-rank values finite in fp32 (8^40 < 3.4e38 / 8^3).
    """

    warmup_repetitions: int = 2
    min_repetitions: int = 20
    max_repetitions: int = 200
    max_ring_repetitions: int = 30
    target_series_s: float = 0.25

    def repetitions(self, case: Case, repetition_s: float) -> int:
        """Repetitions to time, given one repetition's time measured in the warm-up."""
        ceiling = (
            self.max_ring_repetitions if case.kind == "ring_allreduce" else self.max_repetitions
        )
        wanted = math.ceil(self.target_series_s / max(repetition_s, 1e-9))
        return max(self.min_repetitions, min(wanted, ceiling))


# The CUDA simulator's "timings" are its own run time (meaningless) and it is slow: time
# two repetitions there, enough to exercise every step of the recording path.
SIMULATOR_POLICY = TimingPolicy(
    warmup_repetitions=1, min_repetitions=2, max_repetitions=2, max_ring_repetitions=2
)

# Planning rates (see the module docstring), on an H100: FLOP/s for the library GEMMs (a
# registered kernel's is its ``planning_flops_per_s``), bytes/s of ``min_dram_bytes`` for
# copies and rings.
LIBRARY_PLANNING_FLOPS_PER_S = {
    "library_gemm_fp32": 40e12,
    "library_gemm_tf32": 200e12,
    "library_gemm_fp16": 400e12,
    "library_gemm_bf16": 400e12,
}
PLANNING_BYTES_PER_S = 2.0e12
PLANNING_HOST_BYTES_PER_S = 1.0e9
"""Host-side work per input byte: random generation, transfer, the sampled check."""
PLANNING_CASE_OVERHEAD_S = 0.3
PLANNING_COMPILE_S = 4.0
"""First use of a kernel: Numba compiles (and LTO-links) its signature."""


def repetition_seconds(case: Case) -> float:
    """Planned device time of one repetition."""
    if isinstance(case, KernelCase):
        rate = case.kernel_def().planning_flops_per_s
    else:
        rate = LIBRARY_PLANNING_FLOPS_PER_S.get(case.kernel)
    if rate is not None:
        return case.flops() / rate
    return case.min_dram_bytes() / PLANNING_BYTES_PER_S


def host_bytes(case: Case) -> int:
    """Bytes the host draws and uploads for a case (the ring's check uploads its input again)."""
    if isinstance(case, RingAllreduceCase):
        return 2 * case.ranks * case.message_bytes
    if isinstance(case, LibraryCase):
        return 0  # drawn on the device
    return case.min_dram_bytes()  # the GEMM's or copy's inputs and its poisoned output


def plan_seconds(case: Case, policy: TimingPolicy, *, first_use: bool) -> float:
    """Planned wall time of a case: warm-up, timed series, check, host work, compile."""
    repetition_s = repetition_seconds(case)
    timed = policy.repetitions(case, repetition_s)
    device_s = (1 + policy.warmup_repetitions + timed + 1) * repetition_s
    host_s = host_bytes(case) / PLANNING_HOST_BYTES_PER_S
    compile_s = PLANNING_COMPILE_S if first_use else 0.0
    return device_s + host_s + compile_s + PLANNING_CASE_OVERHEAD_S


def plan(cases: tuple[Case, ...], policy: TimingPolicy) -> list[tuple[Case, float]]:
    """Each case with its planned seconds (compile counted at each kernel's first case)."""
    seen: set[str] = set()
    planned: list[tuple[Case, float]] = []
    for case in cases:
        planned.append((case, plan_seconds(case, policy, first_use=case.kernel not in seen)))
        seen.add(case.kernel)
    return planned
