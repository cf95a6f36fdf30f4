"""The results store: one SQLite file holding every stored run and sweep point.

SQLite because it ships with Python, needs no server, and makes every write one
transaction: a record is in the file whole or not at all, so a sweep killed at any moment
leaves every finished point readable. Within a sweep one process writes (its parent process,
never its workers); several sweeps and runs may share a store, a writer waiting up to
``LOCK_TIMEOUT_S`` for another's transaction to end, and the ``claims`` table keeps two
sweeps from simulating one point (``gpusim.store.claims``).

The schema version is SQLite's ``user_version``; a file written by a newer gpusim is refused
rather than misread, and an older one gains the tables it lacks.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from gpusim import __version__
from gpusim.cache import cache_dir
from gpusim.errors import GpusimError
from gpusim.store.claims import Claim, Claimant
from gpusim.store.records import NewRecord, StoredRecord

SCHEMA_VERSION = 2
"""1: records; 2: and claims."""
STORE_ENV = "GPUSIM_STORE"
LOCK_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('run', 'sweep-point')),
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error TEXT,
    scenario TEXT NOT NULL,
    source TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    point TEXT NOT NULL,
    mode TEXT NOT NULL,
    spec TEXT,
    workload TEXT,
    metrics TEXT,
    wall_s REAL NOT NULL,
    gpusim_version TEXT NOT NULL,
    created_utc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_hash ON records (scenario_hash, status, gpusim_version);
CREATE TABLE IF NOT EXISTS claims (
    scenario_hash TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    claimed_unix_s REAL NOT NULL
);
"""

_COLUMNS = (
    "kind, status, error, scenario, source, scenario_hash, point, mode, spec, workload, "
    "metrics, wall_s, gpusim_version, created_utc"
)


class StoreError(GpusimError):
    """The results store cannot be opened, read or written, or has no such record."""


def default_store_path() -> Path:
    """``$GPUSIM_STORE``, else ``results.sqlite`` in gpusim's cache folder."""
    explicit = os.environ.get(STORE_ENV)
    return Path(explicit) if explicit else cache_dir() / "results.sqlite"


class ResultStore:
    """An open results store. Use as a context manager, or ``close()`` it."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_S)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"{self.path}: cannot open the results store: {err}") from None
        self._db.row_factory = sqlite3.Row
        try:
            self._migrate()
        except sqlite3.Error as err:
            self._db.close()
            raise StoreError(f"{self.path}: cannot open the results store: {err}") from None
        except StoreError:
            self._db.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (every record added is already committed)."""
        self._db.close()

    def add(self, record: NewRecord, *, claimant: Claimant | None = None) -> int:
        """Store ``record`` in one transaction, stamped with this gpusim and the UTC date,
        ending ``claimant``'s claim on its simulation; its id."""
        values = (
            record.kind,
            record.status,
            record.error,
            record.scenario,
            record.source,
            record.scenario_hash,
            json.dumps(record.point),
            record.mode,
            _json_or_none(record.spec),
            _json_or_none(record.workload),
            _json_or_none(record.metrics),
            record.wall_s,
            __version__,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        placeholders = ", ".join("?" * len(values))
        try:
            with self._db:  # one transaction: committed on success, rolled back on error
                cursor = self._db.execute(
                    f"INSERT INTO records ({_COLUMNS}) VALUES ({placeholders})", values
                )
                if claimant is not None:
                    self._db.execute(
                        "DELETE FROM claims WHERE scenario_hash = ? AND owner = ?",
                        (record.scenario_hash, claimant.token),
                    )
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot write to the results store: {err}") from None
        assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
        return cursor.lastrowid

    def check_writable(self) -> None:
        """StoreError unless a record could be added now (nothing is changed): a read-only
        file, folder or mount is reported before a simulation runs, not after it."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
                self._db.execute(f"PRAGMA user_version = {version}")  # a write, rolled back
            finally:
                self._db.rollback()
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot write to the results store: {err}") from None

    def find_done(self, scenario_hash: str) -> StoredRecord | None:
        """The latest successful record of this simulation by this gpusim version, if any.

        Another version's records are not reused: the engine may have changed since.
        """
        row = self._query_one(
            "SELECT * FROM records WHERE scenario_hash = ? AND status = 'ok' "
            "AND gpusim_version = ? ORDER BY id DESC LIMIT 1",
            (scenario_hash, __version__),
        )
        return None if row is None else _record(row)

    def find_since(self, scenario_hash: str, after_id: int) -> StoredRecord | None:
        """The latest record (ok or error) of this simulation by this gpusim version with an
        id above ``after_id``: what another sweep stored since ``after_id`` was the last."""
        row = self._query_one(
            "SELECT * FROM records WHERE scenario_hash = ? AND gpusim_version = ? AND id > ? "
            "ORDER BY id DESC LIMIT 1",
            (scenario_hash, __version__, after_id),
        )
        return None if row is None else _record(row)

    def last_id(self) -> int:
        """The id of the newest record (0 for an empty store)."""
        row = self._query_one("SELECT COALESCE(MAX(id), 0) FROM records", ())
        assert row is not None  # an aggregate always gives a row
        return int(row[0])

    def claim(self, hashes: Iterable[str], claimant: Claimant, *, after_id: int) -> set[str]:
        """Claim the simulations of ``hashes`` for ``claimant``, in one transaction; those it
        now holds. A hash is not claimed while another owner's live claim holds it, nor once
        a record of it newer than ``after_id`` exists (``find_since`` gives it)."""
        claimed = set()
        with self._immediate():
            for scenario_hash in dict.fromkeys(hashes):
                if self.find_since(scenario_hash, after_id) is not None:
                    continue
                if not _takeable(self._claim_of(scenario_hash), claimant):
                    continue
                self._db.execute(
                    "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                    (scenario_hash, claimant.token, claimant.pid, claimant.host, time.time()),
                )
                claimed.add(scenario_hash)
        return claimed

    def release(self, claimant: Claimant) -> None:
        """End every claim ``claimant`` still holds (its sweep stops)."""
        with self._immediate():
            self._db.execute("DELETE FROM claims WHERE owner = ?", (claimant.token,))

    def get(self, record_id: int) -> StoredRecord:
        """The record with id ``record_id``; StoreError naming it if there is none."""
        row = self._query_one("SELECT * FROM records WHERE id = ?", (record_id,))
        if row is None:
            raise StoreError(f"{self.path}: no record with id {record_id}")
        return _record(row)

    def latest(self, limit: int | None = None) -> list[StoredRecord]:
        """The newest ``limit`` records (all when ``None``), newest first."""
        sql = "SELECT * FROM records ORDER BY id DESC"
        rows = self._query(sql + " LIMIT ?", (limit,)) if limit is not None else self._query(sql)
        return [_record(row) for row in rows]

    def all(self) -> list[StoredRecord]:
        """Every record, oldest first."""
        return [_record(row) for row in self._query("SELECT * FROM records ORDER BY id")]

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer gpusim (store schema {version}; "
                f"this gpusim reads {SCHEMA_VERSION})"
            )
        if version < SCHEMA_VERSION:
            # IMMEDIATE takes the write lock first, so two processes creating one store
            # at once take turns; IF NOT EXISTS makes the second a no-op.
            self._db.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;"
            )

    @contextlib.contextmanager
    def _immediate(self) -> Iterator[None]:
        """One write transaction, its lock taken at the start (so what it reads stays true
        until it commits); rolled back on any error."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot write to the results store: {err}") from None

    def _claim_of(self, scenario_hash: str) -> Claim | None:
        row = self._query_one(
            "SELECT owner, pid, host, claimed_unix_s FROM claims WHERE scenario_hash = ?",
            (scenario_hash,),
        )
        return None if row is None else Claim(*row)

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> Iterator[sqlite3.Row]:
        try:
            yield from self._db.execute(sql, parameters)
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot read the results store: {err}") from None

    def _query_one(self, sql: str, parameters: tuple[Any, ...]) -> sqlite3.Row | None:
        return next(self._query(sql, parameters), None)


def _takeable(held: Claim | None, claimant: Claimant) -> bool:
    """Whether ``claimant`` may hold a simulation now claimed as ``held``."""
    return held is None or held.owner == claimant.token or held.is_stale(time.time(), claimant.host)


def _json_or_none(data: dict[str, Any] | None) -> str | None:
    return None if data is None else json.dumps(data)


def _loads_or_none(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


def _record(row: sqlite3.Row) -> StoredRecord:
    return StoredRecord(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        error=row["error"],
        scenario=row["scenario"],
        source=row["source"],
        scenario_hash=row["scenario_hash"],
        point=json.loads(row["point"]),
        mode=row["mode"],
        spec=_loads_or_none(row["spec"]),
        workload=_loads_or_none(row["workload"]),
        metrics=_loads_or_none(row["metrics"]),
        wall_s=row["wall_s"],
        gpusim_version=row["gpusim_version"],
        created_utc=row["created_utc"],
    )
