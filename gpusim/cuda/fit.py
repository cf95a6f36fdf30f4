"""Whether a kernel's operands fit in the GPU's memory.

A launch whose operands (for a GEMM: A, B and C; for a copy: its two buffers) exceed the
GPU's memory cannot run on it, so no scenario may ask for one; this is checked when a
scenario or a trace command is loaded. Tracing itself sets no limit of its own: the
emulator allocates only the pages of the operands that its representative CTAs touch
(``gpusim.cuda.ptx.memory``), not the operands.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gpusim.cuda.kernels import KernelParams, get_kernel
from gpusim.errors import KernelError
from gpusim.units import format_bytes


def check_fits_gpu(
    kernel_name: str, params: KernelParams, capacity_bytes: int, gpu_name: str
) -> None:
    """KernelError naming the size field unless the operands fit the GPU's memory."""
    kernel = get_kernel(kernel_name)
    needed_bytes = kernel.min_dram_bytes(params)  # every operand once: their total size
    if needed_bytes > capacity_bytes:
        raise KernelError(
            f"{_size_field(params)}: {kernel_name}'s operands take {format_bytes(needed_bytes)}, "
            f"more than the {gpu_name}'s memory (dram.capacity_bytes), "
            f"{format_bytes(capacity_bytes)}"
        )


def _size_field(params: KernelParams) -> str:
    """The params field that sizes the operands most: the one a user would shrink."""
    sizes: dict[str, Any] = dataclasses.asdict(params)
    return max(sizes, key=lambda name: sizes[name])
