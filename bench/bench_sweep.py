"""Speed of sweeps (not a test): one 100-point sweep of the quickstart scenario, run in one
process, on a two-process pool and on a two-worker Dask LocalCluster.

The quickstart (a 1024^3 tiled fp32 GEMM on an H100) is swept over 100 L2 sizes (whole
numbers of 160 KiB sets, 34.5 to 50 MiB), so every point shares one cached trace and costs
the same. Each run writes to a fresh results store, so nothing is reused. Run:
``.venv/bin/python bench/bench_sweep.py [--points N]``.

Measured on the 2-core development machine (traces cached, engine compiled):

    runner                                           wall s  s/point  speed-up  failed
    one process (--jobs 1)                            172.7     1.73     1.00x       0
    process pool (--jobs 2)                            83.9     0.84     2.06x       0
    Dask LocalCluster, 2 workers (+1.1 s start)        89.5     0.89     1.93x       0
    identical records from every runner: True
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from distributed import LocalCluster

from gpusim.scenario import load_scenario
from gpusim.sweeps import SweepResult, sweep

QUICKSTART = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.toml"
L2_SET_BYTES = 163840
"""One set of the H100's L2 (80 slices x 16 ways x 128 B): sizes must be whole sets."""
LARGEST_SETS = 320
"""The H100's 50 MiB."""


def l2_axis(points: int) -> dict[str, list[int]]:
    """``points`` L2 sizes, one set apart, ending at the H100's own."""
    first = LARGEST_SETS - points + 1
    return {"gpu.l2.size_bytes": [sets * L2_SET_BYTES for sets in range(first, LARGEST_SETS + 1)]}


def timed(run: Callable[[Path], SweepResult]) -> tuple[float, SweepResult]:
    """Wall seconds of one sweep into a fresh store, and its result."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = run(Path(folder) / "results.sqlite")
        return time.perf_counter() - start, result


def comparable(result: SweepResult) -> list[dict[str, object]]:
    """The rows without the store ids (each run has its own store)."""
    return [{k: v for k, v in row.items() if k != "run_id"} for row in result.rows()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100, help="sweep points (default 100)")
    points = parser.parse_args().points
    scenario = load_scenario(QUICKSTART)
    axes = l2_axis(points)

    def on_pool(jobs: int) -> Callable[[Path], SweepResult]:
        return lambda store: sweep(scenario, axes, jobs=jobs, store=store)

    print(f"{points}-point sweep of {QUICKSTART.name} on {os.cpu_count()} CPU cores")
    runs = [
        ("one process (--jobs 1)", *timed(on_pool(1))),
        ("process pool (--jobs 2)", *timed(on_pool(2))),
    ]
    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        started_s = time.perf_counter() - start
        address = cluster.scheduler_address
        on_dask = timed(lambda store: sweep(scenario, axes, scheduler=address, store=store))
        runs.append((f"Dask LocalCluster, 2 workers (+{started_s:.1f} s start)", *on_dask))
    serial_s = runs[0][1]
    print(f"{'runner':<46} {'wall s':>8} {'s/point':>8} {'speed-up':>9} {'failed':>7}")
    for label, wall_s, result in runs:
        print(
            f"{label:<46} {wall_s:8.1f} {wall_s / points:8.2f} {serial_s / wall_s:8.2f}x "
            f"{len(result.failed):7d}"
        )
    same = all(comparable(result) == comparable(runs[0][2]) for _, _, result in runs)
    print(f"identical records from every runner: {same}")


if __name__ == "__main__":  # the pool's spawned workers import this file
    main()
