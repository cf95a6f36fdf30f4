"""Claims: a point claimed by a live sweep is not claimed by another; storing it or stopping
ends the claim; a claim whose process is gone, or that is too old, is taken over."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from gpusim.store import ResultStore
from gpusim.store.claims import CLAIM_STALE_S, Claimant
from tests.store.test_store import KERNEL_RECORD

HASH = KERNEL_RECORD.scenario_hash


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(ended.stdout)


def test_a_live_claim_keeps_the_point_from_another_sweep(tmp_path: Path) -> None:
    first, second = Claimant.this_process(), Claimant.this_process()
    with ResultStore(tmp_path / "r.sqlite") as store:
        assert store.claim([HASH, HASH], first, after_id=0) == {HASH}
        assert store.claim([HASH], first, after_id=0) == {HASH}, "a claim is its owner's"
        assert store.claim([HASH], second, after_id=0) == set()


def test_storing_the_point_ends_its_claim_and_its_record_is_what_others_get(
    tmp_path: Path,
) -> None:
    first, second = Claimant.this_process(), Claimant.this_process()
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.claim([HASH], first, after_id=0)
        run_id = store.add(KERNEL_RECORD, claimant=first)
        assert store.claim([HASH], second, after_id=0) == set(), "stored since the sweep began"
        found = store.find_since(HASH, 0)
        assert found is not None and found.id == run_id
        assert store.find_since(HASH, run_id) is None
        assert store.claim([HASH], second, after_id=run_id) == {HASH}


def test_a_stopped_sweep_releases_its_claims(tmp_path: Path) -> None:
    first, second = Claimant.this_process(), Claimant.this_process()
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.claim([HASH, "c" * 64], first, after_id=0)
        store.release(first)
        assert store.claim([HASH, "c" * 64], second, after_id=0) == {HASH, "c" * 64}


def test_the_claim_of_a_process_that_is_gone_is_taken_over(tmp_path: Path) -> None:
    killed = replace(Claimant.this_process(), pid=dead_pid())
    with ResultStore(tmp_path / "r.sqlite") as store:
        assert store.claim([HASH], killed, after_id=0) == {HASH}
        assert store.claim([HASH], Claimant.this_process(), after_id=0) == {HASH}


def test_a_claim_older_than_the_bound_is_taken_over_from_any_host(tmp_path: Path) -> None:
    elsewhere = replace(Claimant.this_process(), host="another-host")
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store:
        store.claim([HASH], elsewhere, after_id=0)
        assert store.claim([HASH], Claimant.this_process(), after_id=0) == set()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE claims SET claimed_unix_s = ?", (time.time() - CLAIM_STALE_S - 1,))
    with ResultStore(path) as store:
        assert store.claim([HASH], Claimant.this_process(), after_id=0) == {HASH}
