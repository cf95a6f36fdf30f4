"""``gpusim trace``: build a kernel's trace, save it, read it back."""

from __future__ import annotations

import json
from pathlib import Path

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
