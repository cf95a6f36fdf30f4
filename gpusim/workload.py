"""Workloads: what a scenario asks the hardware to do, and the roofline bound of each.

A workload is typed data (a frozen model) chosen by its ``kind`` from ``WORKLOAD_KINDS``.
Kernel workloads (``gemm``, ``copy``, ``microbenchmark``) name a kernel of
``gpusim.cuda.kernels`` and run on one GPU; collective workloads (``allreduce``,
``allgather``, ``reducescatter``, ``broadcast``, ``reduce``) run on a system, and so does a
``training_step`` (``gpusim.training``: a transformer's step split over many GPUs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from gpusim.cuda.kernels import get_kernel, kernel_names
from gpusim.cuda.kernels.gemm_def import VARIANTS as GEMM_VARIANTS
from gpusim.cuda.kernels.gemm_def import NumberFormat, check_format_on_gpu
from gpusim.cuda.kernels.microbench_def import (
    LINE_BYTES,
    POINTER_CHASE,
    READ_BANDWIDTH,
    MicrobenchmarkKernelDef,
)
from gpusim.errors import KernelError
from gpusim.roofline import (
    DTYPE_BYTES,
    Bound,
    CollectiveKind,
    collective_bound,
    copy_bound,
    dram_bytes_per_s,
    gemm_bound,
    l2_bytes_per_s,
)
from gpusim.schema import FrozenModel
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload

if TYPE_CHECKING:  # a Literal built from the registry is opaque to mypy
    GemmKernel = str
    CopyKernel = str
    MicrobenchmarkKernel = str
else:
    GemmKernel = Literal[kernel_names("gemm")]
    """The GEMM kernels of the registry: a scenario may name any of them."""
    CopyKernel = Literal[kernel_names("copy")]
    MicrobenchmarkKernel = Literal[kernel_names("microbenchmark")]

TENSOR_CORE_GEMMS: frozenset[str] = frozenset(
    kernel.name for kernel in GEMM_VARIANTS if kernel.tensor_cores
)
GEMM_FORMATS: dict[str, NumberFormat] = {
    kernel.name: kernel.number_format for kernel in GEMM_VARIANTS
}
"""The number format each GEMM kernel computes in."""
DEFAULT_GEMM_KERNEL = "gemm_smem_tiled_32"


class GemmWorkload(FrozenModel):
    """C[m,n] = A[m,k] @ B[k,n] by one of the project's GEMM kernels.

    ``dtype`` is the number format of A and B, by default the kernel's own. A kernel
    computes in one format: a ``dtype`` it does not take is refused here, one the GPU's
    tensor cores lack by ``check_on_gpu``. So ``dtype`` always follows from the kernel and
    dumps leave it out: they (and store keys) stay as they were before the field existed,
    and a dump given another kernel takes that kernel's format.
    """

    kind: Literal["gemm"] = "gemm"
    kernel: GemmKernel = Field(default=DEFAULT_GEMM_KERNEL, description="GEMM kernel")
    m: int = Field(gt=0, description="rows of A and C")
    n: int = Field(gt=0, description="columns of B and C")
    k: int = Field(gt=0, description="columns of A, rows of B")
    dtype: NumberFormat = Field(
        default="fp32",
        description="number format of A and B (fp32, tf32, fp16, bf16, int8, fp8); "
        "default: the kernel's own",
    )

    @model_validator(mode="before")
    @classmethod
    def _kernel_format_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and "dtype" not in data:
            kernel = data.get("kernel", DEFAULT_GEMM_KERNEL)
            if kernel in GEMM_FORMATS:  # an unknown kernel is the kernel field's error
                return {**data, "dtype": GEMM_FORMATS[kernel]}
        return data

    @model_validator(mode="after")
    def _kernel_takes_dtype(self) -> Self:
        own = GEMM_FORMATS[self.kernel]
        if self.dtype != own:
            takers = [name for name, fmt in GEMM_FORMATS.items() if fmt == self.dtype]
            raise ValueError(
                f"dtype: {self.kernel} computes in {own}, not {self.dtype}; kernels for "
                f"{self.dtype}: {', '.join(takers)}"
            )
        return self

    @model_serializer(mode="wrap")
    def _without_dtype(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        del data["dtype"]  # the kernel's own (``_kernel_takes_dtype``)
        return data

    @property
    def tensor_cores(self) -> bool:
        """Whether the kernel runs on the tensor cores."""
        return self.kernel in TENSOR_CORE_GEMMS

    def check_on_gpu(self, gpu: GpuSpec) -> None:
        """ValueError naming ``dtype`` if ``gpu``'s tensor cores do not take it."""
        if not self.tensor_cores:
            return
        try:
            check_format_on_gpu(self.dtype, gpu.compute_capability_tuple, gpu.name)
        except KernelError as err:
            raise ValueError(f"dtype: {err} ({self.kernel})") from None

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
    kernel: CopyKernel = Field(default="copy", description="copy kernel")
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


class MicrobenchmarkWorkload(FrozenModel):
    """One launch of a gpu-benches microbenchmark (``microbench_def``) at one size.

    ``pointer_chase`` takes ``working_set_bytes`` and chases one traversal of its chain
    (capped at ``MAX_CHASE_STEPS`` lines); ``read_bandwidth`` and ``stream_scale`` take
    ``size_bytes``, the read kernel reading its buffer twice (a cold pass, then a pass that
    finds in L2 what fits there), as ``--size`` sizes them. One launch starts with empty
    caches: ``gpusim validate compare`` measures the steady state the sources publish (the
    difference of a warm-up launch and warm-up plus measured launch); a sweep shows how a
    single launch moves with size.
    """

    kind: Literal["microbenchmark"] = "microbenchmark"
    kernel: MicrobenchmarkKernel = Field(description="microbenchmark kernel")
    working_set_bytes: int | None = Field(
        default=None,
        ge=LINE_BYTES,
        description="bytes the chase's chain spans, a line at least (pointer_chase)",
    )
    size_bytes: int | None = Field(
        default=None, gt=0, description="bytes of the buffer (read_bandwidth, stream_scale)"
    )

    @model_validator(mode="after")
    def _one_size(self) -> Self:
        chase = self.kernel == POINTER_CHASE.name
        needed, other = ("working_set_bytes", "size_bytes")[:: 1 if chase else -1]
        if getattr(self, needed) is None:
            raise ValueError(f"{needed}: {self.kernel} needs it")
        if getattr(self, other) is not None:
            raise ValueError(f"{other}: {self.kernel} takes {needed}, not {other}")
        return self

    @property
    def size(self) -> int:
        """The one size given: the chase's working set or the buffer."""
        size = self.working_set_bytes if self.size_bytes is None else self.size_bytes
        assert size is not None  # _one_size
        return size

    @property
    def steps(self) -> int:
        """Chase steps of the launch: one traversal of the chain (``pointer_chase``)."""
        return POINTER_CHASE.pass_steps(self.size)

    @property
    def passes(self) -> int:
        """Reads of the buffer in the launch (``read_bandwidth``): as ``--size`` has it."""
        return READ_BANDWIDTH.parse_size(str(self.size)).passes

    def bound(self, gpu: GpuSpec) -> Bound:
        """Memory bound of the launch: its bytes through L2 (a bandwidth kernel's work, the
        chase's lines) and its first touch of every byte in DRAM. It ignores the chase's
        latency, which is what the chase measures."""
        kernel = get_kernel(self.kernel)
        assert isinstance(kernel, MicrobenchmarkKernelDef)
        params = kernel.params_for(self)
        dram_bytes = kernel.min_dram_bytes(params)
        l2_bytes = kernel.work(params) if kernel.quantity == "bandwidth" else dram_bytes
        memory_s = max(dram_bytes / dram_bytes_per_s(gpu), l2_bytes / l2_bytes_per_s(gpu))
        return Bound(0.0, memory_s, float(kernel.flops(params)), float(dram_bytes), "memory")

    def describe(self) -> str:
        """One line for humans."""
        return f"{self.kernel} {self.size} B"


CollectiveDtype = Literal["fp32", "fp16", "bf16"]


class CollectiveWorkload(FrozenModel):
    """A collective across the GPUs of a system, sized as nccl-tests sizes it.

    ``size_bytes`` is each rank's buffer for all-reduce, broadcast and reduce, and the whole
    gathered (or scattered) array for all-gather and reduce-scatter. ``algo`` names an
    algorithm of ``gpusim.collectives`` (checked there, where the registry lives).
    """

    kind: CollectiveKind
    size_bytes: int = Field(gt=0, description="bytes of the collective (nccl-tests' size)")
    dtype: CollectiveDtype = Field(default="fp32", description="element type")
    algo: str = Field(
        default="auto",
        min_length=1,
        description="collective algorithm; auto: NCCL's tuner chooses",
    )
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

    def buffer_bytes_per_rank(self, ranks: int) -> int:
        """Device memory one rank's send and receive buffers take (nccl-tests, out of place):
        a whole buffer each for all-reduce, broadcast and reduce; the array and its slice for
        all-gather and reduce-scatter."""
        if self.kind in ("allgather", "reducescatter"):
            return self.size_bytes + self.size_bytes // ranks
        return 2 * self.size_bytes

    def rank_count(self, system: SystemSpec) -> int:
        """Ranks taking part on ``system``."""
        return system.gpu_count if self.ranks is None else self.ranks

    def bound(self, system: SystemSpec) -> Bound:
        """Alpha-beta bound of this collective on ``system``."""
        return collective_bound(
            system, self.kind, self.algo, self.size_bytes, self.rank_count(system), self.dtype
        )

    def describe(self) -> str:
        """One line for humans."""
        ranks = "all" if self.ranks is None else str(self.ranks)
        return f"{self.kind} {self.size_bytes} B {self.dtype} ({self.algo}, {ranks} ranks)"


class AllreduceWorkload(CollectiveWorkload):
    """A sum all-reduce of one buffer per rank across the GPUs of a system."""

    kind: Literal["allreduce"] = "allreduce"


class AllgatherWorkload(CollectiveWorkload):
    """Every rank's slice of an array gathered on every rank (``size_bytes``: the array)."""

    kind: Literal["allgather"] = "allgather"


class ReducescatterWorkload(CollectiveWorkload):
    """The sum of every rank's array, each rank keeping one slice (``size_bytes``: the array)."""

    kind: Literal["reducescatter"] = "reducescatter"


class BroadcastWorkload(CollectiveWorkload):
    """The root's buffer copied to every rank."""

    kind: Literal["broadcast"] = "broadcast"
    root: int = Field(default=0, ge=0, description="rank whose buffer is broadcast")


class ReduceWorkload(CollectiveWorkload):
    """The sum of every rank's buffer, on the root."""

    kind: Literal["reduce"] = "reduce"
    root: int = Field(default=0, ge=0, description="rank that receives the sum")


KernelWorkload = GemmWorkload | CopyWorkload | MicrobenchmarkWorkload
Workload = (
    GemmWorkload | CopyWorkload | MicrobenchmarkWorkload | CollectiveWorkload | TrainingStepWorkload
)

COLLECTIVE_KINDS: dict[str, type[CollectiveWorkload]] = {
    "allreduce": AllreduceWorkload,
    "allgather": AllgatherWorkload,
    "reducescatter": ReducescatterWorkload,
    "broadcast": BroadcastWorkload,
    "reduce": ReduceWorkload,
}
"""Collective workload models by ``kind`` (nccl-tests' names)."""

WORKLOAD_KINDS: dict[
    str,
    type[GemmWorkload]
    | type[CopyWorkload]
    | type[MicrobenchmarkWorkload]
    | type[CollectiveWorkload]
    | type[TrainingStepWorkload],
] = {
    "gemm": GemmWorkload,
    "copy": CopyWorkload,
    "microbenchmark": MicrobenchmarkWorkload,
    **COLLECTIVE_KINDS,
    "training_step": TrainingStepWorkload,
}
"""Workload models by ``kind``; a kernel workload runs on a ``[gpu]``, a collective on a
``[system]``."""

SYSTEM_KINDS: frozenset[str] = frozenset({*COLLECTIVE_KINDS, "training_step"})
