"""Hardware specs (frozen, validated, unit-suffixed) and the preset GPUs and systems."""

from gpusim.spec.gpu import (
    WARP_SIZE_THREADS,
    DramSpec,
    GpuSpec,
    L1Spec,
    L2Spec,
    LatencySpec,
    SmSpec,
    TensorCoreSpec,
)
from gpusim.spec.links import NicSpec, NvlinkSpec, PcieSpec
from gpusim.spec.presets import gpu_preset, library, system_preset
from gpusim.spec.system import SystemSpec, Topology

presets = library
"""``gpusim.presets()``: every preset GPU and system, by name."""

__all__ = [
    "WARP_SIZE_THREADS",
    "DramSpec",
    "GpuSpec",
    "L1Spec",
    "L2Spec",
    "LatencySpec",
    "NicSpec",
    "NvlinkSpec",
    "PcieSpec",
    "SmSpec",
    "SystemSpec",
    "TensorCoreSpec",
    "Topology",
    "gpu_preset",
    "library",
    "presets",
    "system_preset",
]
