"""Which preset GPU a measured device is, and where the preset and the device disagree.

Devices are mapped by the exact name the driver reports (``cuDeviceGetName``, the same
string ``nvidia-smi`` prints); a name not listed is an error that lists the known ones,
because a near miss (an H100 PCIe compared as an SXM part) would look like a model error.
The device's own attributes recorded in the file are then held against the preset, and
each disagreement is reported (a MIG slice, a clock-limited part), never corrected.
"""

from __future__ import annotations

from typing import Any

from gpusim.errors import MeasurementError
from gpusim.spec import GpuSpec, gpu_preset

DEVICE_PRESETS: dict[str, str] = {
    "NVIDIA H100 80GB HBM3": "H100-SXM5-80GB",
    "NVIDIA H100 SXM5 80GB": "H100-SXM5-80GB",
    "NVIDIA H100 PCIe": "H100-PCIe-80GB",
    "NVIDIA H200": "H200-SXM-141GB",
    "NVIDIA A100-SXM4-80GB": "A100-SXM4-80GB",
    "Tesla V100-SXM2-32GB": "V100-SXM2-32GB",
}
"""Device name as the driver reports it -> preset name."""


def preset_for_device(device_name: str) -> str:
    """The preset name for a device name; MeasurementError listing the known names otherwise."""
    for known, preset in DEVICE_PRESETS.items():
        if known.casefold() == device_name.strip().casefold():
            return preset
    known_pairs = "; ".join(f"{name!r} -> {preset}" for name, preset in DEVICE_PRESETS.items())
    raise MeasurementError(
        f"no preset for device {device_name!r}; known devices: {known_pairs} "
        "(or pass --preset NAME)"
    )


def resolve_gpu(device_name: str, preset: str = "auto") -> GpuSpec:
    """The GpuSpec to simulate: the device's preset for ``"auto"``, else the named preset."""
    return gpu_preset(preset_for_device(device_name) if preset == "auto" else preset)


def spec_mismatches(device: dict[str, Any], gpu: GpuSpec) -> list[str]:
    """Where the recorded device attributes differ from the preset's (empty when none do)."""
    notes = []
    checks = (
        ("sm_count", gpu.sm.count, 1, "SMs"),
        ("l2_size_bytes", gpu.l2.size_bytes, 1, "L2 bytes"),
        ("clock_rate_khz", gpu.sm.clock_hz, 1e3, "max SM clock Hz"),
    )
    for key, preset_value, scale, what in checks:
        recorded = device.get(key)
        if recorded is not None and abs(recorded * scale - preset_value) > 1e-6 * preset_value:
            notes.append(
                f"{what}: the device reports {recorded * scale:g}, "
                f"preset {gpu.name} has {preset_value:g}"
            )
    return notes
