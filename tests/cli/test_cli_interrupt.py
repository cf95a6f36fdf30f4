"""Ctrl-C on the long commands (the whole process group, as a terminal sends it): each ends
promptly with the one line ``interrupted`` and exit code 130, no traceback, and nothing
written (no record stored, no report, no trace file). A sweep's Ctrl-C, which also says what
was stored, is tests/sweep/test_interrupt.py's.

Each command is struck once it has spent ``BUSY_CPU_S`` of CPU time, well past its imports,
in work that takes tens of seconds; a fresh cache makes ``run`` build its trace first.
``run --detailed`` is struck later, inside the engine's first wave of CTAs: in detailed mode
they all finish together, tens of CPU seconds in, and the jitted loop hands the interpreter
back (to see Ctrl-C) between its chunks of work, not only at CTA completions.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import FOREGROUND_JOB

REPOSITORY = Path(__file__).parents[2]
BUSY_CPU_S = 2.0
STOP_WITHIN_S = 5.0
"""Ctrl-C to exit, on a loaded 2-core machine (about 2 s measured with load 9)."""
START_TIMEOUT_S = 120.0
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
BIG_GEMM = """
schema_version = 1
name = "big"
[gpu]
preset = "H100-SXM5-80GB"
[workload]
kind = "gemm"
kernel = "gemm_naive"
m = 4096
n = 4096
k = 4096
"""

WIDE_GEMM = BIG_GEMM.replace("gemm_naive", "gemm_smem_tiled_32").replace("4096", "2048")
"""A detailed run whose first CTAs complete after about 25 CPU seconds of simulation."""
ENGINE_CPU_S = 8.0
"""CPU time by which ``run --detailed`` of ``WIDE_GEMM`` is in the engine (its imports and
trace take about 3 s)."""

COMMANDS = {
    "run": ["run", "{folder}/big.toml", "--store", "{folder}/r.sqlite", "--html", "{folder}/r.html"],
    "run --detailed": ["run", "{folder}/wide.toml", "--detailed", "--store", "{folder}/r.sqlite",
                       "--html", "{folder}/r.html"],
    "trace": ["trace", "gemm_naive", "--size", "4096x4096x4096", "--out", "{folder}/t.npz"],
    "collective": ["collective", "allreduce", "--system", "8xH100-NVSwitch", "--nodes", "32",
                   "--sizes", "8:1G"],
    "accuracy-table": ["validate", "accuracy-table"],
}  # fmt: skip
"""Each command, as a user types it, at a size that takes tens of seconds."""
STRIKE_CPU_S = {"run --detailed": ENGINE_CPU_S}
"""Where a command is struck later than ``BUSY_CPU_S``."""


TINY_GEMM = BIG_GEMM.replace("4096", "64")


@pytest.fixture(scope="module")
def compiled_engine(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The engine's machine-code folder, compiled first by one tiny run: on a fresh checkout
    the one-time compile (a minute, in LLVM, where Ctrl-C waits) must not be what is struck."""
    folder = tmp_path_factory.mktemp("warm")
    (folder / "tiny.toml").write_text(TINY_GEMM)
    command = [sys.executable, "-m", "gpusim", "run", str(folder / "tiny.toml")]
    subprocess.run([*command, "--store", str(folder / "r.sqlite")], check=True, timeout=900)
    from gpusim.hw.sm.engine_cache import engine_cache_dir

    return str(engine_cache_dir())


def cpu_s(pid: int) -> float:
    """User and system seconds ``pid`` has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def records_in(store: Path) -> int:
    if not store.exists():
        return 0
    with sqlite3.connect(store) as db:
        return int(db.execute("SELECT COUNT(*) FROM records").fetchone()[0])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("name", list(COMMANDS))
def test_ctrl_c_ends_a_long_command_with_one_line_and_exit_130(
    name: str, tmp_path: Path, compiled_engine: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "big.toml").write_text(BIG_GEMM)
    (folder / "wide.toml").write_text(WIDE_GEMM)
    before = files_in(folder)
    args = [arg.format(folder=folder) for arg in COMMANDS[name]]
    process = subprocess.Popen(
        [sys.executable, "-m", "gpusim", *args],
        cwd=REPOSITORY,
        env={
            **os.environ,
            "GPUSIM_CACHE_DIR": str(tmp_path / "cache"),
            "NUMBA_CACHE_DIR": compiled_engine,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **FOREGROUND_JOB,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while cpu_s(process.pid) < STRIKE_CPU_S.get(name, BUSY_CPU_S) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    struck_s = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - struck_s < STOP_WITHIN_S
    assert process.returncode == 130, stderr
    assert stderr.endswith("interrupted\n") and "Traceback" not in stderr, stderr
    assert records_in(folder / "r.sqlite") == 0
    assert [name for name in files_in(folder) if name != "r.sqlite"] == before
