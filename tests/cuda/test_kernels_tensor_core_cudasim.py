"""The tensor-core GEMM's data movement, checked under the CUDA simulator.

The simulator cannot run the kernel's LLVM intrinsics, so this file, run as a script under
``NUMBA_ENABLE_CUDASIM=1``, stands Python versions in for them: ``pack_f16x2`` and
``load_f16x2`` build the u32 pair registers, and ``mma_m16n8k16`` gathers the fragments of
a warp's 32 lanes (simulated threads meet at a per-warp barrier), rebuilds A, B and C from
the PTX ISA's m16n8k16 fragment layout, written here independently of the kernel, and hands
each lane its part of D. The rest of the kernel (staging into shared memory, fragment
loads, the epilogue) runs as written, and its output must match the NumPy reference. The
compiled kernel itself is proven by the PTX emulator; this proves the kernel's indexing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

WARP_LANES = 32


def _pair(register: Any) -> tuple[np.float16, np.float16]:
    """The (low, high) fp16 values of a .f16x2 register."""
    bits = np.array([int(register) & 0xFFFF, int(register) >> 16], dtype=np.uint16)
    low, high = bits.view(np.float16)
    return low, high


def pack_f16x2(low: Any, high: Any) -> np.uint32:
    low_bits = int(np.array([low], dtype=np.float16).view(np.uint16)[0])
    high_bits = int(np.array([high], dtype=np.float16).view(np.uint16)[0])
    return np.uint32(low_bits | (high_bits << 16))


def load_f16x2(matrix: npt.NDArray[np.float16], row: int, col: int) -> np.uint32:
    return pack_f16x2(matrix[row, col], matrix[row, col + 1])


class WarpMma:
    """``mma.sync.m16n8k16.row.col.f32.f16.f16.f32`` across the simulator's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._barriers: dict[tuple[int, ...], threading.Barrier] = {}
        self._fragments: dict[tuple[int, ...], dict[int, tuple[Any, ...]]] = {}

    def __call__(self, *registers: Any) -> tuple[np.float32, ...]:
        thread = threading.current_thread()
        warp_key = (*thread.blockIdx, thread.thread_id // WARP_LANES)  # type: ignore[attr-defined]
        lane = thread.thread_id % WARP_LANES  # type: ignore[attr-defined]
        with self._lock:
            barrier = self._barriers.setdefault(warp_key, threading.Barrier(WARP_LANES))
            fragments = self._fragments.setdefault(warp_key, {})
        fragments[lane] = registers
        barrier.wait()
        d = self._multiply(fragments)
        barrier.wait()  # every lane has read the fragments before any lane replaces them
        g, t = divmod(lane, 4)
        return (d[g, 2 * t], d[g, 2 * t + 1], d[g + 8, 2 * t], d[g + 8, 2 * t + 1])

    @staticmethod
    def _multiply(fragments: dict[int, tuple[Any, ...]]) -> npt.NDArray[np.float32]:
        a = np.zeros((16, 16), np.float64)
        b = np.zeros((16, 8), np.float64)
        c = np.zeros((16, 8), np.float64)
        for lane, (a0, a1, a2, a3, b0, b1, c0, c1, c2, c3) in fragments.items():
            g, t = divmod(lane, 4)
            a[g, 2 * t : 2 * t + 2] = _pair(a0)
            a[g + 8, 2 * t : 2 * t + 2] = _pair(a1)
            a[g, 2 * t + 8 : 2 * t + 10] = _pair(a2)
            a[g + 8, 2 * t + 8 : 2 * t + 10] = _pair(a3)
            b[2 * t : 2 * t + 2, g] = _pair(b0)
            b[2 * t + 8 : 2 * t + 10, g] = _pair(b1)
            c[g, 2 * t : 2 * t + 2] = (c0, c1)
            c[g + 8, 2 * t : 2 * t + 2] = (c2, c3)
        return (a @ b + c).astype(np.float32)


def run_under_simulator(m: int, n: int, k: int) -> dict[str, Any]:
    """Run the tensor-core kernel with the stand-ins; its error against the reference."""
    from numba import cuda

    from gpusim.cuda.kernels import GemmParams, gemm_tensor_core
    from gpusim.cuda.kernels.gemm_def import GEMM_TENSOR_CORE
    from gpusim.cuda.selfcheck import compare

    gemm_tensor_core.pack_f16x2 = pack_f16x2  # type: ignore[assignment]
    gemm_tensor_core.load_f16x2 = load_f16x2  # type: ignore[assignment]
    gemm_tensor_core.mma_m16n8k16 = WarpMma()  # type: ignore[assignment]
    kernel = GEMM_TENSOR_CORE
    params = GemmParams(m=m, n=n, k=k)
    args = kernel.make_args(params, np.random.default_rng(7))
    ref = kernel.reference(args, params)
    device_args = [cuda.to_device(arg) for arg in args if isinstance(arg, np.ndarray)]
    kernel.launcher(params)(*device_args)
    out = device_args[kernel.output_arg].copy_to_host()
    result = compare(kernel.name, kernel.name, params, out, ref, kernel.rel_tolerance)
    return {"passed": result.passed, "rel_error": result.rel_error}


def test_tensor_core_gemm_matches_reference_with_fragment_layout_stand_ins() -> None:
    # Two CTAs along n and two k-slabs: CTA offsets and the k loop both take part.
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    completed = subprocess.run(
        [sys.executable, __file__, "64", "128", "64"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["passed"], result
    assert result["rel_error"] < 1e-6


if __name__ == "__main__":
    m, n, k = (int(size) for size in sys.argv[1:4])
    print(json.dumps(run_under_simulator(m, n, k)))
