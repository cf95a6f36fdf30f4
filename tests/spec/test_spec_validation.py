"""Every bad field of a spec is refused with a message that names it; every numeric field
has a range, documented in docs/presets.md as the code has it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from gpusim.schema import field_range
from gpusim.spec import gpu_preset, system_preset

H100 = "H100-SXM5-80GB"
DOCS_PRESETS = Path(__file__).parents[2] / "docs" / "presets.md"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sm.count": 0}, "sm.count: must be > 0, got 0"),
        ({"sm.count": 1.5}, "sm.count: must be an integer, got 1.5"),
        ({"sm.count": True}, "sm.count: must be an integer, got True"),
        ({"sm.clock_hz": -1.0}, "sm.clock_hz: must be >= 1e8, got -1.0"),
        ({"sm.clock_hz": "fast"}, "sm.clock_hz: must be a number, got 'fast'"),
        ({"sm.max_threads": 4096}, "sm.max_threads: 4096 threads do not fit in max_warps=64"),
        ({"sm.shared_bytes_per_cta": 10**6}, "sm.shared_bytes_per_cta: must be <= shared_bytes"),
        ({"sm.fp32_lanes": 130}, "sm.fp32_lanes: must split evenly over warp_schedulers (4)"),
        ({"sm.latency.fp32_cycles": 0}, "sm.latency.fp32_cycles: must be > 0, got 0"),
        (
            {"tensor.fp8_flops_per_cycle_per_sm": -1},
            "tensor.fp8_flops_per_cycle_per_sm: must be >= 0",
        ),
        ({"l1.line_bytes": 100}, "l1.line_bytes: must be a multiple of sector_bytes (32), got 100"),
        ({"l2.size_bytes": 10_000_000}, "l2.size_bytes: must be a whole number of sets"),
        ({"dram.efficiency": 1.5}, "dram.efficiency: must be <= 1, got 1.5"),
        ({"pcie.generation": 7}, "pcie.generation: must be one of 3, 4, 5 or 6, got 7"),
        ({"pcie.lanes": 3}, "pcie.lanes: must be one of 1, 2, 4, 8 or 16, got 3"),
        ({"nvlink.links": -1}, "nvlink.links: must be >= 0, got -1"),
        ({"compute_capability": "nine"}, "compute_capability: must look like \"9.0\", got 'nine'"),
        (
            {"sm.shared_bytes": 300_000, "sm.shared_bytes_per_cta": 1000},
            "sm.shared_bytes: must be <= l1.size_bytes",
        ),
        ({"l2.size_byte": 1}, "l2.size_byte: unknown field (known: associativity,"),
        ({"sm.count.x": 1}, "sm.count: is a value, not a table, so it has no field 'x'"),
        ({"sm": 5}, "sm: must be a table, got 5"),
    ],
)
def test_a_bad_field_is_refused_by_name(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        gpu_preset(H100).with_overrides(overrides)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_overrides_prefix_names_the_scenario_table() -> None:
    with pytest.raises(ValueError, match=r"^gpu\.overrides\.l2\.slices: must be > 0, got 0$"):
        gpu_preset(H100).with_overrides({"l2.slices": 0}, prefix="gpu.overrides")


def test_specs_are_frozen() -> None:
    spec = gpu_preset(H100)
    with pytest.raises(ValueError, match="frozen"):
        spec.sm.count = 1  # type: ignore[misc]


def test_an_override_derives_a_variant_and_leaves_the_preset_alone() -> None:
    base = gpu_preset(H100)
    doubled = base.with_overrides({"l2.size_bytes": 2 * base.l2.size_bytes, "name": "H100-2xL2"})
    assert doubled.l2.size_bytes == 104857600
    assert doubled.name == "H100-2xL2"
    assert base.l2.size_bytes == 52428800
    assert doubled.sm == base.sm


def test_a_system_without_nvlink_must_be_a_pcie_tree() -> None:
    system = system_preset("8xH100-PCIe")
    with pytest.raises(ValueError, match=r"^topology: 'nvswitch' needs NVLink"):
        system.with_overrides({"topology": "nvswitch"})


def test_the_pcie_switches_must_split_the_node() -> None:
    with pytest.raises(
        ValueError, match=r"^gpus_per_pcie_switch: must divide gpus_per_node \(8\), got 3$"
    ):
        system_preset("8xH100-PCIe").with_overrides({"gpus_per_pcie_switch": 3})


def test_the_hybrid_cube_mesh_has_eight_gpus() -> None:
    with pytest.raises(ValueError, match=r"^gpus_per_node: the nvlink_mesh topology is the 8-GPU"):
        system_preset("8xV100-NVLink-Mesh").with_overrides(
            {"gpus_per_node": 4, "gpus_per_pcie_switch": 2}
        )


def test_a_system_override_reaches_into_its_gpu() -> None:
    system = system_preset("8xH100-NVSwitch").with_overrides({"gpu.nvlink.links": 12, "nodes": 8})
    assert system.gpu.nvlink.bandwidth_bytes_per_s_per_direction == 300e9
    assert system.gpu_count == 64


def _ranges(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _ranges(value, f"{prefix}{name}.")
        elif field_range(info):
            yield f"{prefix}{name}", field_range(info)


def test_docs_presets_lists_every_field_range_as_the_code_has_it() -> None:
    documented = dict(
        re.findall(r"^\| `([\w.]+)` \| ([^|]+?) \|$", DOCS_PRESETS.read_text(), re.MULTILINE)
    )
    system = system_preset("8xH100-NVSwitch")
    expected = dict(_ranges(gpu_preset(H100)))
    expected |= {path: text for path, text in _ranges(system) if not path.startswith("gpu.")}
    assert documented == expected, "docs/presets.md, Bounds: one `| path | range |` per field"


def test_every_numeric_field_is_bounded_above() -> None:
    """Unbounded figures (a 1e30 Hz clock) make the engines run for ever."""
    for path, text in [*_ranges(gpu_preset(H100)), *_ranges(system_preset("8xH100-NVSwitch"))]:
        assert " to " in text, path
