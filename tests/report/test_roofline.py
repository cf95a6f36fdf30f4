"""The hierarchical roofline: traffic per level, roofs and the kernel's points, exactly."""

from __future__ import annotations

import pytest

from gpusim.report import LevelTraffic, level_traffic, roofline_figure
from gpusim.spec import gpu_preset
from tests.report.conftest import kernel_result

H100 = gpu_preset("H100-SXM5-80GB")
LEVELS = (
    LevelTraffic("L1", 4e9, 40e12),
    LevelTraffic("L2", 1e9, 10e12),
    LevelTraffic("HBM", 0.5e9, 2e12),
)


def test_traffic_per_level_comes_from_the_result() -> None:
    levels = level_traffic(H100, kernel_result())
    assert [level.level for level in levels] == ["L1", "L2", "HBM"]
    assert [level.bytes_moved for level in levels] == [900.0, 200.0, 6e6]
    assert [level.roof_bytes_per_s for level in levels] == [
        128 * 132 * 1.98e9,
        4472 * 1.98e9,
        3.35e12,
    ]


def test_each_roof_rises_at_its_bandwidth_to_the_peak() -> None:
    figure = roofline_figure(
        LEVELS, flops=2e9, flops_per_s=1e12, peak_flops_per_s=80e12, peak_name="SIMT fp32"
    )
    roofs = figure.data[:3]
    assert [roof.name for roof in roofs] == ["L1 roof", "L2 roof", "HBM roof"]
    # points at 0.5, 2 and 4 FLOP/B; ridges at 2, 8 and 40: the axis spans 0.05 to 400
    assert roofs[0].x == pytest.approx((0.05, 2.0, 400.0))
    assert roofs[0].y == pytest.approx((2e12, 80e12, 80e12))
    assert roofs[2].x == pytest.approx((0.05, 40.0, 400.0))
    assert roofs[2].y == pytest.approx((0.1e12, 80e12, 80e12))
    assert figure.layout.xaxis.type == figure.layout.yaxis.type == "log"
    assert figure.layout.title.text == "hierarchical roofline (SIMT fp32 peak)"


def test_the_kernel_has_a_point_per_level_at_its_intensity() -> None:
    figure = roofline_figure(
        LEVELS, flops=2e9, flops_per_s=1e12, peak_flops_per_s=80e12, peak_name="SIMT fp32"
    )
    points = figure.data[3:]
    assert [point.name for point in points] == ["kernel at L1", "kernel at L2", "kernel at HBM"]
    assert [point.x for point in points] == [(0.5,), (2.0,), (4.0,)]
    assert all(point.y == (1e12,) for point in points)


def test_a_kernel_without_arithmetic_or_traffic_has_no_point_there() -> None:
    copy = roofline_figure(LEVELS, flops=0, flops_per_s=0, peak_flops_per_s=80e12, peak_name="x")
    assert [trace.name for trace in copy.data] == ["L1 roof", "L2 roof", "HBM roof"]
    cached = (*LEVELS[:2], LevelTraffic("HBM", 0.0, 2e12))
    figure = roofline_figure(
        cached, flops=2e9, flops_per_s=1e12, peak_flops_per_s=80e12, peak_name="x"
    )
    assert [trace.name for trace in figure.data[3:]] == ["kernel at L1", "kernel at L2"]
