"""The hierarchical roofline: one bandwidth roof per memory level, and the kernel's point at
each level.

At each level the kernel's arithmetic intensity is its FLOPs over the bytes that level
served (NERSC's hierarchical roofline, Yang et al. 2020). The bytes per level:

* L1: every global and shared-memory byte the warps requested (whole-grid totals; shared
  memory is the same SRAM as L1 and shares its bandwidth);
* L2: the bytes that crossed between the SMs and L2, as the engine counted them (sectors
  that missed L1, and stores);
* HBM: the DRAM bytes the engine counted (reads + writes).

A point below a roof and left of that roof's ridge is limited by that level's bandwidth;
the level whose point sits closest under its roof is the one that binds.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.hw.sm.result import KernelResult
from gpusim.roofline import dram_bytes_per_s, l1_bytes_per_s, l2_bytes_per_s
from gpusim.spec.gpu import GpuSpec

X_MARGIN = 10.0
"""How far (a factor) the x axis reaches beyond the outermost point or ridge."""


@dataclass(frozen=True)
class LevelTraffic:
    """The bytes one memory level served a kernel, and that level's peak bandwidth."""

    level: str
    bytes_moved: float
    roof_bytes_per_s: float


def level_traffic(gpu: GpuSpec, result: KernelResult) -> tuple[LevelTraffic, ...]:
    """L1, L2 and HBM traffic of one kernel launch, all from its result (see the module
    docstring)."""
    return (
        LevelTraffic("L1", result.global_bytes + result.shared_bytes, l1_bytes_per_s(gpu)),
        LevelTraffic("L2", result.l2_bytes, l2_bytes_per_s(gpu)),
        LevelTraffic(
            "HBM", result.dram_read_bytes + result.dram_write_bytes, dram_bytes_per_s(gpu)
        ),
    )


def roofline_figure(
    levels: tuple[LevelTraffic, ...],
    *,
    flops: float,
    flops_per_s: float,
    peak_flops_per_s: float,
    peak_name: str,
) -> go.Figure:
    """Log-log roofline: a roof per level (slope = bandwidth, flat at the compute peak) and
    the kernel's point per level (x = FLOPs / level bytes, y = achieved FLOP/s).

    A level that served no bytes, or a kernel without arithmetic (a copy), has no point.
    """
    points = [
        (level.level, flops / level.bytes_moved)
        for level in levels
        if flops > 0 and level.bytes_moved > 0
    ]
    ridges = [peak_flops_per_s / level.roof_bytes_per_s for level in levels]
    intensities = [x for _, x in points] + ridges
    x_min, x_max = min(intensities) / X_MARGIN, max(intensities) * X_MARGIN
    figure = go.Figure()
    for level, ridge in zip(levels, ridges, strict=True):
        figure.add_trace(
            go.Scatter(
                x=(x_min, ridge, x_max),
                y=(level.roof_bytes_per_s * x_min, peak_flops_per_s, peak_flops_per_s),
                mode="lines",
                name=f"{level.level} roof",
            )
        )
    for name, intensity in points:
        figure.add_trace(
            go.Scatter(
                x=(intensity,),
                y=(flops_per_s,),
                mode="markers",
                marker={"size": 12},
                name=f"kernel at {name}",
            )
        )
    figure.update_xaxes(type="log", title_text="arithmetic intensity (FLOP/byte)")
    figure.update_yaxes(type="log", title_text="FLOP/s")
    figure.update_layout(title=f"hierarchical roofline ({peak_name} peak)")
    return figure
