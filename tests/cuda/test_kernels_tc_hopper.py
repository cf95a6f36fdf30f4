"""The Hopper tensor-core GEMM (gemm_tc_hopper_*): its PTX is a TMA / mbarrier / wgmma
pipeline for sm_90a, the emulator proves it exact in bf16 and fp16, and sizes or GPUs it
cannot run are refused with one line naming the field."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import numpy as np
import pytest

from gpusim.cuda.compile import compile_ptx, sass_opcode_counts, source_sha256
from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.kernels.gemm_def import (
    GEMM_TC_HOPPER_BF16,
    GEMM_TC_HOPPER_FP8,
    GEMM_TC_HOPPER_FP16,
    HopperGemmKernelDef,
    to_input,
)
from gpusim.cuda.ptx import emulate
from gpusim.cuda.ptx.tensor_map import TensorMap2d
from gpusim.errors import KernelError

KERNELS = {"bf16": GEMM_TC_HOPPER_BF16, "f16": GEMM_TC_HOPPER_FP16, "e4m3": GEMM_TC_HOPPER_FP8}
WGMMA_K = {"bf16": 16, "f16": 16, "e4m3": 32}  # 32 bytes of k in every format


@pytest.mark.parametrize(("ptx_type", "kernel"), KERNELS.items())
def test_ptx_is_a_tma_mbarrier_wgmma_pipeline(ptx_type: str, kernel: HopperGemmKernelDef) -> None:
    compiled = compile_ptx(kernel, GemmParams(256, 256, 5 * kernel.k_multiple))
    ptx = compiled.ptx
    assert "\n.target sm_90a\n" in ptx
    k = WGMMA_K[ptx_type]
    wgmma = f"wgmma.mma_async.sync.aligned.m64n256k{k}.f32.{ptx_type}.{ptx_type}"
    assert ptx.count(wgmma) == 4  # four k16 steps per 64-wide k-tile
    # two boxes (A, B) per stage fill (how often they appear depends on LLVM's unrolling)
    fills = ptx.count("mbarrier.arrive.expect_tx.shared::cta.b64")
    assert (
        fills >= 2 and ptx.count("cp.async.bulk.tensor.2d.shared::cluster.global.tile") == 2 * fills
    )
    assert ptx.count("mbarrier.init.shared::cta.b64") == 8  # full and empty of 4 stages
    assert "mbarrier.try_wait.parity.shared::cta.b64" in ptx
    assert "mbarrier.arrive.shared::cta.b64" in ptx
    assert "wgmma.wait_group.sync.aligned 1;" in ptx and "wgmma.wait_group.sync.aligned 0;" in ptx
    assert "fence.proxy.async.shared::cta;" in ptx
    sass = sass_opcode_counts(compiled)
    assert sass["QGMMA.64" if ptx_type == "e4m3" else "HGMMA.64"] == 4
    assert sass["WARPGROUP.ARRIVE"] == 1  # ptxas did not serialize the wgmmas
    assert sass["UTMALDG.2D"] >= 2
    resources = compiled.resources
    assert resources is not None and resources.spill_store_bytes == 0
    assert resources.registers_per_thread <= 160  # 128 accumulators and the addressing


@pytest.mark.parametrize("kernel", KERNELS.values(), ids=KERNELS)
@pytest.mark.parametrize(
    ("m", "n", "k_tiles"),
    [(256, 256, 5), (128, 512, 2)],
    ids=["refills", "fewer-tiles-than-stages"],
)
def test_small_integers_come_out_exact(
    kernel: HopperGemmKernelDef, m: int, n: int, k_tiles: int
) -> None:
    """Every product and sum is exact (integers up to 4 are exact in e4m3 too): a wrong
    swizzle, descriptor, fragment, stage or barrier phase would show."""
    params = GemmParams(m, n, k_tiles * kernel.k_multiple)
    rng = np.random.default_rng(5)
    a_values = rng.integers(-4, 5, (params.m, params.k)).astype(np.float32)
    b_values = rng.integers(-4, 5, (params.k, params.n)).astype(np.float32)
    a = to_input(a_values, kernel.input_dtype)
    b = to_input(np.ascontiguousarray(b_values.T), kernel.input_dtype)  # held n x k
    c = np.full((params.m, params.n), -12345, np.float32)
    maps = kernel.make_args(params, rng)[3]
    config = kernel.launch(params)
    ptx = compile_ptx(kernel, params).ptx
    emulate(
        ptx,
        (a, b, c, maps),
        config.grid,
        config.block,
        dynamic_shared_bytes=config.dynamic_shared_bytes,
    )
    assert np.array_equal(c, a_values @ b_values)


@pytest.mark.parametrize("kernel", [GEMM_TC_HOPPER_BF16, GEMM_TC_HOPPER_FP8], ids=["bf16", "e4m3"])
def test_random_inputs_meet_the_tolerance(kernel: HopperGemmKernelDef) -> None:
    """make_args' draws rounded to the format on the host: only fp32 accumulation
    separates the emulated kernel from the fp64 reference."""
    params = GemmParams(128, 256, 256)
    args = kernel.make_args(params, np.random.default_rng(11))
    expected = kernel.reference(args, params)
    config = kernel.launch(params)
    ptx = compile_ptx(kernel, params).ptx
    emulate(ptx, args, config.grid, config.block, dynamic_shared_bytes=config.dynamic_shared_bytes)
    c = args[2]
    assert isinstance(c, np.ndarray)
    assert np.linalg.norm(c - expected) / np.linalg.norm(expected) < 1e-6


def test_the_launch_asks_for_the_ring_in_dynamic_shared_memory() -> None:
    config = GEMM_TC_HOPPER_BF16.launch(GemmParams(512, 256, 128))
    assert config.grid == (1, 4, 1) and config.block == (256, 1, 1)
    # 4 stages of A's 128 and B's 256 rows of 128 bytes, and the alignment slack
    assert config.dynamic_shared_bytes == 4 * (128 + 256) * 128 + 1024


def test_the_tensor_maps_argument_is_the_emulators_encoding() -> None:
    params = GemmParams(256, 512, 192)
    maps = GEMM_TC_HOPPER_FP16.make_args(params, np.random.default_rng(0))[3]
    assert isinstance(maps, np.ndarray) and maps.shape == (2, 16) and maps.dtype == np.uint64
    a_map, b_map = (TensorMap2d.decode(row) for row in maps)
    assert a_map == TensorMap2d(0, 2, (192, 256), 384, (64, 128), 128)
    assert b_map == TensorMap2d(1, 2, (192, 512), 384, (64, 256), 128)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (GemmParams(200, 256, 64), "gemm_tc_hopper_bf16: m must be a multiple of 128, got 200"),
        (GemmParams(128, 96, 64), "gemm_tc_hopper_bf16: n must be a multiple of 256, got 96"),
        (GemmParams(128, 256, 100), "gemm_tc_hopper_bf16: k must be a multiple of 64, got 100"),
    ],
)
def test_sizes_off_the_tiles_are_refused(params: GemmParams, message: str) -> None:
    with pytest.raises(KernelError, match=f"^{message}$"):
        GEMM_TC_HOPPER_BF16.launch(params)


def test_gpus_without_wgmma_are_refused() -> None:
    with pytest.raises(KernelError) as error:
        GEMM_TC_HOPPER_BF16.check_compute_capability((8, 0), "A100-SXM4-80GB")
    assert str(error.value) == (
        "gemm_tc_hopper_bf16 needs compute capability 9.0 or newer, A100-SXM4-80GB has 8.0"
    )
    GEMM_TC_HOPPER_BF16.check_compute_capability((9, 0), "H100-SXM5-80GB")


def test_the_trace_holds_the_hopper_instructions_with_their_operands() -> None:
    """One CTA of four k-tiles: its mbarriers are shared accesses with their arrival counts
    and expected bytes, its TMA copies the global access of each box's first byte with the
    box's rows, bytes and row pitch, its wgmmas a quarter of 2 x 64 x 256 x 16 FLOPs per
    warp (docs/trace-format.md)."""
    from gpusim.cuda.trace import MemSpace, OpClass
    from gpusim.cuda.tracegen import build_trace

    k = 4 * GEMM_TC_HOPPER_BF16.k_multiple
    trace = build_trace(GEMM_TC_HOPPER_BF16.name, GemmParams(128, 256, k))
    program, (cta_class,) = trace.program, trace.classes
    ran = cta_class.record.active_lanes > 0
    names = [name for _, name in program.opcodes()]

    def executed(op_class: OpClass, prefix: str = "") -> np.ndarray:
        return np.flatnonzero(
            ran
            & (program.op_class == op_class)
            & np.array([name.startswith(prefix) for name in names])
        )

    inits = executed(OpClass.MBARRIER, "mbarrier.init")
    assert sorted(program.operand[inits]) == [1] * 4 + [256] * 4  # full and empty barriers
    assert set(program.operand[executed(OpClass.MBARRIER, "mbarrier.arrive.expect_tx")]) == {49152}
    copies = executed(OpClass.TENSOR_COPY)
    assert set(program.operand[copies]) == {128, 256}  # A's and B's rows
    assert set(program.bytes_per_lane[copies]) == {128 * 128, 256 * 128}
    assert set(program.row_stride_bytes[copies]) == {k * 2}
    assert set(program.mem_space[copies]) == {MemSpace.GLOBAL}
    assert set(program.mem_space[executed(OpClass.MBARRIER)]) == {MemSpace.SHARED}
    wgmmas = executed(OpClass.WGMMA)
    assert set(program.flops_per_lane[wgmmas]) == {2 * 64 * 256 * 16 // 128}
    summary = trace.summary()
    assert summary.flops == 2 * 128 * 256 * k
    assert summary.warp_instructions["TENSOR_COPY"] == 2 * 4  # A's and B's box per k-tile
    assert summary.bytes["tensor_copy"] == 4 * (128 + 256) * 128  # every byte of A and B once
    assert "wgmma.wait_group.sync.aligned.1" in names


def test_the_compile_cache_key_covers_the_borrowed_ampere_helpers() -> None:
    """The kernel module takes its inline-asm helpers from gemm_tc_ampere (and a constant
    from kernel_def): an edit there must not serve a stale compile."""
    kernels = Path(inspect.getsourcefile(GEMM_TC_HOPPER_BF16.pyfunc) or "").parent
    sources = [
        kernels / name for name in ("gemm_tc_hopper.py", "gemm_tc_ampere.py", "kernel_def.py")
    ]
    expected = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    assert source_sha256(GEMM_TC_HOPPER_BF16) == expected
