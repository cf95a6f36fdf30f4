"""Every kernel runs correctly: the self-check under the CUDA simulator, and its judging.

The simulator must be chosen before numba is imported and it breaks ``compile_ptx``, so
the self-check runs in a subprocess; the comparison logic is tested here directly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.selfcheck import compare, relative_error, run_selfcheck
from gpusim.errors import KernelError

EXPECTED_CASES = [
    "allreduce_reduce_scatter_step",
    "allreduce_all_gather_step",
    "allreduce_ring_single_device",
    "copy",
    "gemm_naive_uncoalesced",
    "gemm_naive",
    "gemm_smem_tiled_16",
    "gemm_smem_tiled_32",
    "gemm_register_blocked_64",
    "gemm_register_blocked_128",
    "gemm_1d_blocktiled_64",
    "gemm_vectorized_128",
    "pointer_chase",
    "read_bandwidth",
    "stream_scale",
    "ring_single_device_full",
    "ring_by_rank_full",
    "ring_by_rank_order",
]


def test_selfcheck_passes_every_kernel_on_the_cuda_simulator() -> None:
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "gpusim.cuda.selfcheck"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    report = json.loads(completed.stdout)
    failed = [case for case in report["cases"] if not case["passed"]]
    assert failed == []
    assert completed.returncode == 0, completed.stderr
    assert report["passed"] is True
    assert report["device"] == "CUDA simulator" and report["simulator"] is True
    assert [case["case"] for case in report["cases"]] == EXPECTED_CASES
    assert report["skipped"] == [
        "gemm_tensor_core",
        "gemm_tc_ampere_fp16",
        "gemm_tc_ampere_bf16",
        "gemm_tc_ampere_tf32",
        "gemm_tc_ampere_int8",
        "gemm_tc_ampere_fp16_stages1",
        "gemm_tc_ampere_fp16_stages2",
        "gemm_tc_ampere_fp16_stages4",
        "gemm_tc_hopper_bf16",
        "gemm_tc_hopper_fp16",
        "gemm_tc_hopper_fp8",
    ]
    # Copies and single all-reduce steps are exact; GEMMs differ from the exact product by
    # fp32 rounding only.
    errors = {case["case"]: case["rel_error"] for case in report["cases"]}
    assert errors["copy"] == 0.0
    assert errors["allreduce_ring_single_device"] == 0.0
    assert errors["ring_by_rank_order"] == 0.0
    assert 0.0 < errors["gemm_register_blocked_128"] < 1e-6


PARAMS = GemmParams(1, 2, 1)


def test_an_exact_output_passes() -> None:
    ref = np.array([[1.0, -2.0]], np.float32)
    result = compare("k", "k", PARAMS, ref.copy(), ref, rel_tolerance=0.0)
    assert (result.passed, result.rel_error, result.non_finite_elements) == (True, 0.0, 0)
    assert result.params == {"m": 1, "n": 2, "k": 1}


def test_an_unwritten_element_fails_even_with_a_loose_tolerance() -> None:
    ref = np.array([[1.0, -2.0]], np.float32)
    out = np.array([[1.0, np.nan]], np.float32)
    result = compare("k", "k", PARAMS, out, ref, rel_tolerance=1e9)
    assert (result.passed, result.rel_error, result.non_finite_elements) == (False, None, 1)


def test_an_error_above_the_tolerance_fails() -> None:
    ref = np.array([[3.0, 4.0]], np.float32)  # norm 5
    out = np.array([[3.0, 4.5]], np.float32)  # error norm 0.5
    assert relative_error(out, ref) == pytest.approx(0.1)
    assert not compare("k", "k", PARAMS, out, ref, rel_tolerance=0.09).passed
    assert compare("k", "k", PARAMS, out, ref, rel_tolerance=0.11).passed


def test_selfcheck_of_an_unknown_kernel_names_the_known_ones() -> None:
    with pytest.raises(
        KernelError,
        match="unknown kernel 'gemm_fast'; known kernels: allreduce_reduce_scatter_step",
    ):
        run_selfcheck(["gemm_fast"])
