"""``gpusim results``: the runs and sweep points kept in the results store.

``list`` shows the newest records, ``show ID`` one record whole, ``export --csv FILE`` every
record as one CSV table (written atomically). An unknown id or an unreadable store is a
one-line error with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gpusim.cli.output import console, format_field, print_json, print_table
from gpusim.files import check_writable, reporting_write_errors
from gpusim.store import ResultStore, StoredRecord, export_csv, point_text
from gpusim.store.export import flatten

MAX_CELL_CHARS = 80
"""Longer metric values (a collective's link list) are cut short in ``show``."""

WRAPPING_COLUMNS = ("scenario", "hardware", "point", "date")
"""The columns of ``list`` that wrap in a narrow terminal; id, kind, status and time never do."""

app = typer.Typer(no_args_is_help=True, help="The results store: stored runs and sweep points.")

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="results store (default: $GPUSIM_STORE or the cache)"),
]


@app.command("list")
def list_records(
    limit: Annotated[int, typer.Option("--limit", "-n", help="show this many, newest first")] = 20,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the records as JSON")] = False,
) -> None:
    """The newest records: id, kind, status, scenario, hardware, time, date."""
    with ResultStore(store) as results:
        records = results.latest(max(limit, 0))
        path = results.path
    if as_json:
        print_json([record.to_dict() for record in records])
        return
    table = Table(title=f"{path} (newest {len(records)})", title_justify="left")
    for column in ("id", "kind", "status", "scenario", "hardware", "point", "time", "date"):
        table.add_column(
            column,
            justify="right" if column in ("id", "time") else "left",
            no_wrap=column not in WRAPPING_COLUMNS,
            overflow="fold",
        )
    for record in records:
        table.add_row(
            str(record.id),
            record.kind,
            record.status,
            record.scenario,
            record.hardware_name,
            point_text(record.point),
            _time_text(record),
            record.created_utc,
        )
    print_table(table)


@app.command("show")
def show(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="a record's id")],
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the record as JSON")] = False,
) -> None:
    """One record whole: what ran, on what, and every metric."""
    with ResultStore(store) as results:
        record = results.get(record_id)
    if as_json:
        print_json(record.to_dict())
        return
    facts = Table(show_header=False, box=None, pad_edge=False)
    facts.add_column(style="cyan")
    facts.add_column()
    for name, value in _facts(record):
        facts.add_row(name, value)
    console.print(facts)
    if record.metrics:
        metrics = Table(title="metrics", title_justify="left")
        metrics.add_column("metric", style="cyan")
        metrics.add_column("value", justify="right")
        for name, value in flatten(record.metrics).items():
            text = format_field(name.rsplit(".", 1)[-1], value)
            if len(text) > MAX_CELL_CHARS:
                text = text[:MAX_CELL_CHARS] + "... (--json shows all)"
            metrics.add_row(name, text)
        console.print(metrics)


@app.command("export")
def export(
    csv_path: Annotated[Path, typer.Option("--csv", help="the CSV file to write")],
    store: StoreOption = None,
) -> None:
    """Every record as one CSV table (one row per record), written atomically."""
    check_writable(csv_path, "--csv")
    with ResultStore(store) as results:
        records = results.all()
    with reporting_write_errors(csv_path, "--csv"):
        export_csv(records, csv_path)
    console.print(f"wrote {len(records)} records to {csv_path}")


def _time_text(record: StoredRecord) -> str:
    if record.metrics is None:
        return "error"
    return format_field("time_s", record.metrics["time_s"])


def _facts(record: StoredRecord) -> list[tuple[str, str]]:
    point = point_text(record.point)
    workload = ", ".join(f"{name}={value}" for name, value in (record.workload or {}).items())
    facts = [
        ("id", str(record.id)),
        ("kind", record.kind),
        ("status", record.status),
        ("scenario", f"{record.scenario} ({record.source})"),
        ("hardware", record.hardware_name),
        ("workload", workload),
        ("mode", record.mode),
        ("date (UTC)", record.created_utc),
        ("gpusim", record.gpusim_version),
        ("scenario hash", record.scenario_hash),
        ("wall time", format_field("wall_s", record.wall_s)),
    ]
    if point:
        facts.insert(4, ("point", point))
    if record.error is not None:
        facts.insert(3, ("error", record.error))
    return facts
