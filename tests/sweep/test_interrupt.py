"""Ctrl-C on a real ``gpusim sweep`` (the whole process group, as a terminal sends it):
exit 130 within a second or so even with every worker busy, everything finished is stored,
and the same command resumes from there; a parent killed outright takes its workers (and
multiprocessing's resource tracker) with it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sweep.test_cli_sweep import SCENARIO
from tests.terminal import FOREGROUND_JOB

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


def gpusim_sweep(scenario: Path, store: Path, *options: str) -> subprocess.Popen[str]:
    """``gpusim sweep SCENARIO --jobs 2`` (or as ``options`` say) as a terminal's foreground
    job."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gpusim",
            "sweep",
            str(scenario),
            *(options or ("--jobs", "2")),
            "--store",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **FOREGROUND_JOB,
    )


@pytest.fixture(scope="module", autouse=True)
def engine_compiled_for_this_checkout(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One point simulated first, so the timed sweeps meet workers in the jitted loop, not
    in the engine's one-time compile (a fresh checkout compiles it once, for its own path)."""
    folder = tmp_path_factory.mktemp("warm")
    scenario = folder / "one.toml"
    scenario.write_text(SCENARIO + '"gpu.dram.latency_cycles" = [400]\n')
    command = [sys.executable, "-m", "gpusim", "sweep", str(scenario), "--jobs", "1"]
    subprocess.run([*command, "--store", str(folder / "r.sqlite")], check=True, timeout=900)


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


BUSY_SCENARIO = """
schema_version = 1
name = "busy"
[gpu]
preset = "H100-SXM5-80GB"
[workload]
kind = "gemm"
kernel = "gemm_smem_tiled_16"
m = 2048
n = 2048
k = 2048
[sweep.axes]
"gpu.dram.latency_cycles" = [600, 700, 800, 900]
"""
"""Points of seconds each (a 2048^3 GEMM): a worker stopped early is visibly not waited for."""
BUSY_CPU_S = 4.0
"""CPU seconds each worker has spent before the test strikes: well into its first point."""
STOP_WITHIN_S = 3.0
"""The bound on stopping (about 1 s measured on a loaded 2-core machine; a point takes 10)."""
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name, or ``None`` once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return None if fields[0] == "Z" else fields  # a zombie is gone but for its exit code


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        stat = proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None and int(stat[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_s(pid: int) -> float:
    stat = proc_stat(pid)
    return 0.0 if stat is None else (int(stat[11]) + int(stat[12])) / CLOCK_TICKS_PER_S


def busy_sweep(tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """A ``--jobs 2`` sweep whose two workers are both deep in a point; its child processes
    (the workers and the resource tracker)."""
    scenario = tmp_path / "busy.toml"
    scenario.write_text(BUSY_SCENARIO)
    process = gpusim_sweep(scenario, tmp_path / "results.sqlite")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if sum(cpu_s(pid) >= BUSY_CPU_S for pid in children(process.pid)) == 2:
            return process, children(process.pid)
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the workers never got busy: {process.communicate()[1]}")


def still_alive(pids: list[int], within_s: float) -> list[int]:
    """Those of ``pids`` still running ``within_s`` seconds from now (sooner if none is)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and any(proc_stat(pid) is not None for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if proc_stat(pid) is not None]


@needs_proc
def test_ctrl_c_stops_busy_workers_at_once(tmp_path: Path) -> None:
    process, workers = busy_sweep(tmp_path)
    struck_s = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - struck_s < STOP_WITHIN_S
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert still_alive(workers, STOP_WITHIN_S) == []


@needs_proc
def test_a_killed_sweep_takes_its_workers_with_it(tmp_path: Path) -> None:
    process, workers = busy_sweep(tmp_path)
    assert len(workers) == 3, "two workers and the resource tracker"
    process.kill()
    process.wait()
    assert still_alive(workers, STOP_WITHIN_S) == []


ENGINE_CPU_S = 8.0
"""CPU time by which a serial sweep of ``BUSY_SCENARIO`` is in the engine, in its first
point (imports, plan and the 2048^3 trace take about 3 s)."""


@needs_proc
def test_ctrl_c_stops_a_serial_detailed_sweep_inside_the_engine(tmp_path: Path) -> None:
    """In this process, in detailed mode, a point's CTAs all complete together after tens of
    CPU seconds: Ctrl-C is seen between the jitted loop's chunks of work, not only there."""
    scenario = tmp_path / "busy.toml"
    scenario.write_text(BUSY_SCENARIO)
    store = tmp_path / "results.sqlite"
    process = gpusim_sweep(scenario, store, "--jobs", "1", "--detailed")
    deadline = time.monotonic() + START_TIMEOUT_S
    while cpu_s(process.pid) < ENGINE_CPU_S and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    struck_s = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - struck_s < STOP_WITHIN_S
    assert process.returncode == 130, stderr
    assert stderr.endswith(
        "interrupted: 0 points finished and stored; run the same command again to resume\n"
    )
    assert stored(store) == 0
