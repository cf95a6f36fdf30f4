"""Two ``gpusim sweep`` processes of one file on one store at the same time: each point is
simulated once (the two split them), so the store holds one record per point."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

SIXTEEN_POINTS = """
schema_version = 1
name = "shared"
[system]
preset = "8xH100-NVSwitch"
overrides = { nodes = 4 }
[workload]
kind = "allreduce"
size_bytes = 1048576
[sweep.axes]
"workload.size_bytes" = { start = 1024, stop = 33554432, factor = 2 }
"""
"""16 all-reduces over 32 GPUs: a few seconds in all, no engine to compile."""


def test_two_sweeps_sharing_a_store_simulate_each_point_once(tmp_path: Path) -> None:
    scenario = tmp_path / "shared.toml"
    scenario.write_text(SIXTEEN_POINTS)
    store = tmp_path / "results.sqlite"
    command = [sys.executable, "-m", "gpusim", "sweep", str(scenario), "-j", "1", "--json",
               "--store", str(store)]  # fmt: skip
    sweeps = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in sweeps]
    assert [process.returncode for process in sweeps] == [0, 0], outputs
    with sqlite3.connect(store) as db:
        records, simulations = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT scenario_hash) FROM records"
        ).fetchone()
        claims = db.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
    assert (records, simulations, claims) == (16, 16, 0)
