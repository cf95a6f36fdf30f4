"""What a GPU recording of the Hopper GEMM asks of the driver (the call itself needs a GPU):
``cuTensorMapEncodeTiled``'s arguments, and host arguments shaped as ``make_args``'."""

from __future__ import annotations

import numpy as np

from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.kernels.gemm_def import (
    GEMM_TC_HOPPER_BF16,
    GEMM_TC_HOPPER_FP8,
    GEMM_TC_HOPPER_FP16,
)
from gpusim.validate.inputs import HostInputs
from gpusim.validate.runners import host_args
from gpusim.validate.tensor_maps import TiledEncoding, tiled_encoding


def test_the_driver_gets_the_kernels_boxes_over_the_device_arrays() -> None:
    a_map = GEMM_TC_HOPPER_BF16.tensor_maps(GemmParams(1024, 512, 256))[0]
    assert tiled_encoding(a_map, "bfloat16", 0x7F0000000000) == TiledEncoding(
        data_type="CU_TENSOR_MAP_DATA_TYPE_BFLOAT16",
        global_address=0x7F0000000000,
        global_dims=(256, 1024),  # k contiguous, then m rows
        global_strides_bytes=(512,),
        box_dims=(64, 128),
        element_strides=(1, 1),
        swizzle="CU_TENSOR_MAP_SWIZZLE_128B",
    )
    fp16_b_map = GEMM_TC_HOPPER_FP16.tensor_maps(GemmParams(1024, 512, 256))[1]
    encoding = tiled_encoding(fp16_b_map, "float16", 0x7F0000400000)
    assert encoding.data_type == "CU_TENSOR_MAP_DATA_TYPE_FLOAT16"
    assert encoding.global_dims == (256, 512) and encoding.box_dims == (64, 256)  # B: 256 rows
    fp8_a_map = GEMM_TC_HOPPER_FP8.tensor_maps(GemmParams(1024, 512, 256))[0]
    encoding = tiled_encoding(fp8_a_map, "float8_e4m3", 0x7F0000800000)
    assert encoding.data_type == "CU_TENSOR_MAP_DATA_TYPE_UINT8"
    assert encoding.global_strides_bytes == (256,) and encoding.box_dims == (128, 128)


def test_host_arguments_have_make_args_shapes_with_the_maps_fourth() -> None:
    kernel, params = GEMM_TC_HOPPER_BF16, GemmParams(256, 256, 64)
    inputs = HostInputs(seed=1, threads=2)
    inputs.reserve(np.dtype(np.float32), params.m * params.k + params.k * params.n)
    pooled = host_args(kernel, params, inputs)
    expected = kernel.make_args(params, np.random.default_rng(0))
    assert [(np.shape(a), np.asarray(a).dtype) for a in pooled] == [
        (np.shape(e), np.asarray(e).dtype) for e in expected
    ]
    assert np.array_equal(np.asarray(pooled[3]), np.asarray(expected[3]))
