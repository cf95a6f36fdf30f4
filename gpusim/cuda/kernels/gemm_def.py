"""The description shared by every GEMM variant: C[m, n] = A[m, k] @ B[k, n], row-major.

The variants differ only in their kernel function, their CTA tile and block shape, the
size multiples they require and their input type; arguments, reference and work figures
are the same for all, so they live here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels.kernel_def import (
    KernelArg,
    KernelDef,
    LaunchConfig,
    ceil_div,
    poisoned,
    random_nonzero,
)
from gpusim.cuda.kernels.params import GemmParams
from gpusim.errors import KernelError

FP32_ITEMSIZE_BYTES = 4


@dataclass(frozen=True, kw_only=True)
class GemmKernelDef(KernelDef[GemmParams]):
    """A GEMM variant: each CTA computes a ``cta_tile_m`` x ``cta_tile_n`` tile of C.

    ``m_multiple`` / ``n_multiple`` / ``k_multiple`` are the sizes the kernel requires to
    divide m, n, k (1: any size, the kernel guards its edges). Arguments are (A, B, C) with
    A, B of ``input_dtype`` and C always fp32.
    """

    family: Literal["gemm"] = "gemm"
    params_type: type[GemmParams] = GemmParams
    output_arg: int = 2
    cta_tile_m: int
    cta_tile_n: int
    block: tuple[int, int, int]
    input_dtype: Literal["float32", "float16"] = "float32"
    m_multiple: int = 1
    n_multiple: int = 1
    k_multiple: int = 1

    def numba_signature(self, params: GemmParams) -> str:
        t = self.input_dtype
        return f"void({t}[:, ::1], {t}[:, ::1], float32[:, ::1])"

    def check_sizes(self, params: GemmParams) -> None:
        for field, value, multiple in (
            ("m", params.m, self.m_multiple),
            ("n", params.n, self.n_multiple),
            ("k", params.k, self.k_multiple),
        ):
            if value % multiple:
                raise KernelError(
                    f"{self.name}: {field} must be a multiple of {multiple}, got {value}"
                )

    def launch_for(self, params: GemmParams) -> LaunchConfig:
        grid = (ceil_div(params.n, self.cta_tile_n), ceil_div(params.m, self.cta_tile_m), 1)
        return LaunchConfig(grid=grid, block=self.block)

    def make_args(self, params: GemmParams, rng: np.random.Generator) -> tuple[KernelArg, ...]:
        self.check(params)
        a = random_nonzero(rng, (params.m, params.k), self.input_dtype)
        b = random_nonzero(rng, (params.k, params.n), self.input_dtype)
        c = poisoned((params.m, params.n), np.float32)
        return a, b, c

    def reference(self, args: tuple[KernelArg, ...], params: GemmParams) -> npt.NDArray[Any]:
        """The exact product of the given inputs, rounded once to fp32.

        fp16 and fp32 inputs convert to fp64 exactly and fp64 accumulation is far more
        precise than any kernel's fp32 accumulation, so the kernel's error against this
        reference is its own rounding alone.
        """
        a, b = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
        return (a @ b).astype(np.float32)

    def flops(self, params: GemmParams) -> int:
        return 2 * params.m * params.n * params.k

    def min_dram_bytes(self, params: GemmParams) -> int:
        input_itemsize_bytes = np.dtype(self.input_dtype).itemsize
        inputs_bytes = (params.m * params.k + params.k * params.n) * input_itemsize_bytes
        return inputs_bytes + params.m * params.n * FP32_ITEMSIZE_BYTES
