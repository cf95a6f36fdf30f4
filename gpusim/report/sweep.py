"""Figures of a sweep: each key metric against one axis, and a heatmap over two axes.

The x axis is the last numeric axis whose values never repeat (the quantity being varied:
a size, a bandwidth, a rank count), else the last axis. In a grid every combination of the
other axes is one line; in a zip the axes move together, so there is one line. A failed
point leaves a gap. A numeric x axis spanning 16x or more is logarithmic, so a size sweep
reads as nccl-tests' curves do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.sweeps.result import Family, SweepRecord, SweepResult

LOG_SPAN = 16.0
"""A positive numeric axis whose largest value is this many times its smallest is logarithmic."""


@dataclass(frozen=True)
class MetricDisplay:
    """How a key metric is plotted: its label, its unit, and the factor to that unit."""

    label: str
    unit: str
    scale: float

    def value(self, record: SweepRecord, metric: str) -> float | None:
        """The record's metric in the display unit (``None`` for a failed point)."""
        raw = record.metrics.get(metric)
        return None if raw is None else float(raw) * self.scale


METRICS: dict[str, MetricDisplay] = {
    "time_s": MetricDisplay("time", "us", 1e6),
    "tflops": MetricDisplay("throughput", "TFLOP/s", 1.0),
    "dram_bandwidth_bytes_per_s": MetricDisplay("DRAM bandwidth", "GB/s", 1e-9),
    "l2_hit_rate": MetricDisplay("L2 hit rate", "%", 100.0),
    "busbw_bytes_per_s": MetricDisplay("bus bandwidth", "GB/s", 1e-9),
    "algbw_bytes_per_s": MetricDisplay("algorithm bandwidth", "GB/s", 1e-9),
    "tokens_per_s": MetricDisplay("throughput", "tokens/s", 1.0),
    "mfu": MetricDisplay("MFU", "%", 100.0),
}

FAMILY_FIGURES: dict[Family, tuple[str, ...]] = {
    "kernel": ("time_s", "tflops", "dram_bandwidth_bytes_per_s", "l2_hit_rate"),
    "collective": ("time_s", "busbw_bytes_per_s", "algbw_bytes_per_s"),
    "training": ("time_s", "tokens_per_s", "mfu"),
}
"""The metrics a sweep report plots, by workload family."""


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def x_axis(sweep: SweepResult) -> str:
    """The axis plotted along x (see the module docstring)."""
    varied = [
        path
        for path, values in sweep.axes.items()
        if len(values) > 1 and _numeric(values) and len(set(values)) == len(values)
    ]
    return varied[-1] if varied else list(sweep.axes)[-1]


def _groups(sweep: SweepResult, x_path: str) -> dict[str, list[SweepRecord]]:
    """Records by line: one per combination of the other axes (grid), or one (zip)."""
    others = [path for path in sweep.axes if path != x_path]
    if sweep.sweep_mode == "zip" or not others:
        return {sweep.scenario: list(sweep.records)}
    groups: dict[str, list[SweepRecord]] = {}
    for record in sweep.records:
        label = ", ".join(f"{path}={record.point[path]}" for path in others)
        groups.setdefault(label, []).append(record)
    return groups


def _style_x(figure: go.Figure, sweep: SweepResult, x_path: str) -> None:
    values = sweep.axes[x_path]
    numeric = _numeric(values)
    logarithmic = numeric and min(values) > 0 and max(values) >= LOG_SPAN * min(values)
    figure.update_xaxes(
        title_text=x_path,
        type="log" if logarithmic else ("linear" if numeric else "category"),
    )


def metric_figure(sweep: SweepResult, metric: str) -> go.Figure:
    """``metric`` against the x axis, one line per combination of the other axes."""
    display = METRICS[metric]
    x_path = x_axis(sweep)
    figure = go.Figure()
    for label, records in _groups(sweep, x_path).items():
        figure.add_trace(
            go.Scatter(
                x=tuple(record.point[x_path] for record in records),
                y=tuple(display.value(record, metric) for record in records),
                mode="lines+markers",
                name=label,
            )
        )
    _style_x(figure, sweep, x_path)
    figure.update_yaxes(title_text=f"{display.label} ({display.unit})")
    figure.update_layout(title=f"{display.label} vs {x_path}")
    return figure


def heatmap_figure(sweep: SweepResult, metric: str) -> go.Figure:
    """``metric`` over a two-axis grid: x the x axis, y the other (cells by value label)."""
    if sweep.sweep_mode != "grid" or len(sweep.axes) != 2:
        raise ValueError("heatmap: needs a grid of exactly two axes")
    display = METRICS[metric]
    x_path = x_axis(sweep)
    y_path = next(path for path in sweep.axes if path != x_path)
    cells = {
        (record.point[x_path], record.point[y_path]): display.value(record, metric)
        for record in sweep.records
    }
    x_values, y_values = sweep.axes[x_path], sweep.axes[y_path]
    figure = go.Figure(
        go.Heatmap(
            x=tuple(str(value) for value in x_values),
            y=tuple(str(value) for value in y_values),
            z=tuple(tuple(cells.get((x, y)) for x in x_values) for y in y_values),
            colorbar={"title": {"text": f"{display.label} ({display.unit})"}},
        )
    )
    figure.update_xaxes(title_text=x_path, type="category")
    figure.update_yaxes(title_text=y_path, type="category")
    figure.update_layout(title=f"{display.label} over {x_path} x {y_path}")
    return figure


def sweep_figures(sweep: SweepResult) -> list[go.Figure]:
    """Every figure of a sweep report: a line figure per plotted metric, then the heatmap
    of the first one when the sweep is a grid of two axes."""
    metrics = FAMILY_FIGURES[sweep.family]
    figures = [metric_figure(sweep, metric) for metric in metrics]
    if sweep.sweep_mode == "grid" and len(sweep.axes) == 2:
        figures.append(heatmap_figure(sweep, metrics[0]))
    return figures
