"""The Ampere-class tensor-core GEMM (gemm_tc_ampere_*): its PTX uses the instructions it is
written with, the emulator proves it exact in both formats, and its swizzled shared memory
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


@pytest.mark.parametrize(("name", "ptx_type"), FORMATS.items())
def test_ptx_is_a_cp_async_ldmatrix_mma_pipeline(name: str, ptx_type: str) -> None:
    ptx = compile_ptx(name, GemmParams(256, 256, 256)).ptx
    assert ptx.count("cp.async.cg.shared.global") == 4  # 2 chunks of A, 2 of B per thread
    assert "cp.async.commit_group;" in ptx
    assert "cp.async.wait_group 2;" in ptx  # 3 stages: k-tile c landed, 2 still in flight
    assert ptx.count("ldmatrix.sync.aligned.m8n8.x4.shared.b16") == 4  # 4 A tiles per k16
    assert ptx.count("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16") == 2  # 4 B tiles
    assert ptx.count(f"mma.sync.aligned.m16n8k16.row.col.f32.{ptx_type}.{ptx_type}.f32") == 16


@pytest.mark.parametrize("name", FORMATS)
def test_small_integers_come_out_exact(name: str) -> None:
    """Every rounding is exact: a wrong fragment, swizzle or stage would show. k = 160 is
    five k-tiles through three stages, so every stage is refilled."""
    kernel = get_kernel(name)
    assert isinstance(kernel, GemmKernelDef)
    params = GemmParams(256, 128, 160)
    rng = np.random.default_rng(5)
    a_values = rng.integers(-4, 5, (params.m, params.k)).astype(np.float32)
    b_values = rng.integers(-4, 5, (params.k, params.n)).astype(np.float32)
    a, b = to_input(a_values, kernel.input_dtype), to_input(b_values, kernel.input_dtype)
    c = np.full((params.m, params.n), np.nan, np.float32)
    config = kernel.launch(params)
    emulate(compile_ptx(kernel, params).ptx, (a, b, c), config.grid, config.block)
    assert np.array_equal(c, (a_values @ b_values).astype(np.float32))


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
    assert roles.count(AsyncOp.COPY) == 4
    assert roles.count(AsyncOp.COMMIT) == 1
    assert roles.count(AsyncOp.WAIT) == 1
    assert int(program.async_pending[roles.index(AsyncOp.WAIT)]) == 2
