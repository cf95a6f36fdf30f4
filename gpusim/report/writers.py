"""The report writers: one simulated run, or one sweep, as a self-contained HTML page.

These are what ``gpusim run --html``, ``gpusim sweep --html`` and the terminal UI's export
call; their signatures are stable.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import KernelResult
from gpusim.report.collective import link_figure, time_figure
from gpusim.report.kernel import cache_figure, dram_figure, stall_figure, timeline_figure
from gpusim.report.page import html_page, html_table, write_page
from gpusim.report.roofline import level_traffic, roofline_figure
from gpusim.report.sweep import sweep_figures
from gpusim.report.training import training_report_html
from gpusim.roofline import Bound, simt_flops_per_s, tensor_flops_per_s
from gpusim.scenario import Scenario
from gpusim.spec.gpu import GpuSpec
from gpusim.sweeps.result import SweepResult
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.result import TrainingResult
from gpusim.units import format_bytes, format_decimal, format_seconds
from gpusim.workload import CollectiveWorkload, GemmWorkload, KernelWorkload


def write_report(
    result: KernelResult | CollectiveResult | TrainingResult,
    path: str | Path,
    *,
    scenario: Scenario,
    bound: Bound | None = None,
) -> Path:
    """Write the HTML report of one simulated ``scenario`` at ``path`` (atomically).

    A kernel's report holds its CTA timeline (when the result has one:
    ``simulate(..., timeline=True)``), stall breakdown, hierarchical roofline, cache hit
    rates and DRAM bandwidth; a collective's, its link utilisation and its time against the
    bound; a training step's, its timeline and breakdown. ``bound`` defaults to
    ``scenario.bound()``. Returns the path written.
    """
    bound = scenario.bound() if bound is None else bound
    if isinstance(result, CollectiveResult):
        return write_page(path, collective_report_html(result, scenario, bound))
    if isinstance(result, TrainingResult):
        return write_page(path, training_report_html(result, scenario, bound))
    return write_page(path, kernel_report_html(result, scenario, bound))


def write_sweep_report(sweep: SweepResult, path: str | Path) -> Path:
    """Write the HTML report of a sweep at ``path`` (atomically): each key metric against
    the swept axis, a heatmap for a two-axis grid, and the table of points."""
    return write_page(path, sweep_report_html(sweep))


def kernel_report_html(result: KernelResult, scenario: Scenario, bound: Bound) -> str:
    """The page of one kernel run."""
    workload = _kernel_workload(scenario)
    figures = [stall_figure(result), _roofline(result, scenario.gpu, workload)]
    figures.append(cache_figure(result))
    figures.append(dram_figure(result, scenario.gpu))
    notes = []
    if result.timeline is None:
        notes.append("No CTA timeline: the run was simulated without timeline=True.")
    else:
        figures.insert(0, timeline_figure(result))
    facts = [
        ("workload", workload.describe()),
        ("GPU", f"{result.gpu} ({result.mode} mode)"),
        ("time", format_seconds(result.time_s)),
        ("throughput", format_decimal(result.flops_per_s, "FLOP/s")),
        ("DRAM", format_decimal(result.dram_bandwidth_bytes_per_s, "B/s")),
        ("bottleneck", result.bottleneck),
        ("roofline bound", f"{format_seconds(bound.time_s)} ({bound.limiter})"),
        ("occupancy", f"{result.achieved_occupancy:.0%} of {result.theoretical_occupancy:.0%}"),
        ("cache hits", f"L1 {result.l1_hit_rate:.0%}, L2 {result.l2_hit_rate:.0%}"),
    ]
    return html_page(f"gpusim: {scenario.name}", facts, figures, notes=notes)


def _kernel_workload(scenario: Scenario) -> KernelWorkload:
    if isinstance(scenario.workload, CollectiveWorkload | TrainingStepWorkload):
        raise ValueError(f"scenario: {scenario.name} runs {scenario.workload.kind}, not a kernel")
    return scenario.workload


def _roofline(result: KernelResult, gpu: GpuSpec, workload: KernelWorkload) -> go.Figure:
    if isinstance(workload, GemmWorkload) and workload.tensor_cores:
        peak, peak_name = tensor_flops_per_s(gpu, workload.dtype), f"tensor {workload.dtype}"
    else:
        peak, peak_name = simt_flops_per_s(gpu, "fp32"), "SIMT fp32"
    return roofline_figure(
        level_traffic(gpu, result),
        flops=result.flops,
        flops_per_s=result.flops_per_s,
        peak_flops_per_s=peak,
        peak_name=peak_name,
    )


def collective_report_html(result: CollectiveResult, scenario: Scenario, bound: Bound) -> str:
    """The page of one collective run."""
    busiest = result.busiest_link
    busiest_text = "none" if busiest is None else f"{busiest.name} {busiest.utilisation:.0%}"
    facts = [
        ("workload", scenario.workload.describe()),
        ("system", f"{result.system} ({result.ranks} ranks, {result.channels} channels)"),
        ("time", format_seconds(result.time_s)),
        ("algbw", format_decimal(result.algbw_bytes_per_s, "B/s")),
        ("busbw", format_decimal(result.busbw_bytes_per_s, "B/s")),
        ("protocol", f"{result.protocol} ({result.algo})"),
        ("bound", f"{format_seconds(bound.time_s)} ({bound.time_s / result.time_s:.0%})"),
        ("busiest link", busiest_text),
        ("size", format_bytes(result.size_bytes)),
    ]
    figures = [time_figure(result), link_figure(result)]
    return html_page(f"gpusim: {scenario.name}", facts, figures)


def sweep_report_html(sweep: SweepResult) -> str:
    """The page of one sweep."""
    facts = [
        ("scenario", f"{sweep.scenario} ({sweep.source})"),
        ("axes", f"{', '.join(sweep.axes)} ({sweep.sweep_mode})"),
        ("points", f"{len(sweep.records)}: {len(sweep.failed)} failed, {sweep.reused} from store"),
        ("mode", sweep.mode),
        ("results store", sweep.store),
    ]
    rows = sweep.rows()
    header = list(rows[0]) if rows else []
    table = html_table(header, [[_cell(row[name]) for name in header] for row in rows])
    return html_page(
        f"gpusim sweep: {sweep.scenario}", facts, sweep_figures(sweep), tables=[("points", table)]
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
