"""Figures of a training step: its timeline (one row per pipeline stage's GPU, kernels and
collectives as bars) and where the step's time went."""

from __future__ import annotations

from collections import defaultdict

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.report.page import html_page
from gpusim.roofline import Bound
from gpusim.scenario import Scenario
from gpusim.training.result import TrainingResult
from gpusim.training.schedule import Bar
from gpusim.training.summary import summary_rows
from gpusim.units import format_seconds

BAR_COLOURS = {
    "forward": "#4c78a8",
    "backward": "#f58518",
    "send": "#54a24b",
    "dp_allreduce": "#e45756",
    "optimizer": "#b279a2",
}
"""One colour per kind of bar (the legend's entries)."""


def _row(bar: Bar) -> str:
    return f"stage {bar.stage} {bar.stream}"


def training_timeline_figure(result: TrainingResult) -> go.Figure:
    """Per stage a compute row and a communication row; every replica of a stage runs the
    same bars at the same times, so one GPU stands for each stage."""
    by_kind: dict[str, list[Bar]] = defaultdict(list)
    for bar in result.timeline:
        by_kind[bar.kind].append(bar)
    figure = go.Figure()
    for kind, bars in by_kind.items():
        figure.add_trace(
            go.Bar(
                name=kind,
                orientation="h",
                y=[_row(bar) for bar in bars],
                base=[bar.start_s * 1e3 for bar in bars],
                x=[(bar.end_s - bar.start_s) * 1e3 for bar in bars],
                text=[bar.label for bar in bars],
                marker_color=BAR_COLOURS[kind],
                hovertemplate="%{text}<br>%{base:.3f} ms + %{x:.3f} ms<extra></extra>",
            )
        )
    rows = sorted({_row(bar) for bar in result.timeline}, reverse=True)
    figure.update_layout(
        title=f"Timeline of one step ({format_seconds(result.step_s)})",
        barmode="overlay",
        xaxis_title="time (ms)",
        yaxis={"categoryorder": "array", "categoryarray": rows},
        height=max(300, 60 * len(rows)),
    )
    return figure


def breakdown_figure(result: TrainingResult) -> go.Figure:
    """The critical stage's step split into compute, exposed communication and bubble."""
    parts = {
        "compute": result.compute_s,
        "TP all-reduce": result.tp_allreduce_s,
        "DP tail": result.dp_exposed_s,
        "bubble": result.bubble_s,
    }
    figure = go.Figure()
    for name, seconds in parts.items():
        figure.add_trace(go.Bar(name=name, x=[seconds * 1e3], y=["step"], orientation="h"))
    figure.update_layout(
        title=f"Where stage {result.critical_stage}'s step went",
        barmode="stack",
        xaxis_title="time (ms)",
        height=250,
    )
    return figure


def training_report_html(result: TrainingResult, scenario: Scenario, bound: Bound) -> str:
    """The page of one training step."""
    facts = [("workload", scenario.workload.describe()), ("system", result.system)]
    facts += [(what, f"{value} {detail}".strip()) for what, value, detail in summary_rows(result)]
    facts.append(("bound", f"{format_seconds(bound.time_s)} (model FLOPs at every GPU's peak)"))
    figures = [training_timeline_figure(result), breakdown_figure(result)]
    return html_page(f"gpusim: {scenario.name}", facts, figures)
