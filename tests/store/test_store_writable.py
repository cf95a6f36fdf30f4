"""A results store that cannot be written is refused before any simulation runs, so a
result is never computed only to be lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.store import ResultStore
from gpusim.store.db import StoreError

QUICKSTART = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.toml"


@pytest.fixture
def read_only_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store that then opens read-only, as on a read-only file or mount (chmod does not
    stop root, who runs the tests in CI)."""
    path = tmp_path / "r.sqlite"
    with ResultStore(path):
        pass
    connect = sqlite3.connect

    def read_only(path: Path, **options: Any) -> sqlite3.Connection:
        return connect(f"file:{path}?mode=ro", uri=True, **options)

    monkeypatch.setattr("gpusim.store.db.sqlite3.connect", read_only)
    return path


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulation ran before the store was checked")

    monkeypatch.setattr("gpusim.cli.run.simulate_scenario", refuse)


def test_a_writable_store_passes_and_is_unchanged(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite") as store:
        before = store._db.execute("PRAGMA user_version").fetchone()[0]
        store.check_writable()
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == before
        assert store.last_id() == 0


def test_a_read_only_store_is_refused(read_only_store: Path) -> None:
    path = read_only_store
    with ResultStore(path) as store, pytest.raises(StoreError) as info:
        store.check_writable()
    assert str(info.value) == (
        f"{path}: cannot write to the results store: attempt to write a readonly database"
    )


def test_run_refuses_a_read_only_store_before_simulating(
    read_only_store: Path, no_simulation: None
) -> None:
    path = read_only_store
    result = CliRunner().invoke(app, ["run", str(QUICKSTART), "--store", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: {path}: cannot write to the results store: attempt to write a readonly database\n"
    )


def test_run_refuses_a_store_under_a_file_before_simulating(
    tmp_path: Path, no_simulation: None
) -> None:
    (tmp_path / "file").write_text("not a folder")
    path = tmp_path / "file" / "r.sqlite"
    result = CliRunner().invoke(app, ["run", str(QUICKSTART), "--store", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}: cannot open the results store: ")
    assert result.stderr.count("\n") == 1
