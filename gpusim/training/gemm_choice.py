"""Which registered GEMM kernel runs a training step's products on a GPU.

``auto`` is the best tensor-core kernel of the registry that takes the step's operand format
and runs on the GPU: the one with the highest ``planning_flops_per_s`` (the rate each kernel
is known to reach), so a better registered kernel is chosen as soon as it exists.
"""

from __future__ import annotations

from gpusim.cuda.kernels import KERNELS, get_kernel, kernel_names
from gpusim.cuda.kernels.gemm_def import INPUT_DTYPES, GemmKernelDef
from gpusim.errors import KernelError
from gpusim.spec.gpu import GpuSpec
from gpusim.training.model import TrainingDtype

FORMAT_INPUT_DTYPES: dict[TrainingDtype, tuple[str, ...]] = {
    "bf16": (INPUT_DTYPES["bf16"],),
    "fp8": (INPUT_DTYPES["fp8"],),  # the Hopper kernel's e4m3: compute capability 9.0
}
"""The kernel input types that carry each training format."""


def _runs_on(kernel: GemmKernelDef, gpu: GpuSpec) -> bool:
    try:
        kernel.check_compute_capability(gpu.compute_capability_tuple, gpu.name)
    except KernelError:
        return False
    return True


def choose_gemm_kernel(requested: str, dtype: TrainingDtype, gpu: GpuSpec) -> GemmKernelDef:
    """The kernel named ``requested`` (``auto``: the best fitting tensor-core kernel).

    ``ValueError`` naming ``workload.gemm_kernel`` or ``workload.dtype`` when none fits.
    """
    if requested != "auto":
        if requested not in kernel_names("gemm"):
            known = ", ".join(kernel_names("gemm"))
            raise ValueError(
                f"workload.gemm_kernel: must be auto or one of {known}, got {requested!r}"
            )
        kernel = get_kernel(requested)
        assert isinstance(kernel, GemmKernelDef)  # a gemm-family name
        try:
            kernel.check_compute_capability(gpu.compute_capability_tuple, gpu.name)
        except KernelError as err:
            raise ValueError(f"workload.gemm_kernel: {err}") from None
        return kernel
    candidates = [
        kernel
        for kernel in KERNELS
        if isinstance(kernel, GemmKernelDef)
        and kernel.tensor_cores
        and kernel.input_dtype in FORMAT_INPUT_DTYPES[dtype]
        and _runs_on(kernel, gpu)
    ]
    if not candidates:
        raise ValueError(
            f"workload.dtype: no registered tensor-core GEMM kernel takes {dtype} operands "
            f"on the {gpu.name}"
        )
    return max(candidates, key=lambda kernel: kernel.planning_flops_per_s or 0.0)
