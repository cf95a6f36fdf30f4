"""Every registered kernel, emulated from its LTO-linked PTX, reproduces its NumPy reference.

This is the proof that a trace is a real execution: the instruction streams the trace
records are the ones that computed these results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import (
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelParams,
    get_kernel,
)
from gpusim.cuda.ptx import emulate

CASES: list[tuple[str, KernelParams]] = [
    ("gemm_naive", GemmParams(40, 33, 21)),
    ("gemm_smem_tiled_16", GemmParams(50, 37, 29)),
    ("gemm_smem_tiled_32", GemmParams(64, 40, 70)),
    ("gemm_register_blocked_64", GemmParams(64, 128, 32)),
    ("gemm_register_blocked_128", GemmParams(128, 128, 16)),
    ("gemm_tensor_core", GemmParams(64, 128, 64)),
    ("gemm_tc_ampere_fp16", GemmParams(256, 128, 160)),
    ("gemm_tc_ampere_bf16", GemmParams(128, 256, 64)),
    ("gemm_tc_ampere_tf32", GemmParams(128, 256, 48)),
    ("gemm_tc_ampere_int8", GemmParams(256, 128, 192)),
    ("copy", CopyParams(16 * 777)),
    ("allreduce_reduce_scatter_step", AllreduceStepParams(3001, 3, 1, 2)),
    ("allreduce_all_gather_step", AllreduceStepParams(3001, 4, 2, 1)),
    ("allreduce_ring_single_device", AllreduceRingParams(1003, 4, 2)),
    ("allreduce_ring_single_device", AllreduceRingParams(1003, 4, 4)),
]


def emulate_registered(name: str, params: KernelParams, args: tuple[Any, ...]) -> None:
    kernel = get_kernel(name)
    config = kernel.launch(params)
    ptx = compile_ptx(kernel, params).ptx
    emulate(ptx, args, config.grid, config.block, dynamic_shared_bytes=config.dynamic_shared_bytes)


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_emulated_kernel_matches_reference(name: str, params: KernelParams) -> None:
    kernel = get_kernel(name)
    args = kernel.make_args(params, np.random.default_rng(7))
    before = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
    expected = kernel.reference(before, params)
    emulate_registered(name, params, args)
    out = np.asarray(args[kernel.output_arg])
    assert not np.isnan(np.asarray(out, dtype=np.complex128)).any(), "an output was never written"
    if kernel.rel_tolerance == 0.0:
        assert np.array_equal(out, expected)
    else:
        error = np.linalg.norm(out - expected) / np.linalg.norm(expected)
        assert error <= kernel.rel_tolerance


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("gemm_naive", GemmParams(17, 19, 23)),
        ("gemm_smem_tiled_16", GemmParams(20, 36, 24)),
        ("gemm_register_blocked_64", GemmParams(64, 64, 48)),
        ("gemm_tensor_core", GemmParams(64, 64, 96)),
        ("gemm_tc_ampere_fp16", GemmParams(128, 256, 160)),
    ],
)
def test_gemm_is_exact_on_small_integers(name: str, params: GemmParams) -> None:
    """With small integer inputs every rounding is exact: any index slip would show."""
    kernel = get_kernel(name)
    rng = np.random.default_rng(3)
    dtype = kernel.input_dtype  # type: ignore[attr-defined]
    a = rng.integers(-4, 5, (params.m, params.k)).astype(dtype)
    b = rng.integers(-4, 5, (params.k, params.n)).astype(dtype)
    c = np.full((params.m, params.n), np.nan, np.float32)
    emulate_registered(name, params, (a, b, c))
    assert np.array_equal(c, (a.astype(np.int64) @ b.astype(np.int64)).astype(np.float32))
