"""How the command line prints: JSON for scripts, Rich tables for people."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gpusim.schema import field_range
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
    """(dotted path, formatted value, description and range) for every leaf of ``model``."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from spec_rows(value, f"{path}.")
        else:
            bounds = field_range(info)
            meaning = f"{info.description or ''} [{bounds}]" if bounds else info.description
            yield path, format_field(name, value), meaning or ""


def spec_table(model: BaseModel, title: str, width: int) -> Table:
    """A table of a spec's fields, values and meanings, for a console ``width`` columns wide.

    The field paths are the override keys, so they are never cut or wrapped, at 80 columns
    or in a pipe: their column is as wide as the longest path. Where the three columns do
    not fit ``width`` with room for the meaning, each meaning goes under its field instead.
    """
    rows = list(spec_rows(model))
    widest_path = max(len(path) for path, _, _ in rows)
    widest_value = max(len(value) for _, value, _ in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("field", style="cyan", no_wrap=True, min_width=widest_path)
    table.add_column("value", justify="right", no_wrap=True, min_width=widest_value)
    if width - widest_path - widest_value - _TABLE_FRAME_COLUMNS >= _MEANING_MIN_COLUMNS:
        table.add_column("meaning", style="dim")
        for row in rows:
            table.add_row(*row)
        return table
    for path, value, meaning in rows:
        table.add_row(path, value)
        for line in textwrap.wrap(meaning, widest_path - 2):
            table.add_row(Text(f"  {line}", style="dim"), "")
    return table


_TABLE_FRAME_COLUMNS = 10
"""Columns a three-column Rich table spends on borders and padding."""
_MEANING_MIN_COLUMNS = 30
"""The narrowest meaning column worth showing beside its field."""


def print_table(table: Table) -> None:
    """A table on stdout: in a terminal, boxed and fitted to its width (the columns that
    may wrap do); in a pipe or a file, without a box and as wide as its content, so every
    column is whole whatever ``COLUMNS`` says."""
    if console.is_terminal:
        console.print(table)
        return
    table.box = None
    Console(highlight=False, width=UNBOUNDED_COLUMNS).print(table)
