"""Ctrl-C on a real ``gpusim sweep`` (the whole process group, as a terminal sends it):
exit 130, everything finished is stored, and the same command resumes from there."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.sweep.test_cli_sweep import SCENARIO

LATENCIES = list(range(400, 1600, 50))
"""24 points of one cached trace: long enough a sweep to interrupt in the middle."""
START_TIMEOUT_S = 120.0


def stored(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    except sqlite3.OperationalError:  # the table is being created
        return 0


def gpusim_sweep(scenario: Path, store: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gpusim",
            "sweep",
            str(scenario),
            "--jobs",
            "2",
            "--store",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_ctrl_c_keeps_finished_points_and_a_rerun_resumes(tmp_path: Path) -> None:
    scenario = tmp_path / "long.toml"
    scenario.write_text(SCENARIO + f'"gpu.dram.latency_cycles" = {LATENCIES}\n')
    store = tmp_path / "results.sqlite"
    process = gpusim_sweep(scenario, store)
    deadline = time.monotonic() + START_TIMEOUT_S
    while stored(store) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    finished = stored(store)
    assert process.returncode == 130, stderr
    assert 2 <= finished < len(LATENCIES)
    assert stderr.endswith(
        f"interrupted: {finished} points finished and stored; run the same command again to resume\n"
    )
    assert "Traceback" not in stderr

    rerun = gpusim_sweep(scenario, store)
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert (
        f"{len(LATENCIES)} points: {len(LATENCIES)} ok, 0 failed; {finished} found in the store"
        in " ".join(stdout.split())
    )
    assert stored(store) == len(LATENCIES)
