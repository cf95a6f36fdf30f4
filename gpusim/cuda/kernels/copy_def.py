"""The copy kernel's facts: a device-to-device copy of ``size_bytes`` in 16-byte vectors.

The kernel function is ``copy`` in the Numba module ``memcopy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels.kernel_def import (
    KernelArg,
    KernelDef,
    LaunchConfig,
    ceil_div,
)
from gpusim.cuda.kernels.operands import POISONED, Operand, RandomNonzero
from gpusim.cuda.kernels.params import CopyParams
from gpusim.errors import KernelError

VECTOR_BYTES = 16
"""One thread's access: the widest load and store a thread can issue (128 bits)."""
THREADS_PER_BLOCK = 256
MAX_BLOCKS = 1024
"""Enough blocks to fill any current GPU (132 SMs x 8 resident 256-thread blocks = 1056 on
H100/H200) while each thread still loops; a device-independent constant keeps the launch
the same on every machine that records or simulates it."""


class CopyKernelDef(KernelDef[CopyParams]):
    """The copy of ``size_bytes`` bytes; arguments are (src, dst) as complex128 arrays."""

    def numba_signature(self, params: CopyParams) -> str:
        return "void(complex128[::1], complex128[::1])"

    def check_sizes(self, params: CopyParams) -> None:
        if params.size_bytes % VECTOR_BYTES:
            raise KernelError(
                f"{self.name}: size_bytes must be a multiple of {VECTOR_BYTES}, "
                f"got {params.size_bytes}"
            )

    def launch_for(self, params: CopyParams) -> LaunchConfig:
        vectors = params.size_bytes // VECTOR_BYTES
        blocks = min(ceil_div(vectors, THREADS_PER_BLOCK), MAX_BLOCKS)
        return LaunchConfig(grid=(blocks, 1, 1), block=(THREADS_PER_BLOCK, 1, 1))

    def operands(self, params: CopyParams) -> tuple[Operand, ...]:
        """(src, dst) as 16-byte vectors: complex128, two fp64 draws each."""
        self.check(params)
        vectors = params.size_bytes // VECTOR_BYTES
        return (
            Operand.of((vectors,), np.complex128, RandomNonzero(np.float64)),
            Operand.of((vectors,), np.complex128, POISONED),
        )

    def reference(self, args: tuple[KernelArg, ...], params: CopyParams) -> npt.NDArray[Any]:
        return np.array(args[0], copy=True)

    def flops(self, params: CopyParams) -> int:
        return 0

    def min_dram_bytes(self, params: CopyParams) -> int:
        return 2 * params.size_bytes


COPY = CopyKernelDef(
    name="copy",
    family="copy",
    kernel_module="gpusim.cuda.kernels.memcopy",
    params_type=CopyParams,
    sample_params=CopyParams(size_bytes=16 * 700),
    size_syntax="a byte count (a multiple of 16)",
    output_arg=1,
    rel_tolerance=0.0,  # a copy is exact
)

VARIANTS: tuple[CopyKernelDef, ...] = (COPY,)
"""The copy family's one variant, as the registry collects it."""
