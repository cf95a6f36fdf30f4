"""How the command line prints: JSON for scripts, Rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from gpusim.units import format_bytes, format_decimal, format_seconds

console = Console(highlight=False)

UNBOUNDED_COLUMNS = 100_000
"""The width a table is printed at when it goes to a pipe or a file: no column is ever cut."""


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def format_field(name: str, value: Any) -> str:
    """A spec value in the unit its field name carries."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if "bytes_per_s" in name:
        return format_decimal(value, "B/s")
    if name.endswith("_hz"):
        return format_decimal(value, "Hz")
    if name.endswith("_bytes"):
        return format_bytes(value)
    if name.endswith("_s"):
        return format_seconds(value)
    return f"{value:g}"


def spec_rows(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """(dotted path, formatted value, description) for every leaf field of ``model``."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from spec_rows(value, f"{path}.")
        else:
            yield path, format_field(name, value), info.description or ""


def spec_table(model: BaseModel, title: str) -> Table:
    """A three-column table (field, value, meaning) of a spec."""
    table = Table(title=title, title_justify="left")
    table.add_column("field", style="cyan")
    table.add_column("value", justify="right")
    table.add_column("meaning", style="dim")
    for row in spec_rows(model):
        table.add_row(*row)
    return table


def print_table(table: Table) -> None:
    """A table on stdout: in a terminal, boxed and fitted to its width (the columns that
    may wrap do); in a pipe or a file, without a box and as wide as its content, so every
    column is whole whatever ``COLUMNS`` says."""
    if console.is_terminal:
        console.print(table)
        return
    table.box = None
    Console(highlight=False, width=UNBOUNDED_COLUMNS).print(table)
