"""``gpusim presets``: listing and showing presets."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Invoke, assert_user_error


def test_presets_lists_gpus_and_systems(gpusim: Invoke) -> None:
    result = gpusim("presets")
    assert result.exit_code == 0
    for name in ("V100-SXM2-32GB", "A100-SXM4-80GB", "H100-SXM5-80GB", "H200-SXM-141GB"):
        assert name in result.stdout
    for name in ("8xV100-NVLink-Mesh", "8xA100-NVSwitch", "8xH100-NVSwitch", "8xH100-PCIe"):
        assert name in result.stdout
    assert "989" in result.stdout  # H100 fp16 tensor TFLOP/s


def test_show_json_gives_the_spec_and_its_peaks(gpusim: Invoke) -> None:
    result = gpusim("presets", "show", "H100-SXM5-80GB", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["kind"] == "gpu"
    assert document["spec"]["sm"]["count"] == 132
    assert document["spec"]["l2"]["size_bytes"] == 52428800
    assert document["peaks"]["tensor_flops_per_s"]["bf16"] == pytest.approx(989.4e12, rel=1e-3)
    assert document["peaks"]["dram_bytes_per_s"] == 3.35e12
    assert document["peaks"]["ridge_flops_per_byte"]["simt_fp32"] == pytest.approx(19.97, rel=1e-3)


def test_show_a_system_as_json(gpusim: Invoke) -> None:
    document = json.loads(gpusim("presets", "show", "8xH100-PCIe", "--json").stdout)
    assert document["kind"] == "system"
    assert document["spec"]["topology"] == "pcie_tree"
    assert document["spec"]["gpu"]["name"] == "H100-PCIe-80GB"
    assert document["link_bytes_per_s_per_direction"] == pytest.approx(63.0e9, rel=1e-3)


def test_show_prints_fields_with_units_for_people(gpusim: Invoke) -> None:
    result = gpusim("presets", "show", "A100-SXM4-80GB")
    assert result.exit_code == 0
    assert "1.41 GHz" in result.stdout
    assert "40 MiB" in result.stdout
    assert "2.04 TB/s" in result.stdout
    assert "312 TFLOP/s" in result.stdout


def test_an_unknown_preset_is_a_one_line_error(gpusim: Invoke) -> None:
    result = gpusim("presets", "show", "H900")
    assert_user_error(result, "unknown preset 'H900' (known: A100-SXM4-80GB,")
    assert result.stdout == ""
