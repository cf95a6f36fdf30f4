"""``gpusim run``: a scenario simulated, for people and for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, assert_user_error

SMALL_GEMM = """
schema_version = 1
name = "small"
[gpu]
preset = "H100-SXM5-80GB"
[workload]
kind = "gemm"
kernel = "gemm_smem_tiled_16"
m = 256
n = 256
k = 256
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_run_json_has_the_promised_keys(gpusim: Invoke, tmp_path: Path) -> None:
    result = gpusim("run", str(write(tmp_path, SMALL_GEMM)), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for key in (
        "time_s",
        "cycles",
        "flops",
        "tflops",
        "dram_bytes",
        "dram_bandwidth_bytes_per_s",
        "bottleneck",
        "mode",
    ):
        assert key in document
    assert document["mode"] == "fast"
    assert document["flops"] == 2 * 256**3
    assert document["time_s"] >= document["bound"]["time_s"]


def test_run_detailed_simulates_every_sm(gpusim: Invoke, tmp_path: Path) -> None:
    small_gpu = SMALL_GEMM.replace("[workload]", '[gpu.overrides]\n"sm.count" = 8\n[workload]')
    document = json.loads(
        gpusim("run", str(write(tmp_path, small_gpu)), "--detailed", "--json").stdout
    )
    assert document["mode"] == "detailed"
    assert document["simulated_sms"] == 8


def test_run_for_people_names_time_and_bottleneck(gpusim: Invoke, tmp_path: Path) -> None:
    result = gpusim("run", str(write(tmp_path, SMALL_GEMM)))
    assert result.exit_code == 0
    for label in ("time", "throughput", "DRAM", "bottleneck", "roofline bound", "stalls"):
        assert label in result.stdout


def test_a_collective_scenario_prints_an_nccl_tests_row(gpusim: Invoke, tmp_path: Path) -> None:
    text = (
        'schema_version = 1\n[system]\npreset = "8xH100-NVSwitch"\n'
        '[workload]\nkind = "allreduce"\nsize_bytes = 1048576\n'
    )
    result = gpusim("run", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert "1048576" in result.stdout
    assert "busbw" in result.stdout
    document = json.loads(gpusim("run", str(write(tmp_path, text)), "--json").stdout)
    assert document["size_bytes"] == 1048576
    assert document["busbw_gbps"] > 0


def test_a_kernel_that_does_not_fit_is_one_line_and_exit_2(gpusim: Invoke, tmp_path: Path) -> None:
    text = SMALL_GEMM.replace(
        "[workload]", '[gpu.overrides]\n"sm.shared_bytes_per_cta" = 1024\n[workload]'
    )
    assert_user_error(
        gpusim("run", str(write(tmp_path, text))), "shared memory: 2048 bytes per CTA"
    )


def test_a_size_the_kernel_rejects_is_one_line_and_exit_2(gpusim: Invoke, tmp_path: Path) -> None:
    text = SMALL_GEMM.replace("gemm_smem_tiled_16", "gemm_register_blocked_128").replace(
        "m = 256", "m = 200"
    )
    path = write(tmp_path, text)
    message = f"{path}: workload.m: must be a multiple of 128 (gemm_register_blocked_128), got 200"
    for command in ("run", "scenario check"):  # refused on load, before any simulation
        assert_user_error(gpusim(*command.split(), str(path)), message)


def test_a_format_the_gpu_lacks_is_one_line_and_exit_2(gpusim: Invoke, tmp_path: Path) -> None:
    text = SMALL_GEMM.replace("gemm_smem_tiled_16", "gemm_tc_ampere_fp16").replace(
        "H100-SXM5-80GB", "A100-SXM4-80GB"
    )
    path = write(tmp_path, text + 'dtype = "fp8"\n')
    message = (
        f"{path}: workload.dtype: gemm_tc_ampere_fp16 computes in fp16, not fp8; kernels for "
        "fp8: gemm_tc_hopper_fp8"
    )
    for command in ("run", "scenario check"):
        assert_user_error(gpusim(*command.split(), str(path)), message)
    path = write(tmp_path, text.replace("fp16", "bf16").replace("A100-SXM4-80GB", "V100-SXM2-32GB"))
    for command in ("run", "scenario check"):
        assert_user_error(
            gpusim(*command.split(), str(path)),
            f"{path}: workload.dtype: the V100-SXM2-32GB (compute capability 7.0) has no bf16 "
            "tensor cores: bf16 needs 8.0 or newer (gemm_tc_ampere_bf16)",
        )


def test_a_kernel_the_gpu_cannot_run_is_refused_on_load(gpusim: Invoke, tmp_path: Path) -> None:
    text = SMALL_GEMM.replace("gemm_smem_tiled_16", "gemm_tensor_core").replace(
        "H100-SXM5-80GB", "V100-SXM2-32GB"
    )
    path = write(tmp_path, text)
    assert_user_error(
        gpusim("scenario", "check", str(path)),
        f"{path}: workload.kernel: gemm_tensor_core needs compute capability 8.0 or newer, "
        "V100-SXM2-32GB has 7.0",
    )


@pytest.mark.parametrize(
    ("kernel", "refusal"),
    [
        (
            "gemm_tc_hopper_bf16",
            "workload.kernel: gemm_tc_hopper_bf16 needs compute capability 9.0 or newer, "
            "A100-SXM4-80GB has 8.0",
        ),
        (
            "gemm_tc_hopper_fp8",
            "workload.dtype: the A100-SXM4-80GB (compute capability 8.0) has no fp8 tensor "
            "cores: fp8 needs 8.9 or newer (gemm_tc_hopper_fp8)",
        ),
    ],
)
def test_a_hopper_kernel_is_refused_on_an_a100(
    gpusim: Invoke, tmp_path: Path, kernel: str, refusal: str
) -> None:
    """wgmma and the TMA need compute capability 9.0, fp8 tensor cores 8.9: run and check
    refuse the scenario in one line naming the field, exit 2, before any tracing."""
    text = SMALL_GEMM.replace("gemm_smem_tiled_16", kernel).replace(
        "H100-SXM5-80GB", "A100-SXM4-80GB"
    )
    path = write(tmp_path, text)
    for command in ("run", "scenario check"):
        assert_user_error(gpusim(*command.split(), str(path)), f"{path}: {refusal}")
