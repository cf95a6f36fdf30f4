"""Speed of the collective simulator itself (not a test): wall time of the issue's sweeps.

Goals (issues 5 and 17): the full 8 B to 8 GiB all-reduce sweep on 8 GPUs in <= 5 s, with
the ring forced and with NCCL's tuner choosing (NVLS on H100/H200); a 1 GiB all-reduce on 64
GPUs (8 nodes) in <= 10 s and on 256 GPUs (32 nodes) in <= 60 s. Run: ``.venv/bin/python bench/bench_collectives.py``.

Beside the wall time it prints this process's CPU time: on a shared machine the wall time
grows with the other processes' load, the CPU time does not (the simulator is one thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gpusim.collectives import CollectiveResult, simulate_collective, sweep_collective
from gpusim.spec import SystemSpec, system_preset
from gpusim.workload import AllreduceWorkload

SWEEP_SIZES = [8 << i for i in range(31)]  # 8 B .. 8 GiB, doubling
GIB = 1 << 30


def _timed(
    run: Callable[[], list[CollectiveResult]],
) -> tuple[float, float, list[CollectiveResult]]:
    """Wall and CPU seconds of ``run``, and its results."""
    start, start_cpu = time.perf_counter(), time.process_time()
    results = run()
    return time.perf_counter() - start, time.process_time() - start_cpu, results


def _sweep(system: SystemSpec, algo: str) -> Callable[[], list[CollectiveResult]]:
    workload = AllreduceWorkload(size_bytes=8, algo=algo)
    return lambda: sweep_collective(system, workload, SWEEP_SIZES)


def _one(system: SystemSpec, size_bytes: int) -> Callable[[], list[CollectiveResult]]:
    return lambda: [simulate_collective(system, AllreduceWorkload(size_bytes=size_bytes))]


def main() -> None:
    sixty_four = system_preset("8xH100-NVSwitch").with_overrides({"nodes": 8})
    cases: list[tuple[str, Callable[[], list[CollectiveResult]], float | None]] = [
        (f"sweep 8B-8G ring, {name}", _sweep(system_preset(name), "ring"), 5.0)
        for name in (
            "8xH100-NVSwitch",
            "8xH200-NVSwitch",
            "8xA100-NVSwitch",
            "8xV100-NVLink-Mesh",
            "8xH100-PCIe",
        )
    ]
    cases += [
        (f"sweep 8B-8G auto (tuner), {name}", _sweep(system_preset(name), "auto"), 5.0)
        for name in ("8xH100-NVSwitch", "8xH200-NVSwitch", "8xA100-NVSwitch")
    ]
    tree = _sweep(system_preset("8xH100-NVSwitch"), "tree")
    cases.append(("sweep 8B-8G tree, 8xH100-NVSwitch (no goal)", tree, None))
    cases.append(("1 GiB ring, 64 x H100 (8 nodes), auto", _one(sixty_four, GIB), 10.0))
    simple = sixty_four.with_overrides({"collective.protocol": "simple"})
    cases.append(("1 GiB ring, 64 x H100 (8 nodes), simple", _one(simple, GIB), 10.0))
    many = system_preset("8xH100-NVSwitch").with_overrides({"nodes": 32})
    cases.append(("1 GiB, 256 x H100 (32 nodes), auto", _one(many, GIB), 60.0))
    print(
        f"{'case':<48} {'wall s':>7} {'cpu s':>7} {'goal s':>7} {'messages':>9} {'busbw GB/s':>11}"
    )
    for label, run, goal_s in cases:
        wall_s, cpu_s, results = _timed(run)
        messages = sum(result.messages for result in results)  # of the reported protocols
        busbw = results[-1].busbw_bytes_per_s / 1e9  # at the largest size
        goal = "-" if goal_s is None else f"{goal_s:.1f}"
        verdict = "  OVER GOAL" if goal_s is not None and wall_s > goal_s else ""
        print(
            f"{label:<48} {wall_s:7.2f} {cpu_s:7.2f} {goal:>7} {messages:9d} {busbw:11.1f}{verdict}"
        )


if __name__ == "__main__":
    main()
