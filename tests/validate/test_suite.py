"""The suites hold what the issue asks for, fit their time limits, and build right arguments."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.cuda.kernels import KERNELS, CopyParams, GemmParams, get_kernel
from gpusim.cuda.kernels.gemm_def import HopperGemmKernelDef
from gpusim.units import GIB, MIB
from gpusim.validate.inputs import HostInputs
from gpusim.validate.record import DEFAULT_BUDGET_S
from gpusim.validate.runners import host_args, host_elements
from gpusim.validate.suite import (
    GEMM_KERNELS,
    SIMULATOR_POLICY,
    UNRECORDED_GEMMS,
    KernelCase,
    LibraryCase,
    RingAllreduceCase,
    TimingPolicy,
    kernel_family,
    plan,
    suite_cases,
)


def test_every_gemm_kernel_of_the_registry_is_in_the_suite() -> None:
    registered = {kernel.name for kernel in KERNELS if kernel.family == "gemm"}
    assert set(GEMM_KERNELS) == registered - UNRECORDED_GEMMS


def test_the_full_suite_covers_the_issue_sizes() -> None:
    cases = suite_cases("full")
    gemm = [c for c in cases if isinstance(c, KernelCase) and isinstance(c.params, GemmParams)]
    for kernel in GEMM_KERNELS:
        shapes = {c.params for c in gemm if c.kernel == kernel}
        squares = {p.m for p in shapes if p.m == p.n == p.k}
        assert squares == {256, 512, 1024, 2048, 4096, 8192}
        assert GemmParams(4096, 4096, 1024) in shapes
        assert GemmParams(8192, 1024, 8192) in shapes
    copies = [
        c.params.size_bytes for c in cases if isinstance(c, KernelCase) and c.kernel == "copy"
    ]
    assert min(copies) == 1 * MIB and max(copies) == 4 * GIB
    rings = [c for c in cases if isinstance(c, RingAllreduceCase)]
    assert {c.ranks for c in rings} == {2, 4, 8}
    for ranks in (2, 4, 8):
        sizes = [c.message_bytes for c in rings if c.ranks == ranks]
        assert min(sizes) == 1 * MIB and max(sizes) == 1 * GIB
    library = [c for c in cases if isinstance(c, LibraryCase)]
    assert {c.dtype for c in library if c.op == "gemm"} == {"fp32", "tf32", "fp16", "bf16"}
    assert any(c.op == "copy" for c in library)


def test_case_ids_are_unique() -> None:
    for name in ("full", "quick", "smoke"):
        ids = [case.case_id for case in suite_cases(name)]
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("suite", "limit_s"), [("full", 9 * 60), ("quick", 150)])
def test_planned_time_fits_the_limit_with_margin(suite: str, limit_s: float) -> None:
    total_s = sum(seconds for _, seconds in plan(suite_cases(suite), TimingPolicy()))
    assert total_s < 0.7 * DEFAULT_BUDGET_S[suite] <= 0.7 * limit_s


def test_families_merge_tile_variants() -> None:
    assert kernel_family("gemm_smem_tiled_16") == kernel_family("gemm_smem_tiled_32")
    assert kernel_family("gemm_register_blocked_128") == "gemm_register_blocked"
    assert kernel_family("gemm_naive") == "gemm_naive"
    assert RingAllreduceCase(ranks=2, message_bytes=1024).family == "allreduce"


def test_repetitions_follow_the_warm_up_within_bounds() -> None:
    policy = TimingPolicy()
    gemm = KernelCase("gemm_naive", GemmParams(256, 256, 256))
    ring = RingAllreduceCase(ranks=8, message_bytes=1 * MIB)
    assert policy.repetitions(gemm, repetition_s=1.0) == 20  # never fewer than the issue's 20
    assert policy.repetitions(gemm, repetition_s=0.25 / 50) == 50
    assert policy.repetitions(gemm, repetition_s=1e-6) == 200
    assert policy.repetitions(ring, repetition_s=1e-6) == 30  # in-place growth stays finite


@pytest.mark.parametrize("repetition_s", [1e-6, 0.05, 10.0])
def test_the_simulator_policy_times_two_repetitions_of_every_kind(repetition_s: float) -> None:
    """The CUDA simulator's timings mean nothing: two repetitions of every case, whatever the
    warm-up took (a fast CI runner's 0.06 s ring warm-up once asked for four)."""
    gemm = KernelCase("gemm_naive", GemmParams(256, 256, 256))
    ring = RingAllreduceCase(ranks=2, message_bytes=1024)
    for case in (gemm, ring):
        assert SIMULATOR_POLICY.repetitions(case, repetition_s) == 2


def test_a_ring_repetition_is_every_step_in_order() -> None:
    case = RingAllreduceCase(ranks=4, message_bytes=4 * 1000)
    assert [step.step for step in case.steps()] == [0, 1, 2, 3, 4, 5]
    assert case.record_params() == {"elements": 1000, "ranks": 4}
    kernel = get_kernel("allreduce_ring_single_device")
    assert case.min_dram_bytes() == sum(kernel.min_dram_bytes(s) for s in case.steps())


TENSOR_MAPS_ARG = 3
"""A Hopper GEMM's tensor maps (``gemm_tc_hopper``'s fourth argument)."""


@pytest.mark.parametrize(
    "case",
    [
        *(KernelCase(name, GemmParams(128, 256, 128)) for name in GEMM_KERNELS),
        KernelCase("copy", CopyParams(16 * 100)),
    ],
    ids=lambda case: case.case_id,
)
def test_pooled_arguments_have_make_args_shapes_and_dtypes(case: KernelCase) -> None:
    kernel = case.kernel_def()
    inputs = HostInputs(seed=1, threads=2)
    dtype, elements, output_shape = host_elements(case)
    inputs.reserve(dtype, elements)
    pooled = host_args(kernel, case.params, inputs)
    expected = kernel.make_args(case.params, np.random.default_rng(0))
    assert [(a.shape, a.dtype) for a in pooled] == [(e.shape, e.dtype) for e in expected]
    output = np.asarray(pooled[kernel.output_arg])
    poisoned = (
        np.isnan(output) if output.dtype.kind in "fc" else output == np.iinfo(output.dtype).max
    )
    assert output.shape == output_shape and poisoned.all()
    for index, arg in enumerate(pooled):
        if isinstance(kernel, HopperGemmKernelDef) and index == TENSOR_MAPS_ARG:
            assert np.array_equal(arg, expected[index])  # descriptors, not data
        elif index != kernel.output_arg:
            assert np.all(np.asarray(arg) != 0)


def test_the_ring_draws_make_args_buffers() -> None:
    case = RingAllreduceCase(ranks=4, message_bytes=4 * 103)
    dtype, elements, shape = host_elements(case)
    bufs, _ = get_kernel(case.kernel).make_args(case.steps()[0], np.random.default_rng(0))
    assert (dtype, elements, shape) == (np.asarray(bufs).dtype, np.asarray(bufs).size, bufs.shape)
