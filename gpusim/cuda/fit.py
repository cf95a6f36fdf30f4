"""Whether a kernel's operands fit: in the GPU's memory, and in what a trace may allocate.

A launch whose operands (for a GEMM: A, B and C; for a copy: its two buffers) exceed the
GPU's memory cannot run on it, so no scenario may ask for one. Tracing is stricter: the
emulator runs the kernel on real host arrays of every operand, so a trace is refused beyond
``MAX_TRACED_OPERAND_BYTES`` of them rather than let the host run out of memory. Both limits
are checked when a scenario is loaded and again before a trace allocates anything.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gpusim.cuda.kernels import KernelParams, get_kernel
from gpusim.errors import KernelError
from gpusim.units import GIB, format_bytes

MAX_TRACED_OPERAND_BYTES = 8 * GIB
"""Host memory the emulator's operand arrays may take: a 16384^3 fp32 GEMM (3 GiB) traces,
a 32768^3 one (12 GiB) is refused."""


def check_traceable(kernel_name: str, params: KernelParams) -> None:
    """KernelError naming the size field unless the operands fit what a trace may allocate."""
    _check_operands(kernel_name, params, MAX_TRACED_OPERAND_BYTES, "what a trace may allocate")


def check_fits_gpu(
    kernel_name: str, params: KernelParams, capacity_bytes: int, gpu_name: str
) -> None:
    """KernelError naming the size field unless the operands fit the GPU's memory and a trace."""
    where = f"the {gpu_name}'s memory (dram.capacity_bytes)"
    _check_operands(kernel_name, params, capacity_bytes, where)
    check_traceable(kernel_name, params)


def _check_operands(kernel_name: str, params: KernelParams, limit_bytes: int, where: str) -> None:
    kernel = get_kernel(kernel_name)
    needed_bytes = kernel.min_dram_bytes(params)  # every operand once: their total size
    if needed_bytes > limit_bytes:
        raise KernelError(
            f"{_size_field(params)}: {kernel_name}'s operands take {format_bytes(needed_bytes)}, "
            f"more than {where}, {format_bytes(limit_bytes)}"
        )


def _size_field(params: KernelParams) -> str:
    """The params field that sizes the operands most: the one a user would shrink."""
    sizes: dict[str, Any] = dataclasses.asdict(params)
    return max(sizes, key=lambda name: sizes[name])
