"""The kernel registry: names, facts, sizes, launch configurations, arguments, references,
work, errors."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import types
from typing import Any

import numpy as np
import pytest

from gpusim.cuda.compile import KERNELS_PACKAGE
from gpusim.cuda.kernels import (
    KERNEL_NAMES,
    KERNELS,
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelDef,
    KernelParams,
    LaunchConfig,
    PointerChaseParams,
    ReadBandwidthParams,
    SizeOptions,
    StreamParams,
    get_kernel,
    kernel_names,
)
from gpusim.cuda.kernels.gemm_def import HopperGemmKernelDef
from gpusim.errors import KernelError
from gpusim.workload import CopyWorkload, GemmWorkload

TC_AMPERE_FORMATS = ("fp16", "bf16", "tf32", "int8")
TC_AMPERE_DEPTH_NAMES = tuple(f"gemm_tc_ampere_fp16_stages{s}" for s in (1, 2, 4))
TC_HOPPER_NAMES = tuple(f"gemm_tc_hopper_{f}" for f in ("bf16", "fp16", "fp8"))

EXPECTED_NAMES = (
    "allreduce_reduce_scatter_step",
    "allreduce_all_gather_step",
    "allreduce_ring_single_device",
    "copy",
    "gemm_naive_uncoalesced",
    "gemm_naive",
    "gemm_smem_tiled_16",
    "gemm_smem_tiled_32",
    "gemm_register_blocked_64",
    "gemm_register_blocked_128",
    "gemm_1d_blocktiled_64",
    "gemm_vectorized_128",
    "gemm_tensor_core",
    "gemm_tc_ampere_fp16",
    "gemm_tc_ampere_bf16",
    "gemm_tc_ampere_tf32",
    "gemm_tc_ampere_int8",
    *TC_AMPERE_DEPTH_NAMES,
    *TC_HOPPER_NAMES,
    "pointer_chase",
    "read_bandwidth",
    "stream_scale",
)
"""Facts modules in name order (allreduce_def, copy_def, gemm_def, microbench_def)."""

LAUNCH_PARAMS: dict[str, KernelParams] = {
    "gemm_naive_uncoalesced": GemmParams(m=33, n=47, k=19),
    "gemm_naive": GemmParams(m=33, n=47, k=19),
    "gemm_smem_tiled_16": GemmParams(m=40, n=24, k=36),
    "gemm_smem_tiled_32": GemmParams(m=100, n=70, k=5),
    "gemm_register_blocked_64": GemmParams(m=128, n=192, k=32),
    "gemm_register_blocked_128": GemmParams(m=256, n=128, k=8),
    "gemm_1d_blocktiled_64": GemmParams(m=128, n=192, k=8),
    "gemm_vectorized_128": GemmParams(m=256, n=384, k=8),
    "gemm_tensor_core": GemmParams(m=128, n=256, k=64),
    "gemm_tc_ampere_fp16": GemmParams(m=256, n=384, k=64),
    "gemm_tc_ampere_bf16": GemmParams(m=256, n=384, k=64),
    "gemm_tc_ampere_tf32": GemmParams(m=256, n=384, k=32),
    "gemm_tc_ampere_int8": GemmParams(m=256, n=384, k=128),
    **dict.fromkeys(TC_AMPERE_DEPTH_NAMES, GemmParams(m=256, n=384, k=64)),
    "copy": CopyParams(size_bytes=16_000),
    "allreduce_reduce_scatter_step": AllreduceStepParams(elements=10, ranks=4, step=0, rank=0),
    "allreduce_all_gather_step": AllreduceStepParams(elements=10, ranks=4, step=0, rank=0),
    "allreduce_ring_single_device": AllreduceRingParams(elements=1000, ranks=4, step=0),
    "pointer_chase": PointerChaseParams(working_set_bytes=4096, steps=64),
    "read_bandwidth": ReadBandwidthParams(size_bytes=1 << 30, passes=2),
    "stream_scale": StreamParams(size_bytes=8 * 5000),
}


def test_registry_lists_every_kernel_in_order() -> None:
    assert KERNEL_NAMES == EXPECTED_NAMES
    assert [kernel.name for kernel in KERNELS] == list(EXPECTED_NAMES)
    assert [get_kernel(name).family for name in EXPECTED_NAMES] == (
        ["allreduce"] * 3 + ["copy"] + ["gemm"] * 19 + ["microbenchmark"] * 3
    )


def test_names_by_family_come_from_the_registry() -> None:
    assert kernel_names("allreduce") == EXPECTED_NAMES[:3]
    assert kernel_names("copy") == ("copy",)
    assert kernel_names("gemm") == EXPECTED_NAMES[4:23]
    assert kernel_names("microbenchmark") == EXPECTED_NAMES[23:]


def test_the_registry_loads_without_numba() -> None:
    # Scenario validation reads kernel facts; Numba loads only with a kernel function.
    code = (
        "import sys; from gpusim.cuda.kernels import KERNELS; "
        "assert 'numba' not in sys.modules; KERNELS[0].pyfunc; assert 'numba' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_the_kernel_function_is_its_modules_namesake(name: str) -> None:
    kernel = get_kernel(name)
    assert kernel.pyfunc.__module__ == kernel.kernel_module
    assert kernel.pyfunc.__name__ == name


def test_only_the_tensor_core_gemms_need_a_newer_gpu() -> None:
    needs = {kernel.name: kernel.min_compute_capability for kernel in KERNELS}
    ampere = (*(f"gemm_tc_ampere_{f}" for f in TC_AMPERE_FORMATS), *TC_AMPERE_DEPTH_NAMES)
    for name in ("gemm_tensor_core", *ampere):
        assert needs.pop(name) == (8, 0)
    for name in TC_HOPPER_NAMES:
        assert needs.pop(name) == (9, 0)
    assert set(needs.values()) == {None}
    tensor_core = get_kernel("gemm_tensor_core")
    tensor_core.check_compute_capability((8, 0), "A100")
    with pytest.raises(KernelError) as error:
        tensor_core.check_compute_capability((7, 0), "V100")
    assert (
        str(error.value) == "gemm_tensor_core needs compute capability 8.0 or newer, V100 has 7.0"
    )


@pytest.mark.parametrize(
    ("name", "size", "options", "params"),
    [
        ("gemm_naive", "64x32x16", SizeOptions(), GemmParams(64, 32, 16)),
        ("gemm_tensor_core", "128", SizeOptions(), GemmParams(128, 128, 128)),
        ("copy", "4096", SizeOptions(), CopyParams(4096)),
        (
            "allreduce_ring_single_device",
            "1000",
            SizeOptions(ranks=4, step=2),
            AllreduceRingParams(1000, 4, 2),
        ),
        (
            "allreduce_all_gather_step",
            "1000",
            SizeOptions(ranks=4, step=1, rank=3),
            AllreduceStepParams(1000, 4, 1, 3),
        ),
    ],
)
def test_command_line_sizes(name: str, size: str, options: SizeOptions, params: Any) -> None:
    assert get_kernel(name).parse_size(size, options) == params


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("gemm_naive", "64x32", "gemm_naive: size must be MxNxK or N (a cube), got '64x32'"),
        ("copy", "lots", "copy: size must be a byte count (a multiple of 16), got 'lots'"),
        ("copy", "4x4", "copy: size must be a byte count (a multiple of 16), got '4x4'"),
        (
            "allreduce_ring_single_device",
            "",
            "allreduce_ring_single_device: size must be an element count per rank, got ''",
        ),
    ],
)
def test_a_size_that_does_not_parse_names_the_syntax(name: str, size: str, message: str) -> None:
    with pytest.raises(KernelError) as error:
        get_kernel(name).parse_size(size)
    assert str(error.value) == message


def test_workloads_map_to_params_by_field_name() -> None:
    gemm = GemmWorkload(kernel="gemm_tensor_core", m=64, n=128, k=32)
    assert get_kernel("gemm_tensor_core").params_for(gemm) == GemmParams(64, 128, 32)
    assert get_kernel("copy").params_for(CopyWorkload(size_bytes=4096)) == CopyParams(4096)
    with pytest.raises(KernelError) as error:
        get_kernel("copy").params_for(gemm)
    assert str(error.value) == "copy: a GemmWorkload has no size_bytes for CopyParams"


def test_unknown_kernel_names_the_known_ones() -> None:
    with pytest.raises(KernelError) as error:
        get_kernel("gemm_magic")
    assert str(error.value) == (
        "unknown kernel 'gemm_magic'; known kernels: " + ", ".join(EXPECTED_NAMES)
    )


@pytest.mark.parametrize(
    ("name", "grid", "block"),
    [
        ("gemm_naive_uncoalesced", (2, 2, 1), (32, 32, 1)),  # grid x along rows of C
        ("gemm_naive", (2, 2, 1), (32, 32, 1)),  # grid x along rows, as the source's kernel 2
        ("gemm_smem_tiled_16", (2, 3, 1), (16, 16, 1)),
        ("gemm_smem_tiled_32", (3, 4, 1), (32, 32, 1)),
        ("gemm_register_blocked_64", (3, 2, 1), (16, 16, 1)),
        ("gemm_register_blocked_128", (1, 2, 1), (16, 16, 1)),
        ("gemm_1d_blocktiled_64", (3, 2, 1), (512, 1, 1)),
        ("gemm_vectorized_128", (3, 2, 1), (256, 1, 1)),
        ("gemm_tensor_core", (4, 2, 1), (128, 1, 1)),
        ("copy", (4, 1, 1), (256, 1, 1)),
        ("allreduce_reduce_scatter_step", (1, 1, 1), (256, 1, 1)),
        ("allreduce_all_gather_step", (1, 1, 1), (256, 1, 1)),
        ("allreduce_ring_single_device", (1, 4, 1), (256, 1, 1)),
        ("pointer_chase", (1, 1, 1), (1, 1, 1)),
        ("read_bandwidth", (1024, 1, 1), (256, 1, 1)),
        ("stream_scale", (5, 1, 1), (1024, 1, 1)),
    ],
)
def test_launch_configuration(
    name: str, grid: tuple[int, int, int], block: tuple[int, int, int]
) -> None:
    assert get_kernel(name).launch(LAUNCH_PARAMS[name]) == LaunchConfig(grid=grid, block=block)


def test_grid_stride_kernels_cap_their_grid() -> None:
    gibibyte = 1 << 30
    assert get_kernel("copy").launch(CopyParams(gibibyte)).grid == (1024, 1, 1)
    # 10^6 elements over 8 ranks: chunks of 125,000 elements need 489 blocks of 256.
    step = AllreduceStepParams(elements=10**6, ranks=8, step=3, rank=5)
    assert get_kernel("allreduce_reduce_scatter_step").launch(step).grid == (489, 1, 1)
    ring = AllreduceRingParams(elements=10**9, ranks=8, step=0)
    assert get_kernel("allreduce_ring_single_device").launch(ring).grid == (1024, 8, 1)


def test_launch_config_counts() -> None:
    config = get_kernel("gemm_tensor_core").launch(GemmParams(128, 256, 64))
    assert (config.blocks, config.threads_per_block, config.warps_per_block) == (8, 128, 4)
    assert config.dynamic_shared_bytes == 0


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (
            "gemm_register_blocked_64",
            GemmParams(m=100, n=64, k=16),
            "gemm_register_blocked_64: m must be a multiple of 64, got 100",
        ),
        (
            "gemm_register_blocked_128",
            GemmParams(m=128, n=192, k=8),
            "gemm_register_blocked_128: n must be a multiple of 128, got 192",
        ),
        (
            "gemm_register_blocked_128",
            GemmParams(m=128, n=128, k=12),
            "gemm_register_blocked_128: k must be a multiple of 8, got 12",
        ),
        (
            "gemm_tensor_core",
            GemmParams(m=64, n=64, k=48),
            "gemm_tensor_core: k must be a multiple of 32, got 48",
        ),
        (
            "gemm_naive",
            GemmParams(m=1, n=1, k=2**31 + 1),
            "gemm_naive: k must be at most 2147483648 for its 32-bit indices, got 2147483649",
        ),
        ("copy", CopyParams(size_bytes=100), "copy: size_bytes must be a multiple of 16, got 100"),
        ("copy", GemmParams(1, 1, 1), "copy: params must be CopyParams, got GemmParams"),
    ],
)
def test_sizes_a_kernel_cannot_run_are_rejected_by_name(
    name: str, params: KernelParams, message: str
) -> None:
    kernel = get_kernel(name)
    for method in (kernel.check, kernel.launch):
        with pytest.raises(KernelError) as error:
            method(params)
        assert str(error.value) == message
    with pytest.raises(KernelError, match=message):
        kernel.make_args(params, np.random.default_rng(0))


def test_tiled_gemms_accept_any_size_and_guard_their_edges() -> None:
    # The shared-memory tiled kernels zero-fill tile loads outside A and B (the self-check
    # runs them at sizes that are not tile multiples).
    for name in ("gemm_naive", "gemm_smem_tiled_16", "gemm_smem_tiled_32"):
        get_kernel(name).check(GemmParams(m=100, n=70, k=5))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GemmParams(0, 4, 4), "GemmParams: m must be positive, got 0"),
        (lambda: GemmParams(4, 4, -2), "GemmParams: k must be positive, got -2"),
        (lambda: GemmParams(4, 2.5, 4), "GemmParams: n must be an int, got 2.5"),
        (lambda: GemmParams(True, 4, 4), "GemmParams: m must be an int, got True"),
        (lambda: CopyParams(0), "CopyParams: size_bytes must be positive, got 0"),
        (
            lambda: AllreduceStepParams(10, 1, 0, 0),
            "AllreduceStepParams: ranks must be at least 2, got 1",
        ),
        (
            lambda: AllreduceStepParams(10, 4, 3, 0),
            "AllreduceStepParams: step must be in [0, 2], got 3",
        ),
        (
            lambda: AllreduceStepParams(10, 4, 0, 4),
            "AllreduceStepParams: rank must be in [0, 3], got 4",
        ),
        (
            lambda: AllreduceRingParams(10, 4, 6),
            "AllreduceRingParams: step must be in [0, 5], got 6",
        ),
    ],
)
def test_params_fail_fast_naming_the_field(make: Any, message: str) -> None:
    with pytest.raises(KernelError) as error:
        make()
    assert str(error.value) == message


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_NAMES)
def test_make_args_gives_nonzero_inputs_and_nan_outputs(kernel: KernelDef[Any]) -> None:
    params = kernel.sample_params
    args = kernel.make_args(params, np.random.default_rng(1))
    if isinstance(kernel, HopperGemmKernelDef):  # its tensor maps: descriptors, not data
        maps = np.stack([tensor_map.words() for tensor_map in kernel.tensor_maps(params)])
        assert np.array_equal(args[3], maps)
        args = args[:3]
    arrays = [arg for arg in args if isinstance(arg, np.ndarray)]
    output = args[kernel.output_arg]
    assert isinstance(output, np.ndarray)
    updated_in_place = kernel.family == "allreduce"  # the output buffer is also an input
    for arg in arrays:
        if arg is output and not updated_in_place and arg.dtype.kind in "fc":
            assert np.isnan(arg).all()
        elif arg is output and not updated_in_place:  # an index: all ones, never an index
            assert (arg == np.iinfo(arg.dtype).max).all()
        else:
            assert np.isfinite(arg).all() and np.count_nonzero(arg == 0) == 0
    ref = kernel.reference(args, params)
    assert ref.shape == output.shape and ref.dtype == output.dtype
    assert np.isfinite(ref).all()


def test_make_args_are_fresh_and_seeded() -> None:
    kernel = get_kernel("gemm_naive")
    params = GemmParams(8, 8, 8)
    first = kernel.make_args(params, np.random.default_rng(5))
    again = kernel.make_args(params, np.random.default_rng(5))
    other = kernel.make_args(params, np.random.default_rng(6))
    assert np.array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])


def test_gemm_arguments_types_and_signature() -> None:
    fp32 = get_kernel("gemm_register_blocked_64")
    fp16 = get_kernel("gemm_tensor_core")
    params = GemmParams(64, 64, 32)
    a, b, c = fp16.make_args(params, np.random.default_rng(0))
    assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and isinstance(c, np.ndarray)
    assert (a.dtype, b.dtype, c.dtype) == (np.float16, np.float16, np.float32)
    assert (a.shape, b.shape, c.shape) == ((64, 32), (32, 64), (64, 64))
    assert fp16.numba_signature(params) == "void(float16[:, ::1], float16[:, ::1], float32[:, ::1])"
    assert fp32.numba_signature(params) == "void(float32[:, ::1], float32[:, ::1], float32[:, ::1])"


def test_gemm_reference_is_the_exact_product_rounded_once() -> None:
    # Summed left to right in fp32, 1 + 2^-24 + 2^-24 rounds to 1 twice; the exact sum
    # 1 + 2^-23 is an fp32 number, and the reference gives it.
    a = np.array([[1.0, 2.0**-24, 2.0**-24]], dtype=np.float16)
    b = np.ones((3, 1), dtype=np.float16)
    c = np.full((1, 1), np.nan, np.float32)
    ref = get_kernel("gemm_tensor_core").reference((a, b, c), GemmParams(1, 1, 3))
    assert ref.dtype == np.float32
    assert ref[0, 0] == np.float32(1 + 2.0**-23)
    fp32_left_to_right = (np.float32(1) + np.float32(2.0**-24)) + np.float32(2.0**-24)
    assert fp32_left_to_right == np.float32(1)


def test_copy_arguments_are_16_byte_vectors() -> None:
    kernel = get_kernel("copy")
    src, dst = kernel.make_args(CopyParams(16 * 5), np.random.default_rng(0))
    assert isinstance(src, np.ndarray) and isinstance(dst, np.ndarray)
    assert (src.dtype, src.shape, dst.shape) == (np.complex128, (5,), (5,))
    assert np.isnan(dst).all()
    assert np.array_equal(kernel.reference((src, dst), CopyParams(80)), src)


@pytest.mark.parametrize(
    ("name", "params", "flops", "dram_bytes"),
    [
        ("gemm_naive", GemmParams(2, 3, 4), 48, (8 + 12) * 4 + 6 * 4),
        ("gemm_tensor_core", GemmParams(64, 64, 32), 2 * 64 * 64 * 32, 2 * 2048 * 2 + 4096 * 4),
        # tf32 held in fp32 words; int8 in bytes with an int32 C
        (
            "gemm_tc_ampere_tf32",
            GemmParams(128, 128, 16),
            2 * 128**2 * 16,
            2 * 2048 * 4 + 128**2 * 4,
        ),
        ("gemm_tc_ampere_int8", GemmParams(128, 128, 64), 2 * 128**2 * 64, 2 * 8192 + 128**2 * 4),
        ("copy", CopyParams(1 << 20), 0, 2 << 20),
        # Reduce-scatter step 0 of rank 0 of 4 over 10 elements: chunk 3 = [7, 10).
        ("allreduce_reduce_scatter_step", AllreduceStepParams(10, 4, 0, 0), 3, 3 * 3 * 4),
        # All-gather step 0 of rank 0: chunk 0 = [0, 2).
        ("allreduce_all_gather_step", AllreduceStepParams(10, 4, 0, 0), 0, 2 * 2 * 4),
        ("allreduce_ring_single_device", AllreduceRingParams(10, 4, 0), 10, 3 * 10 * 4),
        ("allreduce_ring_single_device", AllreduceRingParams(10, 4, 3), 0, 2 * 10 * 4),
    ],
)
def test_work_figures(name: str, params: KernelParams, flops: int, dram_bytes: int) -> None:
    kernel = get_kernel(name)
    assert kernel.flops(params) == flops
    assert kernel.min_dram_bytes(params) == dram_bytes


def test_only_the_tensor_core_gemms_need_a_real_device() -> None:
    assert [kernel.name for kernel in KERNELS if not kernel.runs_on_cudasim] == [
        "gemm_tensor_core",
        *(f"gemm_tc_ampere_{f}" for f in TC_AMPERE_FORMATS),
        *TC_AMPERE_DEPTH_NAMES,
        *TC_HOPPER_NAMES,
    ]


def _device_globals(kernel: KernelDef[Any]) -> dict[str, Any]:
    closure = inspect.getclosurevars(kernel.pyfunc)
    return {**closure.globals, **closure.nonlocals}


def _keyed_modules(module: types.ModuleType) -> set[str]:
    """The module and the kernel modules it imports from: what ``source_sha256`` hashes."""
    tree = ast.parse(inspect.getsource(module))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(KERNELS_PACKAGE)
    }
    return {module.__name__, *(name for name in imported if name)}


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_a_kernel_compiles_only_code_its_compile_key_covers(name: str) -> None:
    # The compile cache keys a kernel by its module's source and the kernel modules it
    # imports from: that is sound only while everything the kernel calls is defined there.
    kernel = get_kernel(name)
    module = sys.modules[kernel.pyfunc.__module__]
    keyed = _keyed_modules(module)
    for global_name, value in _device_globals(kernel).items():
        numpy_type = isinstance(value, type) and issubclass(value, np.generic)
        if isinstance(value, types.ModuleType | int | float) or numpy_type:
            continue
        defining = getattr(value, "_defn", value)  # a Numba intrinsic wraps its function
        assert defining.__module__ in keyed, global_name
