"""``gpusim sweep``: every point of a scenario's ``[sweep]``, in parallel, kept as it arrives.

Exit codes: 0 every point succeeded; 1 some points failed (each is in the table, the JSON
and the store with its error); 2 bad input (the scenario, its axes, the store, the
scheduler); 130 interrupted (what finished is stored; the same command resumes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gpusim.cli import INTERRUPTED_EXIT_CODE
from gpusim.cli.output import console, format_field, print_json, print_table
from gpusim.cli.progress import progress_line
from gpusim.files import check_writable, reporting_write_errors
from gpusim.hw.sm.result import Mode
from gpusim.report import write_sweep_report
from gpusim.scenario import load_scenario
from gpusim.store import point_text
from gpusim.sweeps import SweepRecord, SweepResult, sweep
from gpusim.units import format_decimal

POINTS_FAILED_EXIT_CODE = 1

errors = Console(stderr=True, highlight=False)


def sweep_command(
    path: Annotated[Path, typer.Argument(help="a scenario file with a \\[sweep] table")],
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="worker processes (default: one per CPU core)"),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="run the points on a Dask cluster (tcp://HOST:PORT)"),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="results store (default: $GPUSIM_STORE or the cache)"),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="write a self-contained HTML report here")
    ] = None,
    detailed: Annotated[
        bool, typer.Option("--detailed", help="simulate every SM and warp (slow)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the records as JSON")] = False,
) -> None:
    """Simulate every point of a scenario's sweep; re-running skips points already stored."""
    if html is not None:
        check_writable(html, "--html")
    scenario = load_scenario(path)
    mode: Mode = "detailed" if detailed else "fast"
    finished = 0
    points = len(scenario.sweep_points())
    try:
        with progress_line(scenario.name, steps=points, keep=True) as line:

            def on_record(record: SweepRecord, total: int) -> None:
                nonlocal finished
                finished += 1
                line.step(total=total)
                if record.status == "error":
                    line.note(f"point {record.index} ({point_text(record.point)}): {record.error}")

            result = sweep(
                scenario,
                jobs=jobs,
                scheduler=scheduler,
                store=store,
                mode=mode,
                on_record=on_record,
            )
    except KeyboardInterrupt:
        errors.print(
            f"interrupted: {finished} points finished and stored; "
            "run the same command again to resume",
            soft_wrap=True,
        )
        raise typer.Exit(INTERRUPTED_EXIT_CODE) from None
    if as_json:
        print_json(result.to_dict())
    else:
        print_table(_table(result, console.width if console.is_terminal else None))
        console.print(_summary(result), soft_wrap=True)
    if html is not None:
        with reporting_write_errors(html, "--html"):
            write_sweep_report(result, html)
        errors.print(f"report: {html}", markup=False)
    if result.failed:
        raise typer.Exit(POINTS_FAILED_EXIT_CODE)


_KERNEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "time_s"),
    ("TFLOP/s", "tflops"),
    ("DRAM", "dram_bandwidth_bytes_per_s"),
    ("L2 hits", "l2_hit_rate"),
)
_COLLECTIVE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "time_s"),
    ("algbw", "algbw_bytes_per_s"),
    ("busbw", "busbw_bytes_per_s"),
)
_TRAINING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("step", "time_s"),
    ("tokens/s", "tokens_per_s"),
    ("MFU", "mfu"),
)
_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "kernel": _KERNEL_COLUMNS,
    "collective": _COLLECTIVE_COLUMNS,
    "training": _TRAINING_COLUMNS,
}
_TEXT_COLUMN: dict[str, str] = {
    "kernel": "bottleneck",
    "collective": "protocol",
    "training": "losses",
}
"""The last, free-width column of each family (a failed point's error goes there)."""


def _metric_text(name: str, value: Any) -> str:
    if name == "tflops":
        return f"{value:.2f}"
    if name == "tokens_per_s":
        return format_decimal(value, "")
    if name.endswith("_rate") or name == "mfu":
        return f"{value:.0%}"
    return format_field(name, value)


MAX_HEADER_CHARS = 16


def _axis_header(path: str) -> str:
    """A short column header for an axis (the title names it in full)."""
    header = path.split(".", 1)[1]
    if len(header) > MAX_HEADER_CHARS:
        header = header.rsplit(".", 1)[-1]
    if len(header) > MAX_HEADER_CHARS:
        header = header[: MAX_HEADER_CHARS - 1] + "…"
    return header


MIN_TEXT_CHARS = 16
"""The narrowest the last (wrapping) column may get before metric columns are left out."""


def _table(result: SweepResult, width: int | None) -> Table:
    """One line per point: its axis values, its key metrics and store id, then its
    bottleneck (or protocol), or its error, in the one column that wraps. Within ``width``
    columns (a terminal's), the metric columns are left out from the last (the caption says
    which) until the others fit whole; ``None``: every column."""
    metrics = list(_COLUMNS[result.family])
    text_name = _TEXT_COLUMN[result.family]
    rows = [_row(record, metrics, text_name) for record in result.records]
    axes = [_axis_header(axis) for axis in result.axes]
    left_out: list[str] = []
    while width is not None and len(metrics) > 1:
        header = ["#", *axes, *(title for title, _ in metrics), "id"]
        widths = _widths(header, rows)
        if sum(widths) + 3 * (len(widths) + 1) + 1 + MIN_TEXT_CHARS <= width:  # padding, rules
            break
        left_out.insert(0, metrics.pop()[0])
        rows = [_row(record, metrics, text_name) for record in result.records]
    header = ["#", *axes, *(title for title, _ in metrics), "id"]
    title = f"{result.scenario}: {result.sweep_mode} of {', '.join(result.axes)}"
    caption = f"{', '.join(left_out)} left out to fit; --json shows all" if left_out else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for name, column_width in zip(header, _widths(header, rows), strict=True):
        table.add_column(name, justify="right", no_wrap=True, min_width=column_width)
    table.add_column(text_name)  # the only wrapping column: Rich narrows it first
    for cells, last in rows:
        table.add_row(*cells, last)
    return table


def _widths(header: list[str], rows: list[tuple[list[str], str | Text]]) -> list[int]:
    """Each fixed column's width: its widest cell or its header."""
    return [max(len(name), *(len(cells[i]) for cells, _ in rows)) for i, name in enumerate(header)]


def _row(
    record: SweepRecord, metrics: list[tuple[str, str]], text_name: str
) -> tuple[list[str], str | Text]:
    """A point's cells (index, axis values, metrics, store id) and its last, wrapping cell."""
    cells = [str(record.index)]
    cells += [format_field(path.rsplit(".", 1)[-1], v) for path, v in record.point.items()]
    if record.status == "error":
        cells += [""] * len(metrics)
        last: str | Text = Text(f"error: {record.error}", style="red")
    else:
        cells += [_metric_text(name, record.metrics[name]) for _, name in metrics]
        last = str(record.metrics[text_name])
    cells.append(f"{record.run_id}{'*' if record.reused else ''}")
    return cells, last


def _summary(result: SweepResult) -> str:
    ok = len(result.records) - len(result.failed)
    simulated = len(result.records) - result.reused
    return (
        f"{len(result.records)} points: {ok} ok, {len(result.failed)} failed; "
        f"{result.reused} found in the store (* in the id column), {simulated} run now. "
        f"Store: {result.store}"
    )
