"""Workloads: what a scenario asks the hardware to do, and the roofline bound of each.

A workload is typed data (a frozen model) chosen by its ``kind`` from ``WORKLOAD_KINDS``.
Kernel workloads (``gemm``, ``copy``) name a kernel of ``gpusim.cuda.kernels`` and run on one
GPU; collective workloads (``allreduce``) run on a system.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from gpusim.roofline import DTYPE_BYTES, Bound, copy_bound, gemm_bound, ring_allreduce_bound
from gpusim.schema import FrozenModel
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.system import SystemSpec

GemmKernel = Literal[
    "gemm_naive",
    "gemm_smem_tiled_16",
    "gemm_smem_tiled_32",
    "gemm_register_blocked_64",
    "gemm_register_blocked_128",
    "gemm_tensor_core",
]
"""The GEMM kernels of ``gpusim.cuda.kernels`` (a test keeps this list equal to the registry)."""

TENSOR_CORE_GEMMS: frozenset[str] = frozenset({"gemm_tensor_core"})


class GemmWorkload(FrozenModel):
    """C[m,n] = A[m,k] @ B[k,n] by one of the project's GEMM kernels."""

    kind: Literal["gemm"] = "gemm"
    kernel: GemmKernel = Field(default="gemm_smem_tiled_32", description="GEMM kernel")
    m: int = Field(gt=0, description="rows of A and C")
    n: int = Field(gt=0, description="columns of B and C")
    k: int = Field(gt=0, description="columns of A, rows of B")

    @property
    def tensor_cores(self) -> bool:
        """Whether the kernel runs on the tensor cores."""
        return self.kernel in TENSOR_CORE_GEMMS

    @property
    def dtype(self) -> Literal["fp16", "fp32"]:
        """Input element type: fp16 on tensor cores (fp32 accumulate), fp32 otherwise."""
        return "fp16" if self.tensor_cores else "fp32"

    def bound(self, gpu: GpuSpec) -> Bound:
        """Roofline bound of this GEMM on ``gpu``."""
        return gemm_bound(
            gpu, self.m, self.n, self.k, dtype=self.dtype, tensor_cores=self.tensor_cores
        )

    def describe(self) -> str:
        """One line for humans."""
        return f"{self.kernel} {self.m}x{self.n}x{self.k} ({self.dtype})"


class CopyWorkload(FrozenModel):
    """Copy a buffer of fp32 elements from one device array to another."""

    kind: Literal["copy"] = "copy"
    kernel: Literal["copy"] = Field(default="copy", description="copy kernel")
    size_bytes: int = Field(gt=0, description="bytes copied (read once, written once)")

    @model_validator(mode="after")
    def _whole_elements(self) -> Self:
        if self.size_bytes % DTYPE_BYTES["fp32"]:
            raise ValueError(
                f"size_bytes: must be a multiple of 4 (fp32 elements), got {self.size_bytes}"
            )
        return self

    def bound(self, gpu: GpuSpec) -> Bound:
        """Roofline bound of this copy on ``gpu``."""
        return copy_bound(gpu, self.size_bytes)

    def describe(self) -> str:
        """One line for humans."""
        return f"copy {self.size_bytes} B"


class AllreduceWorkload(FrozenModel):
    """A sum all-reduce of one buffer per rank across the GPUs of a system."""

    kind: Literal["allreduce"] = "allreduce"
    size_bytes: int = Field(gt=0, description="bytes of each rank's buffer")
    dtype: Literal["fp32", "fp16", "bf16"] = Field(default="fp32", description="element type")
    algo: str = Field(default="ring", min_length=1, description="collective algorithm")
    ranks: int | None = Field(default=None, ge=2, description="GPUs taking part (default: all)")

    @model_validator(mode="after")
    def _whole_elements(self) -> Self:
        element_bytes = DTYPE_BYTES[self.dtype]
        if self.size_bytes % element_bytes:
            raise ValueError(
                f"size_bytes: must be a multiple of {element_bytes} ({self.dtype} elements), "
                f"got {self.size_bytes}"
            )
        return self

    def rank_count(self, system: SystemSpec) -> int:
        """Ranks taking part on ``system``."""
        return system.gpu_count if self.ranks is None else self.ranks

    def bound(self, system: SystemSpec) -> Bound:
        """Alpha-beta bound of a ring all-reduce of this buffer on ``system``."""
        return ring_allreduce_bound(
            system, self.size_bytes, self.rank_count(system), dtype=self.dtype
        )

    def describe(self) -> str:
        """One line for humans."""
        ranks = "all" if self.ranks is None else str(self.ranks)
        return f"allreduce {self.size_bytes} B {self.dtype} ({self.algo}, {ranks} ranks)"


KernelWorkload = GemmWorkload | CopyWorkload
Workload = GemmWorkload | CopyWorkload | AllreduceWorkload

WORKLOAD_KINDS: dict[str, type[GemmWorkload] | type[CopyWorkload] | type[AllreduceWorkload]] = {
    "gemm": GemmWorkload,
    "copy": CopyWorkload,
    "allreduce": AllreduceWorkload,
}
"""Workload models by ``kind``; a kernel workload runs on a ``[gpu]``, a collective on a
``[system]``."""

SYSTEM_KINDS: frozenset[str] = frozenset({"allreduce"})
