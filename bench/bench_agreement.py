"""Fast mode against detailed mode on a full GPU (H100 unless --gpu): time and gap.

The issue's bar is 5% on every GEMM kernel from 512^3 to 2048^3 and on the copy from
16 MiB to 1 GiB. Detailed mode runs about two million warp instructions a second here, so
2048^3 takes minutes per kernel: pick sizes with --sizes.

    python bench/bench_agreement.py                       # GEMMs at 512^3, 1024^3; copy 16 MiB, 64 MiB
    python bench/bench_agreement.py --sizes 2048 --copy-mib 1024
    python bench/bench_agreement.py --sizes 2048 --kernels gemm_naive --copy-mib
"""

from __future__ import annotations

import argparse
import time

from gpusim.api import simulate_kernel
from gpusim.cuda.kernels import KERNELS, CopyParams, GemmParams, KernelParams
from gpusim.spec import gpu_preset

GEMMS = tuple(kernel.name for kernel in KERNELS if kernel.family == "gemm")


def compare(gpu_name: str, kernel: str, params: KernelParams, label: str) -> None:
    gpu = gpu_preset(gpu_name)
    start = time.perf_counter()
    fast = simulate_kernel(gpu, kernel, params, mode="fast")
    fast_wall = time.perf_counter() - start
    start = time.perf_counter()
    detailed = simulate_kernel(gpu, kernel, params, mode="detailed")
    detailed_wall = time.perf_counter() - start
    gap = (fast.execution_s - detailed.execution_s) / detailed.execution_s
    print(
        f"{kernel:26} {label:>10} {fast.execution_s * 1e6:>12.2f} {detailed.execution_s * 1e6:>12.2f} "
        f"{gap:>+7.1%} {fast_wall:>8.1f} {detailed_wall:>9.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--copy-mib", type=int, nargs="*", default=[16, 64])
    parser.add_argument("--kernels", nargs="+", choices=GEMMS, default=list(GEMMS))
    parser.add_argument("--gpu", default="H100-SXM5-80GB", help="GPU preset")
    args = parser.parse_args()
    print(
        f"{'kernel':26} {'size':>10} {'fast us':>12} {'detailed us':>12} {'gap':>7} {'fast s':>8} {'detail s':>9}"
    )
    for size in args.sizes:
        for kernel in args.kernels:
            compare(args.gpu, kernel, GemmParams(size, size, size), f"{size}^3")
    for mib in args.copy_mib:
        compare(args.gpu, "copy", CopyParams(mib << 20), f"{mib} MiB")


if __name__ == "__main__":
    main()
