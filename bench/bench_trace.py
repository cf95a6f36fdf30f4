"""Speed of the PTX emulator and of trace building; prints a table.

Two kinds of rows:

* ``emulate``: every CTA of a medium-size launch is emulated with the trace recorder
  attached; the rate is emulated warp-instructions (issues) per second of wall time.
* ``trace``: ``build_trace`` of a full-size launch (representative CTAs emulated, the rest
  derived, the kernel's ``make_args`` inputs included); wall time and the process's peak
  RSS, next to its RSS before the build (imports: Python, NumPy, Numba). Each trace row runs
  in a fresh subprocess so that the peak is its own.

Compiled PTX comes from the disk cache when warm (run once to warm it; the table says).

    .venv/bin/python bench/bench_trace.py            # the default table
    .venv/bin/python bench/bench_trace.py --quick    # small emulate rows only
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import (
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelParams,
    get_kernel,
)
from gpusim.cuda.ptx.emulator import PtxKernel, all_ctas
from gpusim.cuda.tracegen import CtaRecordCache, build_trace

EMULATE_CASES: list[tuple[str, KernelParams]] = [
    ("gemm_naive", GemmParams(256, 256, 256)),
    ("gemm_smem_tiled_16", GemmParams(256, 256, 256)),
    ("gemm_smem_tiled_32", GemmParams(256, 256, 256)),
    ("gemm_register_blocked_64", GemmParams(256, 256, 256)),
    ("gemm_register_blocked_128", GemmParams(256, 256, 256)),
    ("gemm_tensor_core", GemmParams(256, 256, 256)),
    ("copy", CopyParams(16 << 20)),
    ("allreduce_ring_single_device", AllreduceRingParams(1 << 20, 4, 1)),
]
QUICK_CASES = EMULATE_CASES[:3]
TRACE_CASES: list[tuple[str, KernelParams]] = [
    ("gemm_smem_tiled_32", GemmParams(4096, 4096, 4096)),
    ("gemm_naive", GemmParams(4096, 4096, 4096)),
    ("gemm_register_blocked_128", GemmParams(4096, 4096, 4096)),
    ("gemm_tensor_core", GemmParams(4096, 4096, 4096)),
    ("allreduce_reduce_scatter_step", AllreduceStepParams(64 << 20, 8, 3, 5)),
]


def emulate_row(name: str, params: KernelParams) -> dict[str, Any]:
    kernel = get_kernel(name)
    config = kernel.launch(params)
    ptx = PtxKernel(compile_ptx(kernel, params).ptx)
    launch = ptx.launch(
        list(kernel.make_args(params, np.random.default_rng(0))), config.grid, config.block
    )
    cache = CtaRecordCache(ptx, launch, record_memory=True, max_lanes_per_batch=1 << 15)
    ctas = all_ctas(config.grid)
    start = time.perf_counter()
    cache.get(ctas)
    wall = time.perf_counter() - start
    return {
        "kind": "emulate",
        "case": f"{name} {params}",
        "ctas": len(ctas),
        "warp_instructions": cache.warp_instructions,
        "wall_s": wall,
    }


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def trace_row(name: str, params: KernelParams) -> dict[str, Any]:
    compile_ptx(name, params)  # warm the PTX cache outside the measurement
    baseline = _max_rss_mib()
    start = time.perf_counter()
    trace = build_trace(name, params)
    wall = time.perf_counter() - start
    summary = trace.summary()
    return {
        "kind": "trace",
        "case": f"{name} {params}",
        "ctas": summary.ctas,
        "classes": summary.cta_classes,
        "warp_instructions": summary.total_warp_instructions,
        "wall_s": wall,
        "baseline_rss_mib": baseline,
        "max_rss_mib": _max_rss_mib(),
    }


def _in_subprocess(index: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--trace-case", str(index)],
        check=True,
        capture_output=True,
        text=True,
    )
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small emulate rows only")
    parser.add_argument("--trace-case", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.trace_case is not None:
        print(json.dumps(trace_row(*TRACE_CASES[options.trace_case])))
        return
    print(f"{'kind':8} {'case':66} {'CTAs':>7} {'warp-instr':>14} {'wall s':>8} {'winstr/s':>11}")
    for name, params in QUICK_CASES if options.quick else EMULATE_CASES:
        row = emulate_row(name, params)
        rate = row["warp_instructions"] / row["wall_s"]
        print(
            f"{row['kind']:8} {row['case']:66} {row['ctas']:7d} {row['warp_instructions']:14,d} "
            f"{row['wall_s']:8.2f} {rate:11,.0f}"
        )
    if options.quick:
        return
    print()
    print(
        f"{'kind':8} {'case':66} {'CTAs':>7} {'classes':>7} {'grid warp-instr':>16} "
        f"{'wall s':>7} {'RSS0 MiB':>9} {'peak RSS':>9}"
    )
    for index in range(len(TRACE_CASES)):
        row = _in_subprocess(index)
        print(
            f"{row['kind']:8} {row['case']:66} {row['ctas']:7d} {row['classes']:7d} "
            f"{row['warp_instructions']:16,d} {row['wall_s']:7.2f} "
            f"{row['baseline_rss_mib']:9.0f} {row['max_rss_mib']:9.0f}"
        )


if __name__ == "__main__":
    main()
