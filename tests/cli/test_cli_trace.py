"""``gpusim trace``: build a kernel's trace, save it, read it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpusim.cuda.kernels import KERNELS, get_kernel
from tests.cli.conftest import Invoke, assert_user_error


def test_trace_prints_the_summary_and_saves_the_file(gpusim: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "tiled.npz"
    result = gpusim(
        "trace", "gemm_smem_tiled_16", "--size", "64x64x64", "--out", str(out), "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["kernel"] == "gemm_smem_tiled_16"
    assert summary["ctas"] == 16
    assert summary["warps"] == 16 * 8
    assert summary["flops"] == 2 * 64**3
    assert summary["bytes"]["global_store"] == 64 * 64 * 4
    shown = json.loads(gpusim("trace", "show", str(out), "--json").stdout)
    assert shown == summary


def test_trace_for_people_lists_instruction_classes(gpusim: Invoke) -> None:
    result = gpusim("trace", "copy", "--size", "65536")
    assert result.exit_code == 0, result.output
    assert "warp instructions by class" in result.stdout
    assert "LD_GLOBAL" in result.stdout


def test_allreduce_sizes_are_elements_with_ranks(gpusim: Invoke) -> None:
    result = gpusim(
        "trace", "allreduce_ring_single_device", "--size", "4096", "--ranks", "4", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kernel"] == "allreduce_ring_single_device"


def test_bad_input_is_one_line_and_exit_2(gpusim: Invoke, tmp_path: Path) -> None:
    assert_user_error(
        gpusim("trace", "gemm_warp_magic", "--size", "8"), "unknown kernel 'gemm_warp_magic'"
    )
    assert_user_error(gpusim("trace", "gemm_naive"), "--size: gemm_naive needs a size")
    assert_user_error(gpusim("trace", "show"), "trace show: name the trace file to read")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file")
    assert_user_error(
        gpusim("trace", "show", str(corrupt)), f"{corrupt}: not a readable trace file"
    )


NEEDS_NEWER_GPU = [kernel.name for kernel in KERNELS if kernel.min_compute_capability]


@pytest.mark.parametrize("kernel", NEEDS_NEWER_GPU)
def test_a_kernel_the_gpu_is_too_old_for_is_refused_before_compiling(
    gpusim: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    """Tensor-core GEMMs on a V100 (cc 7.0): the scenario check's one line, not the PTX
    compiler's traceback ('.m16n8k16' requires .target sm_80), and no file."""

    def no_compile(*args: object) -> None:
        raise AssertionError("compiled a kernel the GPU cannot run")

    monkeypatch.setattr("gpusim.cuda.tracegen.compile_ptx", no_compile)
    out = tmp_path / "trace.npz"
    result = gpusim("trace", kernel, "--size", "64", "--gpu", "V100-SXM2-32GB", "--out", str(out))
    major, minor = get_kernel(kernel).min_compute_capability or (0, 0)
    assert_user_error(
        result,
        f"{kernel} needs compute capability {major}.{minor} or newer, V100-SXM2-32GB has 7.0",
    )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_every_tensor_core_kernel_is_among_those_refused() -> None:
    assert {"gemm_tensor_core", "gemm_tc_ampere_fp16", "gemm_tc_ampere_bf16"} <= set(
        NEEDS_NEWER_GPU
    )
