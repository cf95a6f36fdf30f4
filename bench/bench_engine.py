"""Speed of the timing engine: fast mode across sizes, detailed mode's instruction rate.

Each case runs in its own process, so its peak memory is its own. The engine's machine code
is compiled once beforehand (the first process after a change of the engine's sources pays
about a minute; it is cached on disk). Traces are built in the case's process and timed
apart from the simulation: a trace is built once per kernel and size and cached.

    python bench/bench_engine.py            # fast mode at 1024^3, 4096^3, 8192^3; detailed rate
    python bench/bench_engine.py --quick    # 1024^3 and 4096^3 only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

CASE = textwrap.dedent(
    """
    import json, resource, sys, time
    from gpusim.cuda.kernels import GemmParams
    from gpusim.cuda.tracegen import build_trace
    from gpusim.hw.sm.gpu import simulate_kernel
    from gpusim.hw.sm.lowering import lower
    from gpusim.spec import gpu_preset
    kernel, size, mode, sms = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    gpu = gpu_preset("H100-SXM5-80GB")
    if sms:
        gpu = gpu.with_overrides({"sm.count": sms})
    start = time.perf_counter()
    trace = build_trace(kernel, GemmParams(size, size, size))
    traced = time.perf_counter()
    program = lower(trace, gpu)
    result = simulate_kernel(program, gpu, mode=mode)
    done = time.perf_counter()
    print(json.dumps({
        "trace_s": traced - start,
        "simulate_s": done - traced,
        "simulated_s": result.time_s,
        "tflops": result.tflops,
        "warp_instructions": result.warp_instructions,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)


def run_case(kernel: str, size: int, mode: str, sms: int = 0) -> dict[str, float]:
    """One case in a fresh process; its figures."""
    completed = subprocess.run(
        [sys.executable, "-c", CASE, kernel, str(size), mode, str(sms)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fast_table(sizes: list[int]) -> None:
    print("fast mode on H100-SXM5-80GB (simulation wall time excludes building the trace)")
    header = (
        f"{'kernel':28} {'size':>6} {'trace s':>8} {'simulate s':>10} {'growth':>7} "
        f"{'work growth':>11} {'simulated':>11} {'TFLOP/s':>8} {'peak MiB':>9}"
    )
    print(header)
    for kernel in ("gemm_smem_tiled_32", "gemm_register_blocked_128", "gemm_tensor_core"):
        previous: dict[str, float] | None = None
        for size in sizes:
            case = run_case(kernel, size, "fast")
            growth = work = ""
            if previous is not None:
                growth = f"x{case['simulate_s'] / previous['simulate_s']:.1f}"
                work = f"x{case['warp_instructions'] / previous['warp_instructions']:.0f}"
            print(
                f"{kernel:28} {size:>6} {case['trace_s']:>8.2f} {case['simulate_s']:>10.2f} "
                f"{growth:>7} {work:>11} {case['simulated_s'] * 1e3:>9.3f}ms "
                f"{case['tflops']:>8.2f} {case['peak_rss_mib']:>9.0f}"
            )
            previous = case
    print()


def detailed_table() -> None:
    print("detailed mode: simulated warp instructions per second of wall time")
    print(
        f"{'kernel':28} {'size':>6} {'SMs':>4} {'simulate s':>10} {'warp instr':>12} {'instr/s':>10}"
    )
    for kernel, size, sms in (
        ("gemm_smem_tiled_32", 512, 132),
        ("gemm_register_blocked_64", 512, 132),
        ("gemm_naive", 512, 132),
        ("gemm_tensor_core", 1024, 132),
    ):
        case = run_case(kernel, size, "detailed", sms)
        rate = case["warp_instructions"] / case["simulate_s"]
        print(
            f"{kernel:28} {size:>6} {sms:>4} {case['simulate_s']:>10.2f} "
            f"{case['warp_instructions']:>12.3g} {rate:>10.3g}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out 8192^3")
    args = parser.parse_args()
    run_case("gemm_smem_tiled_32", 1024, "fast")  # compile the engine (loop jumps too) untimed
    fast_table([1024, 4096] if args.quick else [1024, 4096, 8192])
    detailed_table()


if __name__ == "__main__":
    main()
