"""``export_csv``: one row per record, fixed columns first, nested metrics flattened."""

from __future__ import annotations

import csv
from pathlib import Path

from gpusim.store import ResultStore, export_csv
from tests.store.test_store import ERROR_RECORD, KERNEL_RECORD


def test_every_record_is_one_row_with_flattened_columns(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.add(KERNEL_RECORD)
        store.add(ERROR_RECORD)
        records = store.all()
    target = export_csv(records, tmp_path / "out" / "records.csv")
    with target.open(newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        columns = reader.fieldnames
    assert columns == [
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
        "metrics.stall_fractions.barrier",
        "metrics.stall_fractions.long_scoreboard",
        "metrics.time_s",
        "point.gpu.l2.size_bytes",
        "workload.k",
        "workload.kernel",
        "workload.kind",
        "workload.m",
        "workload.n",
        "spec",
    ]
    assert [row["id"] for row in rows] == ["1", "2"]
    assert rows[0]["metrics.time_s"] == "1.5e-05"
    assert rows[0]["metrics.stall_fractions.long_scoreboard"] == "0.75"
    assert rows[0]["spec"] == '{"name": "H100-SXM5-80GB", "l2": {"size_bytes": 52428800}}'
    assert rows[1]["status"] == "error"
    assert rows[1]["error"] == ERROR_RECORD.error
    assert rows[1]["metrics.time_s"] == rows[1]["spec"] == ""
    assert rows[1]["point.gpu.l2.size_bytes"] == "-1"


def test_export_replaces_a_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "records.csv"
    target.write_text("old contents\n")
    export_csv([], target)
    assert target.read_text().startswith("id,kind,status,")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["records.csv"]
