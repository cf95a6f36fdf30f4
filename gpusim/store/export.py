"""Every stored record as one CSV table, for spreadsheets and data frames.

One row per record, oldest first. Fixed columns come first; then the sweep point's axes
(``point.<path>``), the workload's fields (``workload.<field>``) and the metrics
(``metrics.<name>``, nested tables flattened to dotted names), each group sorted by name and
left empty where a record has no such value. Lists (a collective's links) are JSON text;
the whole resolved spec is one JSON column, ``spec``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gpusim.files import write_atomically
from gpusim.store.records import StoredRecord

FIXED_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "status",
    "error",
    "scenario",
    "source",
    "scenario_hash",
    "mode",
    "hardware",
    "gpusim_version",
    "created_utc",
    "wall_s",
)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"<prefix>.a.b": 1}`` (``a.b`` without a prefix); lists
    become JSON text."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            flat.update(flatten(value, path))
        elif isinstance(value, list | tuple):
            flat[path] = json.dumps(value)
        else:
            flat[path] = value
    return flat


def csv_row(record: StoredRecord) -> dict[str, Any]:
    """One record as a flat row (columns as the module docstring says)."""
    row: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "status": record.status,
        "error": record.error,
        "scenario": record.scenario,
        "source": record.source,
        "scenario_hash": record.scenario_hash,
        "mode": record.mode,
        "hardware": record.hardware_name,
        "gpusim_version": record.gpusim_version,
        "created_utc": record.created_utc,
        "wall_s": record.wall_s,
    }
    row |= flatten(record.point, "point")
    row |= flatten(record.workload or {}, "workload")
    row |= flatten(record.metrics or {}, "metrics")
    row["spec"] = json.dumps(record.spec) if record.spec is not None else None
    return row


def csv_text(records: Sequence[StoredRecord]) -> str:
    """The CSV document of ``records``."""
    rows = [csv_row(record) for record in records]
    extra = sorted({name for row in rows for name in row} - {*FIXED_COLUMNS, "spec"})
    columns = [*FIXED_COLUMNS, *extra, "spec"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: "" if value is None else value for name, value in row.items()})
    return buffer.getvalue()


def export_csv(records: Sequence[StoredRecord], path: str | Path) -> Path:
    """Write ``records`` as CSV at ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    write_atomically(target, csv_text(records))
    return target
