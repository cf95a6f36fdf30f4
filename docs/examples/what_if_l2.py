"""What if the H100's L2 were a fifth as large, or twice as large?

Run from anywhere: ``python docs/examples/what_if_l2.py`` (under a minute on two cores). It
simulates one GEMM on three variants of the H100, then sweeps the L2 size on the study
scenario in two processes, and writes the sweep's report to ``what_if_l2.html``.
"""

from __future__ import annotations

from pathlib import Path

import gpusim

MIB = 1 << 20
STUDY = Path(__file__).resolve().parents[2] / "scenarios" / "l2_size_sweep.toml"


def compare_variants() -> None:
    """One 2048^3 tiled GEMM on the H100 as sold, with a fifth of its L2 and with twice."""
    h100 = gpusim.presets().gpus["H100-SXM5-80GB"]
    gemm = gpusim.GemmWorkload(kernel="gemm_smem_tiled_32", m=2048, n=2048, k=2048)
    for factor in (0.2, 1.0, 2.0):
        gpu = h100.with_overrides({"l2.size_bytes": int(h100.l2.size_bytes * factor)})
        result = gpusim.simulate(gpu, gemm)
        print(
            f"L2 {gpu.l2.size_bytes / MIB:5.0f} MiB: {result.time_s * 1e6:7.1f} us, "
            f"{result.tflops:5.2f} TFLOP/s, L2 hits {result.l2_hit_rate:.0%}, "
            f"DRAM {result.dram_bandwidth_bytes_per_s / 1e9:6.1f} GB/s"
        )


def sweep_the_study() -> None:
    """The study's L2 sweep at four sizes, on two processes, kept in the results store."""
    scenario = gpusim.load_scenario(STUDY)
    axes = {"gpu.l2.size_bytes": [10 * MIB, 20 * MIB, 50 * MIB, 100 * MIB]}
    table = gpusim.sweep(scenario, axes, jobs=2)
    for record in table.records:
        size_mib = record.point["gpu.l2.size_bytes"] / MIB
        time_us = record.metrics["time_s"] * 1e6
        print(f"sweep point {record.index}: L2 {size_mib:.0f} MiB -> {time_us:.1f} us")
    print(f"report: {gpusim.write_sweep_report(table, 'what_if_l2.html')}")


if __name__ == "__main__":  # the sweep's worker processes import this file: guard the work
    compare_variants()
    sweep_the_study()
