"""Traces on paged operands: a page materialises on first touch, the trace is the dense one.

The tracer never allocates a kernel's operands: each is a virtual array of the emulator's
global memory whose 1 KiB pages are filled on first touch (``Operand.elements_at``). The
traces of every registered kernel are identical on paged and on dense (``make_args``)
operands, and a GEMM far beyond host memory traces with only the pages its CTAs touch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.fit import check_fits_gpu
from gpusim.cuda.kernels import KERNELS, GemmParams, KernelDef, PointerChaseParams, get_kernel
from gpusim.cuda.kernels.operands import POISONED, Operand, RandomNonzero
from gpusim.cuda.ptx.emulator import PtxKernel
from gpusim.cuda.ptx.memory import (
    GLOBAL_ARRAYS_BASE,
    PAGE_BYTES,
    AccessFault,
    GlobalMemory,
    VirtualArray,
)
from gpusim.cuda.tracegen import TraceRequest, build_trace, trace_ptx, traced_arguments
from gpusim.errors import KernelError
from gpusim.spec.presets import gpu_preset

FP32_PER_PAGE = PAGE_BYTES // 4


class CountingElements:
    """``elements_at`` of an array whose element i is i (fp32), logging each call's size."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, indices: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
        self.calls.append(indices.size)
        return indices.astype(np.float32)


def mapped(elements: int) -> tuple[GlobalMemory, CountingElements]:
    memory = GlobalMemory()
    values = CountingElements()
    memory.map_array("arg0", VirtualArray((elements,), np.dtype(np.float32), values))
    return memory, values


def load_fp32(memory: GlobalMemory, element_indices: list[int]) -> list[float]:
    addresses = GLOBAL_ARRAYS_BASE + 4 * np.array(element_indices, dtype=np.uint64)
    out = np.empty(len(element_indices), dtype=np.uint32)
    for view, words, where in memory.locate(addresses, 4, 4):
        out[where] = view[words]
    return out.view(np.float32).tolist()


def test_a_virtual_array_holds_only_the_pages_touched() -> None:
    memory, values = mapped(1 << 30)  # 4 GiB of fp32, never allocated
    assert memory.resident_bytes() == 0
    assert load_fp32(memory, [0, 1, 31]) == [0.0, 1.0, 31.0]
    assert load_fp32(memory, [300_000_000, 5]) == [300_000_000.0, 5.0]
    assert memory.resident_bytes() == 2 * PAGE_BYTES
    assert values.calls == [FP32_PER_PAGE, FP32_PER_PAGE]


def test_written_pages_are_kept() -> None:
    memory, values = mapped(20 * FP32_PER_PAGE)
    addresses = GLOBAL_ARRAYS_BASE + 4 * np.array([7, 3000], dtype=np.uint64)
    for view, words, where in memory.locate(addresses, 4, 4):
        view[words] = np.array([-1.5, 2.5], dtype=np.float32).view(np.uint32)[where]
    assert load_fp32(memory, [7, 8, 3000]) == [-1.5, 8.0, 2.5]
    assert values.calls == [2 * FP32_PER_PAGE]  # both pages, filled by the store's access


def test_the_last_page_is_partial_and_bounds_stay_checked() -> None:
    memory, values = mapped(FP32_PER_PAGE + 44)
    assert load_fp32(memory, [FP32_PER_PAGE + 43]) == [FP32_PER_PAGE + 43.0]
    assert values.calls == [44]
    past_end = GLOBAL_ARRAYS_BASE + 4 * np.array([3, FP32_PER_PAGE + 44], dtype=np.uint64)
    with pytest.raises(AccessFault) as fault:
        memory.locate(past_end, 4, 4)
    assert fault.value.position == 1
    with pytest.raises(AccessFault, match="not 4-byte aligned"):
        memory.locate(np.array([GLOBAL_ARRAYS_BASE + 2], dtype=np.uint64), 4, 4)


def test_an_itemsize_that_does_not_divide_a_page_is_refused() -> None:
    with pytest.raises(ValueError, match="itemsize must divide 1024"):
        VirtualArray((4,), np.dtype((np.void, 12)), CountingElements())


def test_random_elements_depend_on_index_and_seed_only() -> None:
    operand = Operand.of((10_000,), np.float32, RandomNonzero(np.float32))
    whole = operand.elements_at(np.arange(10_000), seed=3)
    backwards = operand.elements_at(np.arange(10_000)[::-1].copy(), seed=3)
    assert np.array_equal(whole, backwards[::-1])
    assert not np.array_equal(whole, operand.elements_at(np.arange(10_000), seed=4))
    magnitudes = np.abs(whole)
    assert magnitudes.min() >= 0.25 and magnitudes.max() <= 1.0
    assert 0.45 < np.mean(whole < 0) < 0.55


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_paged_inputs_have_make_args_dtypes_and_no_zero(kernel: KernelDef[Any]) -> None:
    params = kernel.sample_params
    dense = kernel.make_args(params, np.random.default_rng(0))
    for arg, operand in zip(dense, kernel.operands(params), strict=True):
        if not isinstance(operand, Operand):
            assert arg == operand
            continue
        assert isinstance(arg, np.ndarray)
        assert (operand.shape, operand.dtype) == (arg.shape, arg.dtype)
        values = operand.elements_at(np.arange(operand.size), seed=1)
        assert values.dtype == arg.dtype and values.size == arg.size
        if isinstance(operand.contents, RandomNonzero):
            assert np.all(values.view(arg.dtype) != 0)
        elif operand.contents is not POISONED:
            assert np.array_equal(values.reshape(arg.shape), arg)  # not random: the same data


def test_the_pointer_chain_is_the_same_paged_and_dense() -> None:
    kernel = get_kernel("pointer_chase")
    params = PointerChaseParams(working_set_bytes=128 * 1000, steps=10)
    chain = kernel.make_args(params, np.random.default_rng(0))[0]
    operand = kernel.operands(params)[0]
    assert isinstance(operand, Operand)
    assert np.array_equal(operand.elements_at(np.arange(operand.size), seed=9), chain)


def dense_trace_arrays(kernel: KernelDef[Any], params: Any, path: Path) -> dict[str, Any]:
    """The trace of ``params`` on ``make_args``' host arrays, as its saved arrays."""
    compiled = compile_ptx(kernel, params)
    config = kernel.launch(params)
    request = TraceRequest(
        kernel=kernel.name,
        params=dataclasses.asdict(params),
        grid=config.grid,
        block=config.block,
        registers_per_thread=compiled.registers_per_thread,
        cc=(9, 0),
        dynamic_shared_bytes=config.dynamic_shared_bytes,
        static_shared_bytes=compiled.static_shared_bytes,
    )
    args = list(kernel.make_args(params, np.random.default_rng(0)))
    trace_ptx(compiled.ptx, args, request).save(path)
    with np.load(path) as arrays:
        return {name: arrays[name] for name in arrays.files}


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_the_trace_on_paged_operands_is_the_dense_trace(
    kernel: KernelDef[Any], tmp_path: Path
) -> None:
    params = kernel.sample_params
    build_trace(kernel.name, params).save(tmp_path / "paged.npz")
    dense = dense_trace_arrays(kernel, params, tmp_path / "dense.npz")
    with np.load(tmp_path / "paged.npz") as paged:
        assert sorted(paged.files) == sorted(dense)
        different = [name for name in paged.files if not np.array_equal(paged[name], dense[name])]
    assert different == []


def test_a_16_gib_gemm_traces_on_the_pages_its_ctas_touch() -> None:
    """C is 65536 x 65536 fp32 (16 GiB), A and B 8 MiB each (k = 32: one tile step)."""
    kernel = get_kernel("gemm_smem_tiled_32")
    params = GemmParams(65536, 65536, 32)
    trace = build_trace(kernel.name, params)
    assert (len(trace.classes), trace.launch.ctas) == (1, 2048 * 2048)
    config = kernel.launch(params)
    launch = PtxKernel(compile_ptx(kernel, params).ptx).launch(
        traced_arguments(kernel, params), config.grid, config.block
    )
    launch.run([(0, 0, 0)])
    # CTA (0, 0) touches a 32 x 32 fp32 tile of each operand: A's 32 rows of 128 bytes are
    # 4 consecutive pages, B's and C's rows (256 KiB apart) one page each.
    assert launch.global_memory.resident_bytes() == (4 + 32 + 32) * PAGE_BYTES


def test_a_32768_cubed_fp32_gemm_fits_an_h100_and_the_check_still_refuses_beyond() -> None:
    h100 = gpu_preset("H100-SXM5-80GB")
    check_fits_gpu("gemm_smem_tiled_32", GemmParams(32768, 32768, 32768), **_gpu(h100))
    with pytest.raises(KernelError, match="operands take 48 GiB, more than the V100"):
        check_fits_gpu(
            "gemm_smem_tiled_32",
            GemmParams(65536, 65536, 65536),
            **_gpu(gpu_preset("V100-SXM2-32GB")),
        )


def _gpu(spec: Any) -> dict[str, Any]:
    return {"capacity_bytes": spec.dram.capacity_bytes, "gpu_name": spec.name}


@pytest.mark.slow
def test_a_32768_cubed_fp32_gemm_traces() -> None:
    """12 GiB of operands (refused by the old 8 GiB trace limit): about 9 s, 0.4 GB peak."""
    trace = build_trace("gemm_smem_tiled_32", GemmParams(32768, 32768, 32768))
    assert (len(trace.classes), trace.launch.ctas) == (1, 1024 * 1024)
