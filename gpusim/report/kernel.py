"""Figures of one simulated kernel: CTA timeline, stall breakdown, cache hits, DRAM.

Each function takes the result (and the spec where a peak is needed) and returns a Plotly
figure; nothing here simulates. Times on the figures are microseconds, bandwidths GB/s
(1e9 bytes/s), fractions percent.
"""

from __future__ import annotations

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.hw.sm.result import KernelResult
from gpusim.roofline import dram_bytes_per_s
from gpusim.spec.gpu import GpuSpec
from gpusim.units import format_bytes

US_PER_S = 1e6
GB = 1e9


def timeline_figure(result: KernelResult) -> go.Figure:
    """One horizontal bar per CTA on the SM that ran it (x: microseconds).

    Needs ``result.timeline`` (simulate with ``timeline=True``); in fast mode it holds the
    representative SMs' CTAs only.
    """
    if result.timeline is None:
        raise ValueError("timeline: the result has none (simulate with timeline=True)")
    spans = result.timeline
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=tuple(span.sm for span in spans),
            x=tuple((span.end_s - span.start_s) * US_PER_S for span in spans),
            base=tuple(span.start_s * US_PER_S for span in spans),
            text=tuple(f"CTA {span.cta}" for span in spans),
            hovertemplate="SM %{y}: %{text}, %{base:.3f} to %{x:.3f} us<extra></extra>",
            name="CTA",
        )
    )
    figure.update_xaxes(title_text="time (us)")
    figure.update_yaxes(title_text="SM", type="category")
    figure.update_layout(
        title=f"CTA timeline ({result.simulated_sms} SMs simulated, {result.mode} mode)"
    )
    return figure


def stall_figure(result: KernelResult) -> go.Figure:
    """Share of warp stall time by reason, largest first (percent)."""
    stalls = sorted(result.stall_fractions.items(), key=lambda item: (-item[1], item[0]))
    figure = go.Figure(
        go.Bar(
            x=tuple(name.replace("_", " ") for name, _ in stalls),
            y=tuple(share * 100 for _, share in stalls),
            name="stalls",
        )
    )
    figure.update_yaxes(title_text="% of warp stall time")
    figure.update_layout(title="stall breakdown")
    return figure


def cache_figure(result: KernelResult) -> go.Figure:
    """L1 and L2 hit rates (percent of sector requests)."""
    figure = go.Figure(
        go.Bar(x=("L1", "L2"), y=(result.l1_hit_rate * 100, result.l2_hit_rate * 100), name="hits")
    )
    figure.update_yaxes(title_text="hit rate (%)", range=(0, 100))
    figure.update_layout(title="cache hit rates")
    return figure


def dram_figure(result: KernelResult, gpu: GpuSpec) -> go.Figure:
    """Achieved DRAM bandwidth beside the sustained and datasheet peaks (GB/s)."""
    peak = dram_bytes_per_s(gpu)
    figure = go.Figure(
        go.Bar(
            x=("achieved", "sustained peak", "datasheet peak"),
            y=(
                result.dram_bandwidth_bytes_per_s / GB,
                peak * gpu.dram.efficiency / GB,
                peak / GB,
            ),
            name="DRAM",
        )
    )
    figure.update_yaxes(title_text="GB/s")
    figure.update_layout(
        title=f"DRAM: {format_bytes(result.dram_read_bytes)} read, "
        f"{format_bytes(result.dram_write_bytes)} written"
    )
    return figure
