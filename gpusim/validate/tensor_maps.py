"""A Hopper GEMM's launch on a GPU: the driver's tensor maps and its dynamic shared memory.

The kernel's fourth argument holds A's and B's ``CUtensorMap`` (``gemm_tc_hopper``). The
facts (``HopperGemmKernelDef.tensor_maps``) describe each map in gpusim's terms; here they
become ``cuTensorMapEncodeTiled``'s arguments with the device arrays' addresses, and the
driver's 128-byte encodings are copied to the device. Numba launches with the default 48
KiB limit of dynamic shared memory; the kernel's ring needs more, which the kernel's
``CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES`` allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.kernels.gemm_def import HopperGemmKernelDef
from gpusim.cuda.ptx.tensor_map import MAP_WORDS, TensorMap2d

DATA_TYPES = {
    "bfloat16": "CU_TENSOR_MAP_DATA_TYPE_BFLOAT16",
    "float16": "CU_TENSOR_MAP_DATA_TYPE_FLOAT16",
    "float8_e4m3": "CU_TENSOR_MAP_DATA_TYPE_UINT8",
}
"""``CUtensorMapDataType`` of each input storage the Hopper kernels take (the TMA moves
bytes: fp8 travels as uint8, as CUTLASS maps it)."""
SWIZZLES = {
    0: "CU_TENSOR_MAP_SWIZZLE_NONE",
    32: "CU_TENSOR_MAP_SWIZZLE_32B",
    64: "CU_TENSOR_MAP_SWIZZLE_64B",
    128: "CU_TENSOR_MAP_SWIZZLE_128B",
}


@dataclass(frozen=True)
class TiledEncoding:
    """``cuTensorMapEncodeTiled``'s arguments for one map (enums by name)."""

    data_type: str
    global_address: int
    global_dims: tuple[int, int]
    global_strides_bytes: tuple[int]
    box_dims: tuple[int, int]
    element_strides: tuple[int, int]
    swizzle: str


def tiled_encoding(tensor_map: TensorMap2d, input_dtype: str, address: int) -> TiledEncoding:
    """The driver's arguments for ``tensor_map`` over the device array at ``address``:
    dimension 1's stride (dimension 0 is contiguous), every element of the box."""
    return TiledEncoding(
        data_type=DATA_TYPES[input_dtype],
        global_address=address,
        global_dims=tensor_map.dims,
        global_strides_bytes=(tensor_map.row_stride_bytes,),
        box_dims=tensor_map.box,
        element_strides=(1, 1),
        swizzle=SWIZZLES[tensor_map.swizzle_bytes],
    )


def encode_tiled(encoding: TiledEncoding) -> npt.NDArray[np.uint64]:
    """The driver's 128-byte ``CUtensorMap`` for ``encoding``, as 16 uint64 words."""
    from cuda.bindings import driver

    error, tensor_map = driver.cuTensorMapEncodeTiled(
        getattr(driver.CUtensorMapDataType, encoding.data_type),
        len(encoding.global_dims),
        encoding.global_address,
        list(encoding.global_dims),
        list(encoding.global_strides_bytes),
        list(encoding.box_dims),
        list(encoding.element_strides),
        driver.CUtensorMapInterleave.CU_TENSOR_MAP_INTERLEAVE_NONE,
        getattr(driver.CUtensorMapSwizzle, encoding.swizzle),
        driver.CUtensorMapL2promotion.CU_TENSOR_MAP_L2_PROMOTION_NONE,
        driver.CUtensorMapFloatOOBfill.CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE,
    )
    if error != driver.CUresult.CUDA_SUCCESS:
        raise RuntimeError(f"cuTensorMapEncodeTiled failed: {error}")
    words = np.array([int(word) for word in tensor_map.opaque], np.uint64)
    assert words.size == MAP_WORDS
    return words


def device_tensor_maps(
    kernel: HopperGemmKernelDef, params: GemmParams, device_a: Any, device_b: Any
) -> Any:
    """A device array holding the driver's maps of A (row 0) and B (row 1)."""
    from numba import cuda

    addresses = (device_a.device_ctypes_pointer.value, device_b.device_ctypes_pointer.value)
    rows = [
        encode_tiled(tiled_encoding(tensor_map, kernel.input_dtype, address))
        for tensor_map, address in zip(kernel.tensor_maps(params), addresses, strict=True)
    ]
    return cuda.to_device(np.stack(rows))


def allow_dynamic_shared(dispatcher: Any, size_bytes: int) -> None:
    """Let the dispatcher's kernel launch with ``size_bytes`` of dynamic shared memory."""
    from cuda.bindings import driver

    attribute = driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    for compiled in dispatcher.overloads.values():
        function = compiled._codelibrary.get_cufunc()
        (error,) = driver.cuKernelSetAttribute(
            attribute, size_bytes, function.handle, function.device.id
        )
        if error != driver.CUresult.CUDA_SUCCESS:
            raise RuntimeError(f"cuKernelSetAttribute(max dynamic shared) failed: {error}")
