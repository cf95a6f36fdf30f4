"""The GEMM kernels' facts: C[m, n] = A[m, k] @ B[k, n], row-major (B n x k for the "TN"
kernels), and every variant.

The variants differ only in their kernel function, their CTA tile and block shape, the
size multiples they require, their number format, B's layout and the unit they run on;
arguments, reference and work figures follow from those, so they live here once. The kernel
functions are in the Numba modules ``gemm_simt``, ``gemm_ladder`` and ``gemm_tensor_core``,
whose tile constants are the ones below (the emulator tests prove each pair against NumPy).

The SIMT kernels are the rungs of siboehm/SGEMM_CUDA's ladder, whose A6000 figures are in
``validation/published/``: its kernel 1 is ``gemm_naive_uncoalesced``, 2 ("global memory
coalescing") ``gemm_naive``, 3 (shared-memory cache blocking) ``gemm_smem_tiled_32``, 4 (1D
blocktiling) ``gemm_1d_blocktiled_64``, 5 (2D blocktiling) ``gemm_register_blocked_128``
and 6 (vectorized) ``gemm_vectorized_128``.

A new GEMM rung is its kernel function in a Numba module and its entry in ``VARIANTS``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels.kernel_def import (
    KernelArg,
    KernelDef,
    LaunchConfig,
    SizeOptions,
    ceil_div,
)
from gpusim.cuda.kernels.operands import (
    POISONED,
    Computed,
    Constant,
    Indices,
    Operand,
    RandomNonzero,
    Values,
)
from gpusim.cuda.kernels.params import GemmParams
from gpusim.cuda.ptx.fp8 import e4m3_to_float64, float_to_e4m3
from gpusim.cuda.ptx.tensor_map import MAP_WORDS, TensorMap2d
from gpusim.errors import KernelError

SIMT_MODULE = "gpusim.cuda.kernels.gemm_simt"
LADDER_MODULE = "gpusim.cuda.kernels.gemm_ladder"
TENSOR_CORE_MODULE = "gpusim.cuda.kernels.gemm_tensor_core"
TC_AMPERE_MODULE = "gpusim.cuda.kernels.gemm_tc_ampere"
TC_AMPERE_STAGES = 3
"""The Ampere-class kernel's pipeline depth (``gemm_tc_ampere.STAGES``)."""
TC_AMPERE_STAGE_BYTES = 16 * 1024
"""One stage of it: A's 128 x 64-byte and B's 32 x 256-byte slabs."""
STATIC_SHARED_LIMIT_BYTES = 48 * 1024
"""The most static shared memory a kernel may declare; more is dynamic and needs the
kernel's maximum raised at launch (CUDA C Programming Guide, "Shared Memory")."""


def tc_ampere_dynamic_shared_bytes(stages: int) -> int:
    """Dynamic shared memory the Ampere-class kernel of ``stages`` launches with: none while
    its stages fit the static limit, all of them beyond it."""
    size = stages * TC_AMPERE_STAGE_BYTES
    return size if size > STATIC_SHARED_LIMIT_BYTES else 0


TC_HOPPER_MODULE = "gpusim.cuda.kernels.gemm_tc_hopper"


NumberFormat = Literal["fp32", "tf32", "fp16", "bf16", "int8", "fp8"]
"""The number formats a GEMM's A and B can hold (a scenario's ``workload.dtype``)."""
InputDtype = Literal["float32", "tfloat32", "float16", "bfloat16", "int8", "float8_e4m3"]
"""How a kernel's A and B are held: NumPy's name, or ``tfloat32`` / ``bfloat16`` /
``float8_e4m3`` (fp32, uint16 and uint8 storage holding values of that format)."""
INPUT_DTYPES: dict[NumberFormat, InputDtype] = {
    "fp32": "float32",
    "tf32": "tfloat32",
    "fp16": "float16",
    "bf16": "bfloat16",
    "int8": "int8",
    "fp8": "float8_e4m3",
}
"""The storage of each format some kernel takes (fp8: e4m3, the Hopper kernel's)."""
TENSOR_CORE_MIN_COMPUTE_CAPABILITY: dict[NumberFormat, tuple[int, int]] = {
    "fp16": (7, 0),
    "int8": (7, 5),
    "tf32": (8, 0),
    "bf16": (8, 0),
    "fp8": (8, 9),
}
"""The oldest GPU whose ``mma`` takes each input type (PTX ISA, "Warp-level matrix multiply":
.f16 sm_70, .s8 sm_75, .bf16 and .tf32 sm_80, .e4m3 and .e5m2 sm_89)."""
TF32_DROPPED_BITS = 13
"""An fp32 mantissa's 23 bits less tf32's 10."""
INT8_SCALE = 127
"""``to_input``'s int8 codes: values in (-1, 1) times 127, rounded (symmetric quantisation)."""
INT32_POISON = int(np.iinfo(np.int32).max)
"""What an int32 output holds before the kernel writes it, all ones as integer outputs are
poisoned (no GEMM of int8 codes reaches it below k = 2^31 / 127^2, about 133000)."""
POISONED_INT32 = Constant(INT32_POISON)
U32_INDEX_MAX_SIZE = 2**31
"""The largest m, n and k of kernels that index and count their k loop in 32 bits (``u32``,
as the source's CUDA C does in ``int``): an index and its last step stay below 2^32."""


def check_format_on_gpu(number_format: NumberFormat, cc: tuple[int, int], gpu_name: str) -> None:
    """KernelError if a GPU of compute capability ``cc`` has no tensor cores for the format."""
    needed = TENSOR_CORE_MIN_COMPUTE_CAPABILITY.get(number_format)
    if needed is not None and cc < needed:
        raise KernelError(
            f"the {gpu_name} (compute capability {cc[0]}.{cc[1]}) has no {number_format} "
            f"tensor cores: {number_format} needs {needed[0]}.{needed[1]} or newer"
        )


def storage_dtype(input_dtype: str) -> npt.DTypeLike:
    """The NumPy dtype an input format is held in: bf16 as its 16 bits (uint16), tf32 in
    fp32."""
    storage = {"bfloat16": np.uint16, "tfloat32": np.float32, "float8_e4m3": np.uint8}
    return storage.get(input_dtype, input_dtype)


def to_input(values: npt.NDArray[np.float32], input_dtype: str) -> npt.NDArray[Any]:
    """fp32 values rounded to nearest (ties to even) in ``input_dtype``'s storage: bf16 keeps
    the upper 16 bits, tf32 the upper 19 (10 mantissa bits), e4m3 as ``fp8`` rounds
    (saturating at 448), int8 takes codes of values in (-1, 1) (``INT8_SCALE``)."""
    if input_dtype == "float8_e4m3":
        return float_to_e4m3(values)
    if input_dtype == "int8":
        codes: npt.NDArray[np.int8] = np.rint(values * np.float32(INT8_SCALE)).astype(np.int8)
        return codes
    if input_dtype not in ("bfloat16", "tfloat32"):
        return values.astype(input_dtype, copy=False)
    dropped = np.uint32(16 if input_dtype == "bfloat16" else TF32_DROPPED_BITS)
    bits = values.astype(np.float32).view(np.uint32)
    half = (np.uint32(1) << (dropped - np.uint32(1))) - np.uint32(1)
    rounded = (bits + half + ((bits >> dropped) & np.uint32(1))) >> dropped
    if input_dtype == "bfloat16":
        return rounded.astype(np.uint16)
    return (rounded << dropped).view(np.float32)


def gemm_draw_dtype(input_dtype: str) -> npt.DTypeLike:
    """The dtype inputs are drawn in before ``to_input``: fp32 for the formats NumPy lacks
    (bf16, tf32, e4m3) or that take codes (int8), the format itself otherwise."""
    drawn_in_fp32 = ("bfloat16", "tfloat32", "int8", "float8_e4m3")
    return np.float32 if input_dtype in drawn_in_fp32 else input_dtype


def input_as_float64(array: Any, input_dtype: str) -> npt.NDArray[np.float64]:
    """An input array's values, exactly, in fp64 (bf16 bits are an fp32's upper half)."""
    if input_dtype == "float8_e4m3":
        return e4m3_to_float64(np.asarray(array, np.uint8))
    if input_dtype != "bfloat16":
        return np.asarray(array, np.float64)
    widened = np.asarray(array, np.uint16).astype(np.uint32) << np.uint32(16)
    return widened.view(np.float32).astype(np.float64)


@dataclass(frozen=True, kw_only=True)
class GemmKernelDef(KernelDef[GemmParams]):
    """A GEMM variant: each CTA computes a ``cta_tile_m`` x ``cta_tile_n`` tile of C.

    ``m_multiple`` / ``n_multiple`` / ``k_multiple`` are the sizes the kernel requires to
    divide m, n, k (1: any size, the kernel guards its edges). Arguments are (A, B, C) with
    A, B in ``number_format`` (held as ``input_dtype``) and C fp32 (int32 for int8). B is
    k x n (``b_layout = "k_by_n"``) or, for kernels that read B along k as int8
    tensor-core GEMMs do (cuBLASLt's IMMA takes only transposed-B, "TN", layouts), n x k
    (``"n_by_k"``). ``tensor_cores`` says which roof bounds it.
    ``grid_x_walks`` is the dimension of C that blockIdx.x walks: columns (``"n"``) for
    every kernel but the source's kernels 1 and 2 (``gemm_naive_uncoalesced``,
    ``gemm_naive``), whose grid x walks rows (``"m"``) as the source's runner launches them.
    ``max_size`` is the largest m, n and k the kernel takes (None: no limit below the
    operands' size).
    """

    family: Literal["gemm"] = "gemm"
    params_type: type[GemmParams] = GemmParams
    output_arg: int = 2
    size_syntax: str = "MxNxK or N (a cube)"
    tensor_cores: bool = False
    cta_tile_m: int
    cta_tile_n: int
    block: tuple[int, int, int]
    number_format: NumberFormat = "fp32"
    b_layout: Literal["k_by_n", "n_by_k"] = "k_by_n"
    m_multiple: int = 1
    n_multiple: int = 1
    k_multiple: int = 1
    grid_x_walks: Literal["n", "m"] = "n"
    dynamic_shared_bytes: int = 0
    """Dynamic shared memory each CTA launches with (0: its shared memory is all static)."""
    max_size: int | None = None

    @property
    def input_dtype(self) -> InputDtype:
        """How A and B are held (``INPUT_DTYPES``)."""
        return INPUT_DTYPES[self.number_format]

    @property
    def output_dtype(self) -> npt.DTypeLike:
        """C's dtype: int32 accumulators for int8, fp32 otherwise."""
        return np.int32 if self.number_format == "int8" else np.float32

    def operand_shapes(self, params: GemmParams) -> tuple[tuple[int, int], tuple[int, int]]:
        """The shapes of A and B (B as ``b_layout`` holds it)."""
        b_shape = (params.k, params.n) if self.b_layout == "k_by_n" else (params.n, params.k)
        return (params.m, params.k), b_shape

    def params_from_size(self, numbers: tuple[int, ...], options: SizeOptions) -> GemmParams | None:
        if len(numbers) == 1:
            return GemmParams(numbers[0], numbers[0], numbers[0])
        if len(numbers) == 3:
            return GemmParams(*numbers)
        return None

    def numba_signature(self, params: GemmParams) -> str:
        t = np.dtype(storage_dtype(self.input_dtype)).name
        return f"void({t}[:, ::1], {t}[:, ::1], {np.dtype(self.output_dtype).name}[:, ::1])"

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
            if self.max_size is not None and value > self.max_size:
                raise KernelError(
                    f"{self.name}: {field} must be at most {self.max_size} for its 32-bit "
                    f"indices, got {value}"
                )

    def launch_for(self, params: GemmParams) -> LaunchConfig:
        columns = ceil_div(params.n, self.cta_tile_n)
        rows = ceil_div(params.m, self.cta_tile_m)
        grid = (columns, rows, 1) if self.grid_x_walks == "n" else (rows, columns, 1)
        return LaunchConfig(
            grid=grid, block=self.block, dynamic_shared_bytes=self.dynamic_shared_bytes
        )

    def operands(self, params: GemmParams) -> tuple[Operand, ...]:
        """A and B drawn in fp32 and rounded to the input format; C poisoned."""
        self.check(params)
        drawn = RandomNonzero(np.float32, functools.partial(to_input, input_dtype=self.input_dtype))
        storage = storage_dtype(self.input_dtype)
        a_shape, b_shape = self.operand_shapes(params)
        poison = POISONED_INT32 if self.number_format == "int8" else POISONED
        return (
            Operand.of(a_shape, storage, drawn),
            Operand.of(b_shape, storage, drawn),
            Operand.of((params.m, params.n), self.output_dtype, poison),
        )

    def reference(self, args: tuple[KernelArg, ...], params: GemmParams) -> npt.NDArray[Any]:
        """The exact product of the given inputs, rounded once to C's type.

        Every input format converts to fp64 exactly and fp64 accumulation is far more precise
        than any kernel's fp32 accumulation, so the kernel's error against this reference is
        its own rounding alone; int8 products summed in fp64 are exact (below 2^53).
        """
        a, b = (input_as_float64(args[i], self.input_dtype) for i in (0, 1))
        return (a @ (b if self.b_layout == "k_by_n" else b.T)).astype(self.output_dtype)

    def flops(self, params: GemmParams) -> int:
        return 2 * params.m * params.n * params.k

    def min_dram_bytes(self, params: GemmParams) -> int:
        input_itemsize_bytes = np.dtype(storage_dtype(self.input_dtype)).itemsize
        inputs_bytes = (params.m * params.k + params.k * params.n) * input_itemsize_bytes
        return inputs_bytes + params.m * params.n * np.dtype(self.output_dtype).itemsize


GEMM_NAIVE_UNCOALESCED = GemmKernelDef(
    name="gemm_naive_uncoalesced",
    kernel_module=LADDER_MODULE,
    sample_params=GemmParams(m=33, n=47, k=19),
    cta_tile_m=32,
    cta_tile_n=32,
    block=(32, 32, 1),
    grid_x_walks="m",
    max_size=U32_INDEX_MAX_SIZE,
    rel_tolerance=1e-5,
    planning_flops_per_s=0.3e12,
)
"""The source's kernel 1: 32x32 threads, threadIdx.x along rows of C."""

GEMM_NAIVE = GemmKernelDef(
    name="gemm_naive",
    kernel_module=SIMT_MODULE,
    sample_params=GemmParams(m=33, n=47, k=19),
    cta_tile_m=32,
    cta_tile_n=32,
    block=(32, 32, 1),
    grid_x_walks="m",
    max_size=U32_INDEX_MAX_SIZE,
    rel_tolerance=1e-5,
    planning_flops_per_s=1.5e12,
)
"""The source's kernel 2: 32x32 threads, threadIdx.x along columns of C, grid x along rows."""


def _smem_tiled(tile: int, sample_params: GemmParams, planning_flops_per_s: float) -> GemmKernelDef:
    return GemmKernelDef(
        name=f"gemm_smem_tiled_{tile}",
        kernel_module=SIMT_MODULE,
        sample_params=sample_params,
        cta_tile_m=tile,
        cta_tile_n=tile,
        block=(tile, tile, 1),
        max_size=U32_INDEX_MAX_SIZE,
        rel_tolerance=1e-5,
        planning_flops_per_s=planning_flops_per_s,
    )


def _register_blocked(
    cta_tile: int,
    micro_tile: int,
    k_tile: int,
    sample_params: GemmParams,
    planning_flops_per_s: float,
) -> GemmKernelDef:
    edge_threads = cta_tile // micro_tile
    return GemmKernelDef(
        name=f"gemm_register_blocked_{cta_tile}",
        kernel_module=SIMT_MODULE,
        sample_params=sample_params,
        cta_tile_m=cta_tile,
        cta_tile_n=cta_tile,
        block=(edge_threads, edge_threads, 1),
        m_multiple=cta_tile,
        n_multiple=cta_tile,
        k_multiple=k_tile,
        rel_tolerance=1e-5,
        planning_flops_per_s=planning_flops_per_s,
    )


GEMM_1D_BLOCKTILED_64 = GemmKernelDef(
    name="gemm_1d_blocktiled_64",
    kernel_module=LADDER_MODULE,
    sample_params=GemmParams(m=64, n=128, k=16),
    cta_tile_m=64,
    cta_tile_n=64,
    block=(512, 1, 1),
    m_multiple=64,
    n_multiple=64,
    k_multiple=8,
    max_size=U32_INDEX_MAX_SIZE,
    rel_tolerance=1e-5,
    planning_flops_per_s=8e12,
)
"""The source's kernel 4: BM = BN = 64, BK = 8, TM = 8 results per thread, 512 threads."""

GEMM_VECTORIZED_128 = GemmKernelDef(
    name="gemm_vectorized_128",
    kernel_module=LADDER_MODULE,
    sample_params=GemmParams(m=128, n=256, k=16),
    cta_tile_m=128,
    cta_tile_n=128,
    block=(256, 1, 1),
    m_multiple=128,
    n_multiple=128,
    k_multiple=8,
    rel_tolerance=1e-5,
    planning_flops_per_s=14e12,
)
"""The source's kernel 6: kernel 5's tiles with float4 accesses and A transposed in shared."""

GEMM_TENSOR_CORE = GemmKernelDef(
    name="gemm_tensor_core",
    kernel_module=TENSOR_CORE_MODULE,
    sample_params=GemmParams(m=64, n=128, k=64),
    tensor_cores=True,
    cta_tile_m=64,
    cta_tile_n=64,
    block=(128, 1, 1),
    number_format="fp16",
    m_multiple=64,
    n_multiple=64,
    k_multiple=32,
    # PTX leaves the tensor core's internal accumulation order and rounding unspecified;
    # 1e-4 bounds it with margin for k up to many thousands of fp32 additions.
    rel_tolerance=1e-4,
    runs_on_cudasim=False,
    min_compute_capability=(8, 0),  # mma.sync.m16n8k16 with fp16 inputs: sm_80 and newer
    planning_flops_per_s=40e12,
)


def _tc_ampere(
    number_format: Literal["fp16", "bf16", "tf32", "int8"],
    k_tile: int,
    b_layout: Literal["k_by_n", "n_by_k"],
    rel_tolerance: float,
    stages: int = TC_AMPERE_STAGES,
) -> GemmKernelDef:
    """The Ampere-class tensor-core GEMM (``gemm_tc_ampere``) for one input format: the same
    128 x 128 tile and 64-byte k-rows of A in every format, so ``k_tile`` elements each.
    Other pipeline depths than ``TC_AMPERE_STAGES`` (fp16 only) carry it in their name."""
    suffix = "" if stages == TC_AMPERE_STAGES else f"_stages{stages}"
    return GemmKernelDef(
        name=f"gemm_tc_ampere_{number_format}{suffix}",
        dynamic_shared_bytes=tc_ampere_dynamic_shared_bytes(stages),
        kernel_module=TC_AMPERE_MODULE,
        sample_params=GemmParams(m=128, n=256, k=4 * k_tile),
        tensor_cores=True,
        cta_tile_m=128,
        cta_tile_n=128,
        block=(256, 1, 1),
        number_format=number_format,
        b_layout=b_layout,
        m_multiple=128,
        n_multiple=128,
        k_multiple=k_tile,
        rel_tolerance=rel_tolerance,
        runs_on_cudasim=False,
        # cp.async and ldmatrix: sm_80 (and mma.m16n8k16 bf16, m16n8k8 tf32)
        min_compute_capability=(8, 0),
        planning_flops_per_s=200e12,
    )


# As gemm_tensor_core: the tensor core's accumulation order and rounding are not specified
# by PTX; 1e-4 bounds them for k up to many thousands. int8 accumulates exactly in int32.
GEMM_TC_AMPERE_FP16 = _tc_ampere("fp16", 32, "k_by_n", 1e-4)
GEMM_TC_AMPERE_BF16 = _tc_ampere("bf16", 32, "k_by_n", 1e-4)
GEMM_TC_AMPERE_TF32 = _tc_ampere("tf32", 16, "n_by_k", 1e-4)
GEMM_TC_AMPERE_INT8 = _tc_ampere("int8", 64, "n_by_k", 0.0)
GEMM_TC_AMPERE_FP16_DEPTHS = tuple(
    _tc_ampere("fp16", 32, "k_by_n", 1e-4, stages) for stages in (1, 2, 4)
)
"""The fp16 kernel with a pipeline of 1, 2 and 4 stages (``gemm_tc_ampere_fp16`` has 3)."""

HOPPER_STAGES = 4
HOPPER_ROW_BYTES = 128
"""A k-tile row of A and B: one 128-byte swizzle span (64 bf16/fp16, 128 e4m3)."""
HOPPER_SWIZZLE_BYTES = 128
HOPPER_ALIGN_BYTES = 1024
"""Slack that lets the kernel start its stages on a 128-byte swizzle atom (8 x 128 bytes)."""


@dataclass(frozen=True)
class TensorMaps(Computed):
    """A Hopper GEMM's fourth argument: A's and B's tensor maps, one 16-word row each, in
    the emulator's encoding (``gpusim.cuda.ptx.tensor_map``); a GPU run replaces them with
    the driver's (``gpusim.validate.tensor_maps``)."""

    maps: tuple[TensorMap2d, ...]

    def values(self, indices: Indices, dtype: np.dtype[Any]) -> Values:
        words = np.concatenate([tensor_map.words() for tensor_map in self.maps])
        return words[indices].astype(dtype)


@dataclass(frozen=True, kw_only=True)
class HopperGemmKernelDef(GemmKernelDef):
    """The Hopper GEMM (``gemm_tc_hopper``): A m x k and B n x k through the TMA, whose
    tensor maps are a fourth argument (``tensor_maps``), and a dynamic shared-memory ring
    of ``HOPPER_STAGES`` stages of A's and B's ``cta_tile`` rows of ``HOPPER_ROW_BYTES``
    (``k_multiple`` elements)."""

    def tensor_maps(self, params: GemmParams) -> tuple[TensorMap2d, TensorMap2d]:
        """A's box of 128 bytes of k by ``cta_tile_m`` rows and B's by ``cta_tile_n``,
        128-byte swizzle (arguments 0 and 1)."""
        element_bytes = np.dtype(storage_dtype(self.input_dtype)).itemsize
        return (
            self._map(0, params.m, params.k, self.cta_tile_m, element_bytes),
            self._map(1, params.n, params.k, self.cta_tile_n, element_bytes),
        )

    @staticmethod
    def _map(argument: int, rows: int, k: int, box_rows: int, element_bytes: int) -> TensorMap2d:
        return TensorMap2d(
            argument=argument,
            element_bytes=element_bytes,
            dims=(k, rows),
            row_stride_bytes=k * element_bytes,
            box=(HOPPER_ROW_BYTES // element_bytes, box_rows),
            swizzle_bytes=HOPPER_SWIZZLE_BYTES,
        )

    def numba_signature(self, params: GemmParams) -> str:
        return super().numba_signature(params).replace("])", "], uint64[:, ::1])")

    def launch_for(self, params: GemmParams) -> LaunchConfig:
        grid = super().launch_for(params).grid
        stage_bytes = (self.cta_tile_m + self.cta_tile_n) * HOPPER_ROW_BYTES
        dynamic = HOPPER_STAGES * stage_bytes + HOPPER_ALIGN_BYTES
        return LaunchConfig(grid=grid, block=self.block, dynamic_shared_bytes=dynamic)

    def operands(self, params: GemmParams) -> tuple[Operand, ...]:
        maps = self.tensor_maps(params)
        return (
            *super().operands(params),
            Operand.of((len(maps), MAP_WORDS), np.uint64, TensorMaps(maps)),
        )


def _tc_hopper(
    number_format: Literal["fp16", "bf16", "fp8"], element_bytes: int, rel_tolerance: float
) -> HopperGemmKernelDef:
    """The Hopper GEMM for one input format of ``element_bytes``."""
    k_tile = HOPPER_ROW_BYTES // element_bytes
    return HopperGemmKernelDef(
        name=f"gemm_tc_hopper_{number_format}",
        kernel_module=TC_HOPPER_MODULE,
        sample_params=GemmParams(m=128, n=512, k=5 * k_tile),
        tensor_cores=True,
        cta_tile_m=128,
        cta_tile_n=256,
        block=(256, 1, 1),
        number_format=number_format,
        b_layout="n_by_k",
        m_multiple=128,
        n_multiple=256,
        k_multiple=k_tile,
        rel_tolerance=rel_tolerance,
        runs_on_cudasim=False,
        min_compute_capability=(9, 0),  # wgmma, cp.async.bulk.tensor: sm_90a
        planning_flops_per_s=600e12,
    )


# As the Ampere kernel: the tensor core's accumulation order and rounding are not specified
# by PTX. fp8 wgmma on H800 accumulates with about 14 bits of precision (DeepSeek-V3
# technical report, 2024, section 3.3.2), far from fp32's 24: 1e-2 bounds its error.
GEMM_TC_HOPPER_BF16 = _tc_hopper("bf16", 2, 1e-4)
GEMM_TC_HOPPER_FP16 = _tc_hopper("fp16", 2, 1e-4)
GEMM_TC_HOPPER_FP8 = _tc_hopper("fp8", 1, 1e-2)

VARIANTS: tuple[GemmKernelDef, ...] = (
    GEMM_NAIVE_UNCOALESCED,
    GEMM_NAIVE,
    _smem_tiled(16, GemmParams(m=40, n=24, k=36), planning_flops_per_s=2.5e12),
    _smem_tiled(32, GemmParams(m=33, n=32, k=40), planning_flops_per_s=3.0e12),
    _register_blocked(64, 4, 16, GemmParams(m=64, n=128, k=32), planning_flops_per_s=10e12),
    _register_blocked(128, 8, 8, GemmParams(m=128, n=128, k=16), planning_flops_per_s=12e12),
    GEMM_1D_BLOCKTILED_64,
    GEMM_VECTORIZED_128,
    GEMM_TENSOR_CORE,
    GEMM_TC_AMPERE_FP16,
    GEMM_TC_AMPERE_BF16,
    GEMM_TC_AMPERE_TF32,
    GEMM_TC_AMPERE_INT8,
    *GEMM_TC_AMPERE_FP16_DEPTHS,
    GEMM_TC_HOPPER_BF16,
    GEMM_TC_HOPPER_FP16,
    GEMM_TC_HOPPER_FP8,
)
"""Every GEMM variant, in the order the registry lists them."""
