"""Speed of the whole tool on the cases of issue 20 (not a test); prints a before/now table.

Every case is a ``gpusim`` command in a fresh subprocess under ``/usr/bin/time -v``: its wall
time, its CPU time (user + sys: the machine is shared, so wall time alone can mislead) and
its peak RSS. The cases use a private cache folder whose ``traces`` start empty, sharing the
user cache's compiled PTX, SASS and engine machine code (so nothing recompiles the engine);
"first" runs build their trace, "warm" runs find it. Results go to a temporary store.

    .venv/bin/python bench/bench_speed.py                     # every case
    .venv/bin/python bench/bench_speed.py --only copy_h100    # cases whose name has this
    .venv/bin/python bench/bench_speed.py --save now.json     # keep the figures as JSON

The "before" column is ``bench/speed_before.json``: this bench's figures at commit d25afce
(2026-12-04, before the work of issue 20's items 1-4), measured on the 2-core development
machine while other jobs kept it busy (load 5-10: wall times are inflated, CPU times much
less). ``copy_h100_first`` there includes the engine's one-time compile. Simulated times
are printed too: speed must not change results (issue 20: within 1%). To measure another
checkout, run with ``PYTHONPATH=<its root>`` (the commands run outside this folder).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from timing import run_timed

from gpusim.cache import cache_dir

ROOT = Path(__file__).resolve().parents[1]
GPUSIM = [sys.executable, "-m", "gpusim"]
BEFORE = Path(__file__).with_name("speed_before.json")
GIB = 1 << 30
SHARED_CACHE_FOLDERS = ("numba", "ptx", "sass")
"""Cache folders shared with the user's cache: compiled code, never traces."""
L2_SET_BYTES = 163840
"""One set of the H100's L2 (80 slices x 16 ways x 128 B); the sweep's L2 sizes are whole sets."""
LARGEST_L2_SETS = 320
"""The H100's 50 MiB."""


@dataclass(frozen=True)
class Measured:
    """One command: wall and CPU seconds, peak RSS, and the simulated time when it has one."""

    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    simulated_s: float | None


@dataclass(frozen=True)
class Case:
    """Rows of the table measured by one run: their names, the issue's goals, how to run."""

    rows: tuple[tuple[str, str], ...]
    """(name, goal in words) per row, in the order ``run`` returns them."""
    run: Callable[[Path], list[Measured]]


def timed(command: list[str], cache: Path) -> Measured:
    """Run ``command`` with ``cache`` as gpusim's cache folder (and its store there)."""
    env = dict(os.environ, GPUSIM_CACHE_DIR=str(cache), GPUSIM_STORE=str(cache / "store.sqlite"))
    done = run_timed(command, env, cache)
    if done.exit_code != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    simulated = re.search(r'"time_s": ([0-9.e+-]+)', done.stdout)
    return Measured(
        wall_s=done.wall_s,
        cpu_s=done.cpu_s,
        peak_rss_bytes=done.peak_rss_bytes,
        simulated_s=float(simulated.group(1)) if simulated else None,
    )


def scenario_file(cache: Path, name: str, gpu: str, workload: str, sweep: str = "") -> Path:
    """A scenario file in the bench's cache folder."""
    path = cache / f"{name}.toml"
    path.write_text(
        f'schema_version = 1\nname = "{name}"\n[gpu]\npreset = "{gpu}"\n'
        f"[workload]\n{workload}\n{sweep}"
    )
    return path


COPY_GIB = f'kind = "copy"\nsize_bytes = {GIB}'
GEMM_4096 = "m = 4096\nn = 4096\nk = 4096"


def first_and_warm(name: str, gpu: str, workload: str) -> Callable[[Path], list[Measured]]:
    """``gpusim run --json`` of one scenario twice: building its trace, then finding it."""

    def run(cache: Path) -> list[Measured]:
        command = [*GPUSIM, "run", "--json", str(scenario_file(cache, name, gpu, workload))]
        return [timed(command, cache), timed(command, cache)]

    return run


def trace_rs_step(cache: Path) -> list[Measured]:
    """The trace of one 64 Mi-element reduce-scatter step (8 ranks) built from nothing."""
    size = ["--size", str(64 << 20), "--ranks", "8", "--step", "3", "--rank", "5"]
    return [timed([*GPUSIM, "trace", "allreduce_reduce_scatter_step", *size, "--json"], cache)]


def quickstart_sweep(cache: Path) -> list[Measured]:
    """A 100-point L2-size sweep of the quickstart with --jobs 2, its trace already cached."""
    sizes = [sets * L2_SET_BYTES for sets in range(LARGEST_L2_SETS - 99, LARGEST_L2_SETS + 1)]
    workload = 'kind = "gemm"\nkernel = "gemm_smem_tiled_32"\nm = 1024\nn = 1024\nk = 1024'
    axes = f'[sweep]\n[sweep.axes]\n"gpu.l2.size_bytes" = {sizes}\n'
    path = scenario_file(cache, "quickstart_sweep", "H100-SXM5-80GB", workload, axes)
    timed([*GPUSIM, "trace", "gemm_smem_tiled_32", "--size", "1024"], cache)
    return [timed([*GPUSIM, "sweep", "--jobs", "2", str(path)], cache)]


def startup(*arguments: str) -> Callable[[Path], list[Measured]]:
    def run(cache: Path) -> list[Measured]:
        return [timed([*GPUSIM, *arguments], cache)]

    return run


COPY_GIB = f'kind = "copy"\nsize_bytes = {GIB}'
GEMM_4096 = "m = 4096\nn = 4096\nk = 4096"
FIRST, WARM = "<= 10 s, < 1 GiB", "<= 2 s"
CASES = [
    Case(
        (("copy_h100_first", FIRST), ("copy_h100_warm", WARM)),
        first_and_warm("copy", "H100-SXM5-80GB", COPY_GIB),
    ),
    Case(
        (("copy_a100_first", FIRST), ("copy_a100_warm", WARM)),
        first_and_warm("copy", "A100-SXM4-80GB", COPY_GIB),
    ),
    Case(
        (("naive_gemm_4096_first", "<= 10 s"), ("naive_gemm_4096_warm", "-")),
        first_and_warm(
            "naive", "H100-SXM5-80GB", f'kind = "gemm"\nkernel = "gemm_naive"\n{GEMM_4096}'
        ),
    ),
    Case((("rs_step_64Mi_trace", "< 1 GiB"),), trace_rs_step),
    Case((("quickstart_sweep_100_jobs2", "<= 20 s"),), quickstart_sweep),
    Case((("startup_help", "<= 0.5 s"),), startup("--help")),
    Case((("startup_presets", "<= 0.5 s"),), startup("presets")),
    Case(
        (("startup_scenario_check", "<= 0.5 s"),),
        startup("scenario", "check", str(ROOT / "scenarios" / "quickstart.toml")),
    ),
    Case(
        (("tiled16_gemm_4096_first", "-"), ("tiled16_gemm_4096_warm", "<= 10 s")),
        first_and_warm(
            "tiled16",
            "H100-SXM5-80GB",
            f'kind = "gemm"\nkernel = "gemm_smem_tiled_16"\n{GEMM_4096}',
        ),
    ),
]


def fresh_cache(under: Path) -> Path:
    """A cache folder with empty traces, sharing the user cache's compiled code."""
    cache = Path(tempfile.mkdtemp(dir=under))
    for folder in SHARED_CACHE_FOLDERS:
        shared = cache_dir() / folder
        shared.mkdir(parents=True, exist_ok=True)
        (cache / folder).symlink_to(shared)
    return cache


def cells(measured: Measured | None) -> str:
    if measured is None:
        return f"{'-':>8} {'-':>8} {'-':>9} {'-':>12}"
    simulated = f"{measured.simulated_s * 1e3:.4f}" if measured.simulated_s is not None else "-"
    return (
        f"{measured.wall_s:8.1f} {measured.cpu_s:8.1f} "
        f"{measured.peak_rss_bytes / GIB:9.2f} {simulated:>12}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name has this text")
    parser.add_argument("--save", type=Path, help="write the figures as JSON here")
    arguments = parser.parse_args()
    before = json.loads(BEFORE.read_text()) if BEFORE.exists() else {}
    measured: dict[str, Measured] = {}
    work = Path(tempfile.mkdtemp(prefix="bench_speed_"))
    try:
        for case in CASES:
            if any(arguments.only in name for name, _ in case.rows):
                for (name, _), figures in zip(case.rows, case.run(fresh_cache(work)), strict=True):
                    measured[name] = figures
                    print(f"  {name}: {cells(figures)}", file=sys.stderr)
    finally:
        shutil.rmtree(work)
    goals = dict(row for case in CASES for row in case.rows)
    heading = f"{'wall s':>8} {'cpu s':>8} {'peak GiB':>9} {'sim ms':>12}"
    print(f"{'case':28} {'goal':18} | before: {heading} | now: {heading}")
    for name, now in measured.items():
        goal = goals[name]
        then = Measured(**before[name]) if name in before else None
        print(f"{name:28} {goal:18} | {cells(then)} | {cells(now)}")
    if arguments.save:
        arguments.save.write_text(json.dumps({k: asdict(v) for k, v in measured.items()}, indent=1))


if __name__ == "__main__":
    main()
