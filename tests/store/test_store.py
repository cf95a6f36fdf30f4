"""The results store: records round-trip whole, writes are transactions, bad files are
one-line errors."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from gpusim import __version__
from gpusim.errors import ScenarioError
from gpusim.scenario import scenario_from_dict
from gpusim.store import (
    SCHEMA_VERSION,
    NewRecord,
    ResultStore,
    StoreError,
    default_store_path,
    scenario_hash,
)

KERNEL_RECORD = NewRecord(
    kind="sweep-point",
    status="ok",
    error=None,
    scenario="l2",
    source="l2.toml",
    scenario_hash="a" * 64,
    point={"gpu.l2.size_bytes": 52428800},
    mode="fast",
    spec={"name": "H100-SXM5-80GB", "l2": {"size_bytes": 52428800}},
    workload={"kind": "gemm", "kernel": "gemm_naive", "m": 256, "n": 256, "k": 256},
    metrics={"time_s": 1.5e-5, "stall_fractions": {"barrier": 0.25, "long_scoreboard": 0.75}},
    wall_s=0.5,
)
ERROR_RECORD = replace(
    KERNEL_RECORD,
    status="error",
    error="l2.toml: gpu.overrides.l2.size_bytes: must be > 0, got -1",
    scenario_hash="b" * 64,
    point={"gpu.l2.size_bytes": -1},
    spec=None,
    workload=None,
    metrics=None,
    wall_s=0.0,
)


def test_a_record_reads_back_as_it_was_written(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_id = store.add(KERNEL_RECORD)
        stored = store.get(run_id)
    assert stored.id == run_id == 1
    fields = {name: getattr(stored, name) for name in NewRecord.__dataclass_fields__}
    assert NewRecord(**fields) == KERNEL_RECORD
    assert stored.gpusim_version == __version__
    assert stored.created_utc.endswith("+00:00")
    assert stored.hardware_name == "H100-SXM5-80GB"


def test_records_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store:
        store.add(KERNEL_RECORD)
        store.add(ERROR_RECORD)
    with ResultStore(path) as store:
        assert [record.id for record in store.all()] == [1, 2]
        assert [record.id for record in store.latest(1)] == [2]
        assert [record.status for record in store.latest()] == ["error", "ok"]
        assert store.get(2).error == ERROR_RECORD.error


def test_find_done_takes_only_successful_records_of_this_version(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite") as store:
        assert store.find_done(KERNEL_RECORD.scenario_hash) is None
        first = store.add(KERNEL_RECORD)
        store.add(ERROR_RECORD)
        assert store.find_done(ERROR_RECORD.scenario_hash) is None
        found = store.find_done(KERNEL_RECORD.scenario_hash)
        assert found is not None and found.id == first
        newer = store.add(KERNEL_RECORD)
        assert store.find_done(KERNEL_RECORD.scenario_hash).id == newer  # type: ignore[union-attr]


def test_another_versions_records_are_not_reused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store:
        store.add(KERNEL_RECORD)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE records SET gpusim_version = '0.0.1'")
    with ResultStore(path) as store:
        assert store.find_done(KERNEL_RECORD.scenario_hash) is None


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.add(KERNEL_RECORD)
        with pytest.raises(StoreError, match="cannot write to the results store"):
            store.add(replace(KERNEL_RECORD, kind="bogus"))  # type: ignore[arg-type]
        assert len(store.all()) == 1


def test_an_unknown_id_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store, pytest.raises(StoreError) as caught:
        store.get(7)
    assert str(caught.value) == f"{path}: no record with id 7"


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_text("not a database, just text that is long enough to be read as a header\n" * 20)
    with pytest.raises(StoreError, match=r"r\.sqlite: cannot open the results store: "):
        ResultStore(path)


def test_a_store_from_a_newer_gpusim_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError) as caught:
        ResultStore(path)
    assert str(caught.value) == (
        f"{path}: written by a newer gpusim "
        f"(store schema {SCHEMA_VERSION + 1}; this gpusim reads {SCHEMA_VERSION})"
    )


def test_the_schema_version_is_stamped(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    ResultStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_the_default_store_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPUSIM_STORE", str(tmp_path / "mine.sqlite"))
    assert default_store_path() == tmp_path / "mine.sqlite"
    monkeypatch.delenv("GPUSIM_STORE")
    monkeypatch.setenv("GPUSIM_CACHE_DIR", str(tmp_path / "cache"))
    assert default_store_path() == tmp_path / "cache" / "results.sqlite"


def test_a_resolved_scenario_holding_inf_has_no_hash_but_a_one_line_error() -> None:
    document = {
        "schema_version": 1,
        "gpu": {"preset": "H100-SXM5-80GB"},
        "workload": {"kind": "gemm", "kernel": "gemm_naive", "m": 256, "n": 256, "k": 256},
    }
    loaded = scenario_from_dict(document, source="small.toml")
    dram = loaded.gpu.dram.model_copy(update={"bandwidth_bytes_per_s": math.inf})
    broken = replace(loaded, hardware=loaded.gpu.model_copy(update={"dram": dram}))
    with pytest.raises(ScenarioError) as caught:
        scenario_hash(broken, "fast")
    assert str(caught.value) == (
        "small.toml: gpu.dram.bandwidth_bytes_per_s: must be a finite number, got inf"
    )
