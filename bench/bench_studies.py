"""Time of every study the README lists (not a test): each ``gpusim sweep`` command of the
README's study table, run as a user runs it (``--jobs 2``), first on a fresh cache (its
traces and compiled kernels built anew), then again with that cache warm; every run writes a
fresh results store, so no point is reused. Prints the README's time beside wall clock and
CPU time (user + sys of the command and its workers) of both runs.

The engine's machine code is compiled once before timing (``gpusim run`` of the quick
start) and shared by every run: it is the one-time compile the README announces apart, not
a study's cost. The README's times are the warm run's CPU time (user + sys of the command
and its workers), which a busy machine inflates far less than the wall clock; the load
average, printed before and after, says how busy this machine was. Run: ``.venv/bin/python bench/bench_studies.py [--only NAME ...] [--jobs N]``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from timing import Timed, run_timed

from gpusim.hw.sm.engine_cache import engine_cache_dir

REPOSITORY = Path(__file__).resolve().parents[1]
STUDY_ROW = re.compile(r"^\| ([^|]+) \| `gpusim sweep (scenarios/\S+\.toml)` \| (\d+) s \|$", re.M)


@dataclass(frozen=True)
class Study:
    """One row of the README's study table."""

    title: str
    scenario: str
    readme_s: int


def readme_studies() -> list[Study]:
    text = (REPOSITORY / "README.md").read_text()
    return [Study(title, path, int(s)) for title, path, s in STUDY_ROW.findall(text)]


def timed(command: list[str], environment: dict[str, str]) -> Timed:
    """Run ``command`` to the end; a failure other than failed points (exit 1, shown in the
    sweep's table) shows its stderr."""
    done = run_timed(command, environment, REPOSITORY)
    if done.exit_code not in (0, 1):
        sys.stderr.write(done.stderr)
    return done


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="scenario names (e.g. hbm_bandwidth_copy)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes per sweep")
    arguments = parser.parse_args()
    studies = [
        study
        for study in readme_studies()
        if not arguments.only or Path(study.scenario).stem in arguments.only
    ]
    gpusim = [sys.executable, "-m", "gpusim"]
    print(load_text(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_studies_") as folder:
        environment = {
            **os.environ,
            "NUMBA_CACHE_DIR": str(engine_cache_dir()),
            "GPUSIM_CACHE_DIR": str(Path(folder) / "cache"),
        }
        compile_run = [*gpusim, "run", "scenarios/quickstart.toml", "--store"]
        timed([*compile_run, str(Path(folder) / "compile.sqlite")], environment)
        header = f"{'study':<28} {'README':>7} {'fresh wall':>11} {'cpu':>7} {'warm wall':>10} {'cpu':>7}"
        print(header)
        for study in studies:
            name = Path(study.scenario).stem
            runs = []
            for run in ("fresh", "warm"):
                store = str(Path(folder) / f"{name}.{run}.sqlite")
                sweep = [*gpusim, "sweep", study.scenario, "--jobs", str(arguments.jobs)]
                runs.append(timed([*sweep, "--store", store], environment))
            fresh, warm = runs
            failed = "" if fresh.exit_code == warm.exit_code == 0 else "  (exit codes "
            failed += f"{fresh.exit_code}, {warm.exit_code})" if failed else ""
            print(
                f"{name:<28} {study.readme_s:>6}s {fresh.wall_s:>10.1f}s {fresh.cpu_s:>6.1f}s "
                f"{warm.wall_s:>9.1f}s {warm.cpu_s:>6.1f}s{failed}",
                flush=True,
            )
    print(load_text())


if __name__ == "__main__":
    main()
