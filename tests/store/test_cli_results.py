"""``gpusim results``: list, show and export the store; bad ids are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.store import ResultStore
from tests.cli.conftest import Invoke, assert_user_error
from tests.store.conftest import read_only_folder
from tests.store.test_store import ERROR_RECORD, KERNEL_RECORD


def fill(path: Path) -> None:
    with ResultStore(path) as store:
        store.add(KERNEL_RECORD)
        store.add(ERROR_RECORD)


def test_list_shows_the_newest_first(gpusim: Invoke, store_path: Path) -> None:
    fill(store_path)
    result = gpusim("results", "list")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "sweep-point" in line]
    assert len(lines) == 2
    assert "error" in lines[0] and "15 us" in lines[1]


def test_list_json_honours_the_limit(gpusim: Invoke, store_path: Path) -> None:
    fill(store_path)
    records = json.loads(gpusim("results", "list", "--limit", "1", "--json").stdout)
    assert [record["id"] for record in records] == [2]
    assert set(records[0]) >= {"id", "kind", "status", "scenario_hash", "spec", "metrics"}


def test_show_prints_one_record_whole(gpusim: Invoke, store_path: Path) -> None:
    fill(store_path)
    result = gpusim("results", "show", "1")
    assert result.exit_code == 0, result.output
    for text in ("l2.toml", "H100-SXM5-80GB", "stall_fractions.barrier", "gpu.l2.size_bytes"):
        assert text in result.stdout
    document = json.loads(gpusim("results", "show", "2", "--json").stdout)
    assert document["error"] == ERROR_RECORD.error
    assert document["metrics"] is None


def test_show_of_an_unknown_id_is_a_user_error(gpusim: Invoke, store_path: Path) -> None:
    fill(store_path)
    assert_user_error(gpusim("results", "show", "9"), f"{store_path}: no record with id 9")


def test_export_writes_every_record(gpusim: Invoke, store_path: Path, tmp_path: Path) -> None:
    fill(store_path)
    target = tmp_path / "all.csv"
    result = gpusim("results", "export", "--csv", str(target))
    assert result.exit_code == 0, result.output
    assert "wrote 2 records" in result.stdout
    assert len(target.read_text().splitlines()) == 3


def test_an_unreadable_store_is_a_user_error(gpusim: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database, just text that is long enough to be read as a header\n" * 20)
    assert_user_error(
        gpusim("results", "list", "--store", str(bad)),
        f"{bad}: cannot open the results store",
    )


def test_export_creates_missing_folders(gpusim: Invoke, store_path: Path, tmp_path: Path) -> None:
    fill(store_path)
    target = tmp_path / "new" / "folder" / "all.csv"
    assert gpusim("results", "export", "--csv", str(target)).exit_code == 0
    assert target.read_text().startswith("id,kind,status,")


def test_export_onto_a_directory_or_a_read_only_place_is_one_line(
    gpusim: Invoke, store_path: Path, tmp_path: Path
) -> None:
    fill(store_path)
    assert_user_error(
        gpusim("results", "export", "--csv", str(tmp_path)),
        f"--csv: {tmp_path} is a directory, not a file",
    )
    folder = read_only_folder(tmp_path)
    assert_user_error(
        gpusim("results", "export", "--csv", str(folder / "all.csv")),
        f"--csv: cannot write {folder / 'all.csv'}: {folder}: Permission denied",
    )


def test_list_in_a_pipe_keeps_every_column_whole(store_path: Path) -> None:
    fill(store_path)
    piped = CliRunner().invoke(app, ["results", "list"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    lines = [line for line in piped.stdout.splitlines() if "sweep-point" in line]
    assert "gpu.l2.size_bytes=-1" in lines[0] and lines[0].rstrip().endswith("+00:00")
