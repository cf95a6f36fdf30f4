"""The presets load, derive from one another, and give the published peaks."""

from __future__ import annotations

import pytest

from gpusim.errors import SpecError
from gpusim.roofline import gpu_peaks
from gpusim.spec import gpu_preset, library, system_preset

GPUS = [
    "V100-SXM2-32GB",
    "A100-SXM4-80GB",
    "H100-SXM5-80GB",
    "H100-PCIe-80GB",
    "H200-SXM-141GB",
    "RTX-A6000",
]
SYSTEMS = [
    "8xV100-NVLink-Mesh",
    "8xA100-NVSwitch",
    "8xH100-NVSwitch",
    "8xH200-NVSwitch",
    "8xH100-PCIe",
]


def test_the_library_holds_the_issue_presets() -> None:
    presets = library()
    assert sorted(presets.gpus) == sorted(GPUS)
    assert sorted(presets.systems) == sorted(SYSTEMS)


def test_lookup_ignores_case() -> None:
    assert gpu_preset("h100-sxm5-80gb").name == "H100-SXM5-80GB"
    assert system_preset("8XH100-NVSWITCH").name == "8xH100-NVSwitch"


def test_an_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"^unknown GPU preset 'B200' \(known: A100-SXM4-80GB, "):
        gpu_preset("B200")
    with pytest.raises(SpecError, match=r"^unknown system preset 'x' \(known: 8xA100-NVSwitch, "):
        system_preset("x")


# Published peaks (shared/reference/hardware.md): dense tensor-core FLOP/s, SIMT FP32 and
# FP64 FLOP/s, HBM bytes/s. Tolerance 1%: datasheets round.
PUBLISHED = {
    "V100-SXM2-32GB": {"fp16_tc": 125e12, "fp32": 15.7e12, "fp64": 7.8e12, "hbm": 900e9},
    "A100-SXM4-80GB": {"fp16_tc": 312e12, "fp32": 19.5e12, "fp64": 9.7e12, "hbm": 2039e9},
    "H100-SXM5-80GB": {"fp16_tc": 989.4e12, "fp32": 66.9e12, "fp64": 33.5e12, "hbm": 3.35e12},
    "H200-SXM-141GB": {"fp16_tc": 989.4e12, "fp32": 66.9e12, "fp64": 33.5e12, "hbm": 4.8e12},
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_derived_peaks_match_the_published_figures(name: str) -> None:
    peaks = gpu_peaks(gpu_preset(name))
    published = PUBLISHED[name]
    assert peaks.tensor_flops_per_s["fp16"] == pytest.approx(published["fp16_tc"], rel=0.01)
    assert peaks.simt_flops_per_s["fp32"] == pytest.approx(published["fp32"], rel=0.01)
    assert peaks.simt_flops_per_s["fp64"] == pytest.approx(published["fp64"], rel=0.01)
    assert peaks.dram_bytes_per_s == pytest.approx(published["hbm"], rel=0.01)


def test_rtx_a6000_gives_its_datasheet_peaks() -> None:
    """A6000 datasheet: 38.7 TFLOPS fp32, 309.7 TFLOPS tensor with sparsity (154.8 dense),
    768 GB/s. FP64: CUDAPG 8.6 gives 2 results per clock per SM (1/64 of fp32), but lanes
    must split over the 4 schedulers, so the preset has 4 (1/32)."""
    gpu = gpu_preset("RTX-A6000")
    peaks = gpu_peaks(gpu)
    assert gpu.compute_capability == "8.6"
    assert peaks.simt_flops_per_s["fp32"] == pytest.approx(38.7e12, rel=0.01)
    assert peaks.tensor_flops_per_s["fp16"] == pytest.approx(309.7e12 / 2, rel=0.01)
    assert peaks.simt_flops_per_s["fp64"] == pytest.approx(38.7e12 / 32, rel=0.01)
    assert peaks.dram_bytes_per_s == pytest.approx(768e9)
    assert gpu.l2.size_bytes == 6 * 1024**2
    assert gpu.nvlink.bandwidth_bytes_per_s_per_direction == pytest.approx(112.5e9 / 2)


def test_h100_tensor_peaks_are_rated_at_1830_mhz() -> None:
    peaks = gpu_peaks(gpu_preset("H100-SXM5-80GB"))
    assert peaks.tensor_flops_per_s["bf16"] == pytest.approx(132 * 4096 * 1.83e9)
    assert peaks.tensor_flops_per_s["bf16"] == pytest.approx(989e12, rel=0.001)
    assert peaks.tensor_flops_per_s["tf32"] == pytest.approx(494.7e12, rel=0.01)
    assert peaks.tensor_flops_per_s["fp8"] == pytest.approx(1979e12, rel=0.01)
    assert peaks.tensor_flops_per_s["fp64"] == pytest.approx(66.9e12, rel=0.01)


def test_volta_has_only_fp16_tensor_cores() -> None:
    peaks = gpu_peaks(gpu_preset("V100-SXM2-32GB"))
    assert [d for d, flops in peaks.tensor_flops_per_s.items() if flops > 0] == ["fp16"]
    assert set(peaks.ridge_flops_per_byte) == {"simt_fp64", "simt_fp32", "tensor_fp16"}


def test_ridge_points_divide_a_roof_by_the_dram_roof() -> None:
    peaks = gpu_peaks(gpu_preset("H100-SXM5-80GB"))
    assert peaks.ridge_flops_per_byte["tensor_bf16"] == pytest.approx(989.4e12 / 3.35e12, rel=1e-3)
    assert peaks.dram_sustained_bytes_per_s == pytest.approx(0.9 * 3.35e12)


def test_h200_differs_from_h100_only_in_memory_and_l2() -> None:
    h100, h200 = gpu_preset("H100-SXM5-80GB"), gpu_preset("H200-SXM-141GB")
    assert h200.sm == h100.sm
    assert h200.tensor == h100.tensor
    assert h200.l1 == h100.l1
    assert h200.nvlink == h100.nvlink
    assert h200.dram.bandwidth_bytes_per_s == 4.8e12
    assert h200.l2.size_bytes == 60 * 1024**2


def test_the_h200_system_is_the_h100_system_with_h200s() -> None:
    h100_node, h200_node = system_preset("8xH100-NVSwitch"), system_preset("8xH200-NVSwitch")
    assert h200_node.gpu == gpu_preset("H200-SXM-141GB")
    assert h200_node.model_dump(exclude={"name", "gpu"}) == h100_node.model_dump(
        exclude={"name", "gpu"}
    )


def test_pcie_bandwidth_follows_generation_and_lanes() -> None:
    assert gpu_preset("V100-SXM2-32GB").pcie.bandwidth_bytes_per_s_per_direction == pytest.approx(
        15.75e9, rel=1e-3
    )
    assert gpu_preset("H100-SXM5-80GB").pcie.bandwidth_bytes_per_s_per_direction == pytest.approx(
        63.0e9, rel=1e-3
    )


def test_nvlink_totals_match_the_published_figures() -> None:
    per_direction = {"V100-SXM2-32GB": 150e9, "A100-SXM4-80GB": 300e9, "H100-SXM5-80GB": 450e9}
    for name, bandwidth in per_direction.items():
        assert gpu_preset(name).nvlink.bandwidth_bytes_per_s_per_direction == bandwidth
    assert gpu_preset("H100-PCIe-80GB").nvlink.links == 0
