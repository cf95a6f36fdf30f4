"""A comparison for people: Rich tables in the terminal, a self-contained Plotly HTML report.

The HTML report embeds plotly.js, so it opens offline. It holds a log-log scatter of
simulated against measured time per case (one trace per family, the identity line for
reference), the signed error per family (bar: mean, error bar: one standard deviation,
MAPE in the hover), and the statistics table; for a published microbenchmark file, the
published and the simulated curve of each family and GPU on one plot against working-set
or data size.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go  # type: ignore[import-untyped]
from rich.table import Table

from gpusim.files import write_atomically
from gpusim.units import format_decimal, format_seconds
from gpusim.validate.compare import Comparison
from gpusim.validate.published_compare import PublishedComparison, PublishedResult
from gpusim.validate.stats import AccuracyStats


def _figure_of_merit(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def cases_table(comparison: Comparison) -> Table:
    """One row per compared case: measured, simulated, error %."""
    table = Table(title=f"{comparison.device} vs {comparison.preset}", title_justify="left")
    for column in ("case", "measured", "simulated", "error %"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for case in comparison.cases:
        marker = " (L2)" if case.fits_in_l2 else ""
        table.add_row(
            f"{case.case_id}{marker}",
            format_seconds(case.measured_s),
            format_seconds(case.simulated_s),
            f"{case.error_pct:+.1f}",
        )
    return table


def published_table(published: PublishedComparison) -> Table:
    """One row per simulated published case: the figure as printed, the simulated one in the
    same unit, and the signed error of the simulated time."""
    comparison = published.comparison
    table = Table(title=f"{comparison.source}: published vs simulated", title_justify="left")
    for column in ("case", "on", "published", "simulated", "error % (time)"):
        table.add_column(column, justify="left" if column in ("case", "on") else "right")
    for result in published.results:
        table.add_row(
            result.case_id,
            result.preset,
            f"{result.published} {result.unit}",
            f"{result.simulated_figure:.5g} {result.unit}",
            f"{result.error_pct:+.1f}",
        )
    return table


ACCURACY_COMMAND = "gpusim validate accuracy-table"


def accuracy_markdown(comparisons: Sequence[PublishedComparison], *, date: str, commit: str) -> str:
    """The README table: MAPE per family and GPU of every published file, dated and tagged.

    A file none of whose cases is simulated yet still gets a row, with its count of cases
    not simulated, so that what is missing stays in view.
    """
    lines = [
        f"Accuracy against published measurements, {date}, commit {commit} "
        f"(`{ACCURACY_COMMAND}`); errors are on time per repetition.",
        "",
        "| source | family on GPU | cases | MAPE % | median abs error % | mean error % "
        "| Pearson r (log) | not simulated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for published in comparisons:
        source = published.comparison.source
        missing = len(published.not_simulated)
        families = published.comparison.families
        if not families:
            lines.append(f"| {source} | (none simulated yet) | 0 | | | | | {missing} |")
        for index, (name, stats) in enumerate(families.items()):
            lines.append(
                f"| {source} | {name} | {stats.cases} | {stats.mape:.1f} "
                f"| {stats.median_abs_error_pct:.1f} | {stats.mean_error_pct:+.1f} "
                f"| {_figure_of_merit(stats.pearson_r)} | {missing if index == 0 else ''} |"
            )
    return "\n".join(lines) + "\n"


def families_table(comparison: Comparison) -> Table:
    """Per family and overall: cases, MAPE, median |error|, Pearson r (log), Spearman rho."""
    table = Table(title="accuracy per family", title_justify="left")
    for column in ("family", "cases", "MAPE %", "median |err| %", "Pearson r", "Spearman rho"):
        table.add_column(column, justify="left" if column == "family" else "right")
    rows: list[tuple[str, AccuracyStats]] = list(comparison.families.items())
    if comparison.overall is not None:
        rows.append(("overall", comparison.overall))
    for name, stats in rows:
        table.add_row(
            name,
            str(stats.cases),
            f"{stats.mape:.1f}",
            f"{stats.median_abs_error_pct:.1f}",
            _figure_of_merit(stats.pearson_r),
            _figure_of_merit(stats.spearman_rho),
        )
    return table


def library_table(comparison: Comparison) -> Table:
    """The library reference cases: measured time and achieved throughput."""
    table = Table(title="library references (not simulated)", title_justify="left")
    for column in ("case", "measured", "throughput"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for reference in comparison.library:
        if reference.flops_per_s > 0:
            throughput = format_decimal(reference.flops_per_s, "FLOP/s")
        else:
            throughput = format_decimal(reference.bytes_per_s, "B/s")
        table.add_row(reference.case_id, format_seconds(reference.measured_s), throughput)
    return table


def scatter_figure(comparison: Comparison) -> go.Figure:
    """Simulated against measured seconds on log axes, a trace per family, and y = x."""
    figure = go.Figure()
    for family in comparison.families:
        members = [case for case in comparison.cases if case.family == family]
        figure.add_trace(
            go.Scatter(
                x=[case.measured_s for case in members],
                y=[case.simulated_s for case in members],
                mode="markers",
                name=family,
                text=[f"{case.case_id}: {case.error_pct:+.1f}%" for case in members],
                hoverinfo="text",
            )
        )
    times = [t for case in comparison.cases for t in (case.measured_s, case.simulated_s)]
    if times:
        low, high = min(times) / 1.5, max(times) * 1.5
        figure.add_trace(
            go.Scatter(
                x=[low, high],
                y=[low, high],
                mode="lines",
                name="simulated = measured",
                line={"dash": "dash", "color": "grey"},
            )
        )
    figure.update_xaxes(type="log", title_text="measured time per repetition (s)")
    figure.update_yaxes(type="log", title_text="simulated time per repetition (s)")
    figure.update_layout(title=f"{comparison.device}: simulated vs measured ({comparison.preset})")
    return figure


def family_error_figure(comparison: Comparison) -> go.Figure:
    """Mean signed error per family with one standard deviation as its error bar."""
    names = list(comparison.families)
    stats = [comparison.families[name] for name in names]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=[item.mean_error_pct for item in stats],
            error_y={"type": "data", "array": [item.std_error_pct for item in stats]},
            text=[f"MAPE {item.mape:.1f}%" for item in stats],
            name="mean error %",
        )
    )
    figure.update_yaxes(title_text="error % (simulated - measured) / measured")
    figure.update_layout(title="error per family (bar: mean, bar ends: one standard deviation)")
    return figure


def curve_figures(results: Sequence[PublishedResult]) -> list[go.Figure]:
    """Per family and GPU with a size, the published and the simulated figure against size:
    one plot each (log size axis), as the sources draw their curves."""
    figures: list[go.Figure] = []
    for group in dict.fromkeys(result.group for result in results if result.size_bytes):
        members = sorted(
            (result for result in results if result.group == group and result.size_bytes),
            key=lambda result: result.size_bytes or 0,
        )
        sizes = [result.size_bytes for result in members]
        labels = [f"{result.case_id}: {result.error_pct:+.1f}% (time)" for result in members]
        figure = go.Figure()
        for name, values in (
            ("published", [result.published_figure for result in members]),
            ("simulated", [result.simulated_figure for result in members]),
        ):
            figure.add_trace(
                go.Scatter(x=sizes, y=values, mode="lines+markers", name=name, text=labels)
            )
        figure.update_xaxes(type="log", title_text="working set or data size (bytes)")
        figure.update_yaxes(title_text=members[0].unit)
        figure.update_layout(title=f"{group}: published and simulated curves")
        figures.append(figure)
    return figures


def _stats_html(comparison: Comparison) -> str:
    header = "".join(
        f"<th>{name}</th>"
        for name in ("family", "cases", "MAPE %", "median |err| %", "Pearson r", "Spearman rho")
    )
    rows = [(name, stats) for name, stats in comparison.families.items()]
    if comparison.overall is not None:
        rows.append(("overall", comparison.overall))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{stats.cases}</td><td>{stats.mape:.1f}</td>"
        f"<td>{stats.median_abs_error_pct:.1f}</td><td>{_figure_of_merit(stats.pearson_r)}</td>"
        f"<td>{_figure_of_merit(stats.spearman_rho)}</td></tr>"
        for name, stats in rows
    )
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in comparison.notes)
    return f"<table border=1><tr>{header}</tr>{body}</table><ul>{notes}</ul>"


def report_html(comparison: Comparison, results: Sequence[PublishedResult] = ()) -> str:
    """The whole report as one HTML document with plotly.js embedded once; ``results`` (a
    published file's) add the curves of its microbenchmark cases."""
    scatter = scatter_figure(comparison).to_html(full_html=False, include_plotlyjs=True)
    errors = family_error_figure(comparison).to_html(full_html=False, include_plotlyjs=False)
    curves = "".join(
        figure.to_html(full_html=False, include_plotlyjs=False) for figure in curve_figures(results)
    )
    title = html.escape(f"gpusim validation: {comparison.source} on {comparison.preset}")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{_stats_html(comparison)}{scatter}{errors}{curves}"
        "</body></html>\n"
    )


def write_report(
    comparison: Comparison, path: Path, results: Sequence[PublishedResult] = ()
) -> None:
    """Write the HTML report atomically: nothing half-written on failure."""
    write_atomically(path, report_html(comparison, results))
