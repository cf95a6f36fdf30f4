"""The registry of gpusim's Numba CUDA kernels, each a concrete variant with its facts.

Every kernel is described by a ``KernelDef`` (see ``kernel_def``): its family and params
type, the sizes and GPUs it accepts, how a command-line size and a scenario workload become
its params, and for a given problem size its Numba signature, launch configuration, inputs,
reference output and work. The compiler (``gpusim.cuda.compile``), the PTX emulator, the
self-check, the GPU timing harness, scenario validation and the command line all look
kernels up here by name, and every list of kernel names in gpusim derives from ``KERNELS``.

Importing the registry does not import Numba: the facts live in the ``*_def`` modules, each
kernel function in its Numba module, loaded on first use (``KernelDef.pyfunc``).

Families and their params:

* ``gemm`` (``GemmParams(m, n, k)``, ``gemm_def``): ``gemm_naive_uncoalesced``,
  ``gemm_naive``, ``gemm_smem_tiled_16``, ``gemm_smem_tiled_32``,
  ``gemm_register_blocked_64``, ``gemm_register_blocked_128``, ``gemm_1d_blocktiled_64``,
  ``gemm_vectorized_128`` (fp32; six of them are rungs 1 to 6 of siboehm/SGEMM_CUDA's
  ladder, see ``gemm_def``) and ``gemm_tensor_core`` (fp16 inputs, fp32 output,
  ``mma.sync.m16n8k16``).
* ``copy`` (``CopyParams(size_bytes)``, ``copy_def``): ``copy``, 128-bit grid-stride copy.
* ``allreduce`` (``allreduce_def``): ``allreduce_reduce_scatter_step`` and
  ``allreduce_all_gather_step`` (``AllreduceStepParams(elements, ranks, step, rank)``, one
  rank's step) and ``allreduce_ring_single_device`` (``AllreduceRingParams(elements, ranks,
  step)``, every rank's step on one device).
* ``microbenchmark`` (``microbench_def``), after te42kyfo/gpu-benches: ``pointer_chase``
  (``PointerChaseParams(working_set_bytes, steps)``, cycles per access), ``read_bandwidth``
  (``ReadBandwidthParams(size_bytes, passes)``, bytes/s) and ``stream_scale``
  (``StreamParams(size_bytes)``, bytes/s).

A new family is a facts module ``<family>_def.py`` (its ``KernelDef`` subclass, params and
its ``VARIANTS``) and a Numba module with its kernel functions: the registry collects the
``VARIANTS`` of every ``*_def`` module of this package, modules in name order and variants
in the order each module lists them, so nothing here names a family.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from gpusim.cuda.kernels.kernel_def import (
    Family,
    KernelArg,
    KernelDef,
    LaunchConfig,
    SizeOptions,
)
from gpusim.cuda.kernels.params import (
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelParams,
    PointerChaseParams,
    ReadBandwidthParams,
    StreamParams,
)
from gpusim.errors import KernelError

FACTS_MODULE_SUFFIX = "_def"
"""The name ending of a facts module (numba-free); its ``VARIANTS`` are registered."""


def _registered_variants() -> tuple[KernelDef[Any], ...]:
    """The ``VARIANTS`` of every facts module of this package, modules in name order."""
    variants: list[KernelDef[Any]] = []
    for module_name in sorted(info.name for info in pkgutil.iter_modules(__path__)):
        if not module_name.endswith(FACTS_MODULE_SUFFIX):
            continue  # a Numba module: importing it would load Numba
        module = importlib.import_module(f"{__name__}.{module_name}")
        variants.extend(getattr(module, "VARIANTS", ()))  # kernel_def holds the base only
    return tuple(variants)


KERNELS: tuple[KernelDef[Any], ...] = _registered_variants()
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


def kernel_names(family: Family) -> tuple[str, ...]:
    """The names of the registered kernels of ``family``, in registry order."""
    return tuple(kernel.name for kernel in KERNELS if kernel.family == family)


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
    "PointerChaseParams",
    "ReadBandwidthParams",
    "SizeOptions",
    "StreamParams",
    "get_kernel",
    "kernel_names",
]
