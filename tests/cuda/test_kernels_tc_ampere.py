"""The Ampere-class tensor-core GEMM (gemm_tc_ampere_*): its PTX uses the instructions it is
written with, the emulator proves it exact in every format, and its swizzled shared memory
is free of bank conflicts in the engine."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import GemmParams, get_kernel
from gpusim.cuda.kernels.gemm_def import GemmKernelDef, input_as_float64, to_input
from gpusim.cuda.ptx import emulate
from gpusim.cuda.tracecache import cached_trace
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.lowering import lower
from gpusim.hw.sm.program import AsyncOp
from gpusim.spec import gpu_preset

FORMATS = {"gemm_tc_ampere_fp16": "f16", "gemm_tc_ampere_bf16": "bf16"}
TN_MMAS = {
    "gemm_tc_ampere_tf32": "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32",
    "gemm_tc_ampere_int8": "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32",
}


@pytest.mark.parametrize(("name", "ptx_type"), FORMATS.items())
def test_ptx_is_a_cp_async_ldmatrix_mma_pipeline(name: str, ptx_type: str) -> None:
    ptx = compile_ptx(name, GemmParams(256, 256, 256)).ptx
    assert ptx.count("cp.async.cg.shared.global") == 4  # 2 chunks of A, 2 of B per thread
    assert "cp.async.commit_group;" in ptx
    assert "cp.async.wait_group 2;" in ptx  # 3 stages: k-tile c landed, 2 still in flight
    assert ptx.count("ldmatrix.sync.aligned.m8n8.x4.shared.b16") == 4  # 4 A tiles per k16
    assert ptx.count("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16") == 2  # 4 B tiles
    assert ptx.count(f"mma.sync.aligned.m16n8k16.row.col.f32.{ptx_type}.{ptx_type}.f32") == 16


@pytest.mark.parametrize(("name", "mma"), TN_MMAS.items())
def test_tn_ptx_loads_both_operands_with_ldmatrix(name: str, mma: str) -> None:
    """B held n x k is copied, swizzled and loaded as A is: no transposing ldmatrix."""
    ptx = compile_ptx(name, GemmParams(256, 256, 256)).ptx
    assert ptx.count("cp.async.cg.shared.global") == 4
    assert "cp.async.wait_group 2;" in ptx
    assert ptx.count("ldmatrix.sync.aligned.m8n8.x4.shared.b16") == 6  # 4 A + 2 B per k-step
    assert "ldmatrix.sync.aligned.m8n8.x4.trans" not in ptx
    assert ptx.count(mma) == 16


@pytest.mark.parametrize("name", [*FORMATS, *TN_MMAS])
def test_small_integers_come_out_exact(name: str) -> None:
    """Every rounding is exact: a wrong fragment, swizzle or stage would show. k is five
    k-tiles through three stages, so every stage is refilled."""
    kernel = get_kernel(name)
    assert isinstance(kernel, GemmKernelDef)
    params = GemmParams(256, 128, 5 * kernel.k_multiple)
    rng = np.random.default_rng(5)
    a_values = rng.integers(-4, 5, (params.m, params.k)).astype(np.float32)
    b_values = rng.integers(-4, 5, (params.k, params.n)).astype(np.float32)
    b_held = b_values if kernel.b_layout == "k_by_n" else np.ascontiguousarray(b_values.T)
    if kernel.number_format == "int8":  # the values themselves as codes
        a, b = a_values.astype(np.int8), b_held.astype(np.int8)
    else:
        a, b = to_input(a_values, kernel.input_dtype), to_input(b_held, kernel.input_dtype)
    c = np.zeros((params.m, params.n), kernel.output_dtype)
    c[:] = -12345  # written over everywhere
    config = kernel.launch(params)
    emulate(compile_ptx(kernel, params).ptx, (a, b, c), config.grid, config.block)
    assert np.array_equal(c, (a_values @ b_values).astype(kernel.output_dtype))


def test_tf32_rounding_makes_random_inputs_exact_in_the_mma() -> None:
    """Random fp32 draws rounded to tf32 on the host: the products the tensor core forms are
    exact, so only fp32 accumulation separates the kernel from the fp64 reference."""
    kernel = get_kernel("gemm_tc_ampere_tf32")
    params = GemmParams(128, 128, 64)
    a, b, c = kernel.make_args(params, np.random.default_rng(11))
    assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and isinstance(c, np.ndarray)
    low_bits = np.uint32((1 << 13) - 1)
    assert not (a.view(np.uint32) & low_bits).any() and not (b.view(np.uint32) & low_bits).any()
    expected = kernel.reference((a, b, c), params)
    config = kernel.launch(params)
    emulate(compile_ptx(kernel, params).ptx, (a, b, c), config.grid, config.block)
    assert np.linalg.norm(c - expected) / np.linalg.norm(expected) < 1e-6


def test_tf32_inputs_round_to_nearest_even() -> None:
    ulp = 2.0**-10  # tf32's 10 mantissa bits
    values = np.array([1.0 + ulp / 2, 1.0 + 3 * ulp / 2, 1.0 + ulp / 4 * 3, -3.0], np.float32)
    rounded = to_input(values, "tfloat32")
    assert rounded.dtype == np.float32
    assert rounded.tolist() == [1.0, 1.0 + 2 * ulp, 1.0 + ulp, -3.0]


def test_int8_inputs_are_nonzero_codes() -> None:
    """make_args' draws in [0.25, 1) with random signs become codes 32..127 in magnitude."""
    codes = to_input(np.array([0.25, -0.25, 0.999, -1.0 + 2**-24], np.float32), "int8")
    assert codes.dtype == np.int8
    assert codes.tolist() == [32, -32, 127, -127]


def test_bf16_inputs_round_to_nearest_even() -> None:
    values = np.array([1.0, 1.0 + 2**-8, 1.0 + 3 * 2**-8, -2.5], np.float32)
    bits = to_input(values, "bfloat16")
    assert bits.dtype == np.uint16
    # 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even 1.0; 1 + 3 * 2^-8
    # is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to the even 1 + 2^-6.
    assert input_as_float64(bits, "bfloat16").tolist() == [1.0, 1.0, 1.0 + 2**-6, -2.5]


def test_swizzled_shared_memory_has_no_bank_conflicts() -> None:
    gpu = gpu_preset("A100-SXM4-80GB").with_overrides({"sm.count": 2})
    trace = cached_trace("gemm_tc_ampere_fp16", GemmParams(256, 256, 128), (8, 0))
    result = simulate_kernel(lower(trace, gpu), gpu, mode="detailed")
    # Its only shared-memory requests are ldmatrix rows of 16 bytes per lane: 4 phases of
    # 8 lanes, one wavefront each without conflicts (an unswizzled 64-byte A row: 2 per
    # phase, a 256-byte B row: 8 per phase).
    assert result.shared_bank_conflict_factor == 4.0


def test_the_pipeline_waits_on_its_copies_in_the_engine() -> None:
    """The trace keeps wait_group's count; lowered, each k-tile's four copies join a group,
    one commit closes it and the wait lets STAGES - 1 = 2 groups stay in flight."""
    gpu = gpu_preset("A100-SXM4-80GB")
    trace = cached_trace("gemm_tc_ampere_fp16", GemmParams(256, 256, 128), (8, 0))
    assert "cp.async.wait_group.2" in trace.program.opcode_names
    program = lower(trace, gpu)
    roles = list(program.async_op)
    assert roles.count(AsyncOp.OPERATION) == 4
    assert roles.count(AsyncOp.COMMIT) == 1
    assert roles.count(AsyncOp.WAIT) == 1
    assert int(program.async_pending[roles.index(AsyncOp.WAIT)]) == 2
