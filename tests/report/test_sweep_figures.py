"""A sweep's figures: the axis along x, a line per combination of the others, a heatmap for
two axes, gaps for failed points."""

from __future__ import annotations

import pytest

from gpusim.report import heatmap_figure, metric_figure, sweep_figures, x_axis
from tests.report.conftest import kernel_sweep

MIB = 1 << 20
PRESETS = ["A100-SXM4-80GB", "H100-SXM5-80GB"]


def test_one_axis_is_one_line_in_display_units() -> None:
    sweep = kernel_sweep({"gpu.l2.size_bytes": [10 * MIB, 20 * MIB]}, [2e-6, 1e-6])
    figure = metric_figure(sweep, "time_s")
    (line,) = figure.data
    assert (line.name, line.x, line.y) == ("study", (10 * MIB, 20 * MIB), (2.0, 1.0))
    assert figure.layout.xaxis.title.text == "gpu.l2.size_bytes"
    assert figure.layout.xaxis.type == "linear"
    assert figure.layout.yaxis.title.text == "time (us)"
    assert figure.layout.title.text == "time vs gpu.l2.size_bytes"


def test_a_wide_numeric_axis_is_logarithmic() -> None:
    sweep = kernel_sweep({"workload.m": [64, 1024]}, [1e-6, 2e-6])
    assert metric_figure(sweep, "tflops").layout.xaxis.type == "log"


def test_x_is_the_last_numeric_axis_of_distinct_values() -> None:
    grid = kernel_sweep({"workload.m": [256, 512], "gpu.preset": PRESETS}, [1.0] * 4)
    assert x_axis(grid) == "workload.m"
    zipped = kernel_sweep(
        {"system.nodes": [1, 1, 2], "workload.ranks": [2, 8, 16]}, [1.0] * 3, mode="zip"
    )
    assert x_axis(zipped) == "workload.ranks"
    names = kernel_sweep({"gpu.preset": PRESETS}, [1.0, 1.0])
    assert x_axis(names) == "gpu.preset"
    assert metric_figure(names, "time_s").layout.xaxis.type == "category"


def test_a_grid_draws_a_line_per_value_of_the_other_axis_with_gaps() -> None:
    sweep = kernel_sweep(
        {"gpu.preset": PRESETS, "workload.m": [256, 512]}, [1e-6, 2e-6, None, 4e-6]
    )
    lines = metric_figure(sweep, "time_s").data
    assert [line.name for line in lines] == [f"gpu.preset={name}" for name in PRESETS]
    assert [line.x for line in lines] == [(256, 512), (256, 512)]
    assert lines[0].y == pytest.approx((1.0, 2.0))
    assert lines[1].y[0] is None
    assert lines[1].y[1] == pytest.approx(4.0)


def test_a_zip_is_one_line() -> None:
    sweep = kernel_sweep(
        {"system.nodes": [1, 2], "workload.ranks": [8, 16]}, [1e-6, 2e-6], mode="zip"
    )
    (line,) = metric_figure(sweep, "time_s").data
    assert line.x == (8, 16)


def test_the_heatmap_puts_x_across_and_the_other_axis_down() -> None:
    sweep = kernel_sweep(
        {"gpu.preset": PRESETS, "workload.m": [256, 512]}, [1e-6, 2e-6, None, 4e-6]
    )
    (heat,) = heatmap_figure(sweep, "time_s").data
    assert heat.x == ("256", "512")
    assert heat.y == tuple(PRESETS)
    assert heat.z[0] == pytest.approx((1.0, 2.0))
    assert heat.z[1][0] is None
    assert heat.colorbar.title.text == "time (us)"


def test_a_heatmap_needs_a_grid_of_two_axes() -> None:
    with pytest.raises(ValueError, match="exactly two axes"):
        heatmap_figure(kernel_sweep({"workload.m": [256]}, [1e-6]), "time_s")


def test_a_report_plots_every_kernel_metric_and_a_heatmap_for_two_axes() -> None:
    one = kernel_sweep({"workload.m": [256, 512]}, [1e-6, 2e-6])
    assert [f.layout.title.text for f in sweep_figures(one)] == [
        "time vs workload.m",
        "throughput vs workload.m",
        "DRAM bandwidth vs workload.m",
        "L2 hit rate vs workload.m",
    ]
    two = kernel_sweep({"gpu.preset": PRESETS, "workload.m": [256, 512]}, [1.0] * 4)
    assert sweep_figures(two)[-1].layout.title.text == "time over workload.m x gpu.preset"
