"""The gemm workload's ``dtype``: the kernel's own format by default, refused on load where
the kernel or the GPU's tensor cores do not take it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusim.errors import ScenarioError
from gpusim.roofline import tensor_flops_per_s
from gpusim.scenario import check_sweep_points, load_scenario
from gpusim.spec import gpu_preset
from gpusim.workload import GemmWorkload

GEMM = """
schema_version = 1
[gpu]
preset = "A100-SXM4-80GB"
[workload]
kind = "gemm"
kernel = "gemm_tc_ampere_fp16"
m = 256
n = 256
k = 256
"""


def load(tmp_path: Path, text: str) -> GemmWorkload:
    path = tmp_path / "s.toml"
    path.write_text(text)
    workload = load_scenario(path).workload
    assert isinstance(workload, GemmWorkload)
    return workload


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("kernel", "dtype"),
    [
        ("gemm_smem_tiled_32", "fp32"),
        ("gemm_tensor_core", "fp16"),
        ("gemm_tc_ampere_fp16", "fp16"),
        ("gemm_tc_ampere_bf16", "bf16"),
        ("gemm_tc_ampere_tf32", "tf32"),
        ("gemm_tc_ampere_int8", "int8"),
    ],
)
def test_dtype_defaults_to_the_kernels_format(tmp_path: Path, kernel: str, dtype: str) -> None:
    workload = load(tmp_path, GEMM.replace("gemm_tc_ampere_fp16", kernel))
    assert workload.dtype == dtype
    named = load(tmp_path, GEMM.replace("gemm_tc_ampere_fp16", kernel) + f'dtype = "{dtype}"\n')
    assert named == workload


def test_dumps_leave_dtype_out_so_another_kernel_takes_its_own() -> None:
    workload = GemmWorkload(kernel="gemm_tc_ampere_int8", m=128, n=128, k=64)
    dumped = workload.model_dump()
    assert "dtype" not in dumped
    assert GemmWorkload.model_validate({**dumped, "kernel": "gemm_tc_ampere_tf32"}).dtype == "tf32"


def test_the_bound_uses_the_formats_peak() -> None:
    gpu = gpu_preset("A100-SXM4-80GB")
    for kernel, dtype in (("gemm_tc_ampere_tf32", "tf32"), ("gemm_tc_ampere_int8", "int8")):
        bound = GemmWorkload(kernel=kernel, m=4096, n=4096, k=4096).bound(gpu)
        assert bound.compute_time_s == 2 * 4096**3 / tensor_flops_per_s(gpu, dtype)
    # A100: tf32 156 TFLOP/s, int8 624 TOPS (1024 and 4096 per SM-cycle x 108 x 1.41 GHz)
    assert tensor_flops_per_s(gpu, "int8") == 4 * tensor_flops_per_s(gpu, "tf32")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"dtype": "int8"},
            "workload.dtype: gemm_tc_ampere_fp16 computes in fp16, not int8; kernels for "
            "int8: gemm_tc_ampere_int8",
        ),
        (
            {"dtype": "fp8"},
            "workload.dtype: gemm_tc_ampere_fp16 computes in fp16, not fp8; kernels for "
            "fp8: gemm_tc_hopper_fp8",
        ),
        (
            {"dtype": "fp64"},
            "workload.dtype: must be one of 'fp32', 'tf32', 'fp16', 'bf16', 'int8' or "
            "'fp8', got 'fp64'",
        ),
        (
            {"kernel": "gemm_tc_ampere_bf16", "preset": "V100-SXM2-32GB"},
            "workload.dtype: the V100-SXM2-32GB (compute capability 7.0) has no bf16 tensor "
            "cores: bf16 needs 8.0 or newer (gemm_tc_ampere_bf16)",
        ),
        (
            {"kernel": "gemm_tc_ampere_int8", "preset": "V100-SXM2-32GB"},
            "workload.dtype: the V100-SXM2-32GB (compute capability 7.0) has no int8 tensor "
            "cores: int8 needs 7.5 or newer (gemm_tc_ampere_int8)",
        ),
    ],
)
def test_a_format_the_kernel_or_gpu_lacks_is_one_line(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    text = GEMM
    if "kernel" in changes:
        text = text.replace("gemm_tc_ampere_fp16", changes["kernel"])
    if "preset" in changes:
        text = text.replace("A100-SXM4-80GB", changes["preset"])
    if "dtype" in changes:
        text += f'dtype = "{changes["dtype"]}"\n'
    assert refusal(tmp_path, text) == message


def test_a_swept_gpu_without_the_format_is_named_by_scenario_check(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        GEMM.replace("gemm_tc_ampere_fp16", "gemm_tc_ampere_tf32")
        + '[sweep.axes]\n"gpu.preset" = ["A100-SXM4-80GB", "V100-SXM2-32GB"]\n'
    )
    with pytest.raises(ScenarioError) as caught:
        check_sweep_points(load_scenario(path))
    assert str(caught.value) == (
        f"{path}: sweep.axes.gpu.preset = 'V100-SXM2-32GB': workload.dtype: the "
        "V100-SXM2-32GB (compute capability 7.0) has no tf32 tensor cores: tf32 needs 8.0 or "
        "newer (gemm_tc_ampere_tf32)"
    )
