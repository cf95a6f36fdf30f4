"""The registry of gpusim's Numba CUDA kernels, each a concrete variant with its contract.

Every kernel is described by a ``KernelDef`` (see ``kernel_def``): its raw Python function,
the Numba signature, launch configuration, inputs, reference output and work for a given
problem size. The compiler (``gpusim.cuda.compile``), the PTX emulator, the self-check and
the GPU timing harness all look kernels up here by name.

Families and their params:

* ``gemm`` (``GemmParams(m, n, k)``): ``gemm_naive``, ``gemm_smem_tiled_16``,
  ``gemm_smem_tiled_32``, ``gemm_register_blocked_64``, ``gemm_register_blocked_128``
  (fp32) and ``gemm_tensor_core`` (fp16 inputs, fp32 output, ``mma.sync.m16n8k16``).
* ``copy`` (``CopyParams(size_bytes)``): ``copy``, 128-bit grid-stride copy.
* ``allreduce``: ``allreduce_reduce_scatter_step`` and ``allreduce_all_gather_step``
  (``AllreduceStepParams(elements, ranks, step, rank)``, one rank's step) and
  ``allreduce_ring_single_device`` (``AllreduceRingParams(elements, ranks, step)``, every
  rank's step on one device).
"""

from __future__ import annotations

from typing import Any

from gpusim.cuda.kernels.allreduce import (
    ALLREDUCE_ALL_GATHER_STEP,
    ALLREDUCE_REDUCE_SCATTER_STEP,
    ALLREDUCE_RING_SINGLE_DEVICE,
)
from gpusim.cuda.kernels.gemm_simt import (
    GEMM_NAIVE,
    GEMM_REGISTER_BLOCKED_64,
    GEMM_REGISTER_BLOCKED_128,
    GEMM_SMEM_TILED_16,
    GEMM_SMEM_TILED_32,
)
from gpusim.cuda.kernels.gemm_tensor_core import GEMM_TENSOR_CORE
from gpusim.cuda.kernels.kernel_def import Family, KernelArg, KernelDef, LaunchConfig
from gpusim.cuda.kernels.memcopy import COPY
from gpusim.cuda.kernels.params import (
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelParams,
)
from gpusim.errors import KernelError

KERNELS: tuple[KernelDef[Any], ...] = (
    GEMM_NAIVE,
    GEMM_SMEM_TILED_16,
    GEMM_SMEM_TILED_32,
    GEMM_REGISTER_BLOCKED_64,
    GEMM_REGISTER_BLOCKED_128,
    GEMM_TENSOR_CORE,
    COPY,
    ALLREDUCE_REDUCE_SCATTER_STEP,
    ALLREDUCE_ALL_GATHER_STEP,
    ALLREDUCE_RING_SINGLE_DEVICE,
)
KERNEL_NAMES: tuple[str, ...] = tuple(kernel.name for kernel in KERNELS)
_BY_NAME: dict[str, KernelDef[Any]] = {kernel.name: kernel for kernel in KERNELS}


def get_kernel(name: str) -> KernelDef[Any]:
    """The registered kernel called ``name``; KernelError listing the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KernelError(
            f"unknown kernel {name!r}; known kernels: {', '.join(KERNEL_NAMES)}"
        ) from None


__all__ = [
    "KERNELS",
    "KERNEL_NAMES",
    "AllreduceRingParams",
    "AllreduceStepParams",
    "CopyParams",
    "Family",
    "GemmParams",
    "KernelArg",
    "KernelDef",
    "KernelParams",
    "LaunchConfig",
    "get_kernel",
]
