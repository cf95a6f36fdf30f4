"""The SGEMM ladder's rungs 1, 4 and 6 (siboehm/SGEMM_CUDA): results, and the structure
that makes them those rungs (access widths, thread-to-data mapping), from their PTX."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.cuda.compile import compile_ptx, sass_opcode_counts
from gpusim.cuda.kernels import GemmParams, get_kernel
from gpusim.cuda.ptx import emulate
from gpusim.cuda.trace import OpClass
from gpusim.cuda.tracegen import build_trace

LADDER = ("gemm_naive_uncoalesced", "gemm_1d_blocktiled_64", "gemm_vectorized_128")


def emulated_product(name: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    kernel = get_kernel(name)
    params = GemmParams(a.shape[0], b.shape[1], a.shape[1])
    config = kernel.launch(params)
    c = np.full((params.m, params.n), np.nan, np.float32)
    emulate(compile_ptx(kernel, params).ptx, (a, b, c), config.grid, config.block)
    return c


@pytest.mark.parametrize(
    ("name", "m", "n", "k"),
    [
        ("gemm_naive_uncoalesced", 45, 38, 23),  # edges guarded on every side
        ("gemm_1d_blocktiled_64", 128, 64, 24),
        ("gemm_vectorized_128", 128, 256, 24),
    ],
)
def test_integer_inputs_give_the_exact_product(name: str, m: int, n: int, k: int) -> None:
    # Small integers: every partial sum is an integer below 2^24, exact in fp32 whatever
    # the order of the additions, so the kernel must match NumPy bit for bit.
    rng = np.random.default_rng(3)
    a = rng.integers(-8, 9, size=(m, k)).astype(np.float32)
    b = rng.integers(-8, 9, size=(k, n)).astype(np.float32)
    assert np.array_equal(emulated_product(name, a, b), a @ b)


def global_accesses(name: str, params: GemmParams) -> dict[str, set[int]]:
    """Per global memory opcode, the byte strides between a warp's neighbouring lanes."""
    trace = build_trace(name, params)
    table = trace.program
    strides: dict[str, set[int]] = {}
    for record in (cta_class.record for cta_class in trace.classes):
        for run in range(record.run_warp.size):
            instr = int(record.run_instr[run])
            op_class = OpClass(int(table.op_class[instr]))
            if op_class not in (OpClass.LD_GLOBAL, OpClass.ST_GLOBAL):
                continue
            opcode = table.opcode_names[int(table.opcode[instr])]
            lanes = record.run_base[run][:2].astype(np.int64)
            strides.setdefault(opcode, set()).add(int(lanes[1] - lanes[0]))
    return strides


def test_kernel_1_lanes_walk_rows_of_c() -> None:
    # n = 64 fp32 columns: neighbouring lanes read B and write C one row (256 bytes) apart,
    # and read A one row (k * 4 bytes) apart; kernel 2 (gemm_naive) has them 4 bytes apart.
    params = GemmParams(64, 64, 32)
    strides = global_accesses("gemm_naive_uncoalesced", params)
    assert strides["st.global.f32"] == {64 * 4}
    assert strides["ld.global.f32"] == {0, 32 * 4}  # B: same element; A: next row
    coalesced = global_accesses("gemm_naive", params)
    assert coalesced["st.global.f32"] == {4}


def test_kernel_6_moves_global_data_and_reads_shared_fragments_as_float4() -> None:
    ptx = compile_ptx("gemm_vectorized_128", GemmParams(256, 256, 256)).ptx
    opcodes = {
        line.split()[0] for line in ptx.splitlines() if line.strip().startswith(("ld", "st"))
    }
    assert {"ld.global.v4.f32", "st.global.v4.f32", "ld.shared.v4.f32"} <= opcodes
    assert not {"ld.global.f32", "st.global.f32", "ld.local.f32"} & opcodes
    # The transposed A slab is written one element at a time (four scalar stores).
    assert "st.shared.f32" in opcodes


def test_kernel_4_reads_its_slab_as_the_source_does_in_sass() -> None:
    # sm_86, as the A6000 runs it: the 8-step slab loop unrolls completely (64 FFMA); per
    # step one LDS of B; a thread's 8 A values of a slab row are contiguous, two LDS.128
    # per row: 16 LDS.128 and 8 LDS per slab, the source's kernel 4 SASS
    # (bench/bench_ladder_sass.py).
    compiled = compile_ptx("gemm_1d_blocktiled_64", GemmParams(256, 256, 256), (8, 6))
    counts = sass_opcode_counts(compiled)
    assert (counts["FFMA"], counts["LDS.128"], counts["LDS"]) == (64, 16, 8)


@pytest.mark.parametrize("name", ["gemm_naive", "gemm_naive_uncoalesced"])
def test_naive_k_loop_unrolls_by_16_without_range_selects(name: str) -> None:
    # The 32-bit k counter: ptxas's loops of 16, 4 and 1 steps as for the source's kernels
    # 1 and 2 (21 FFMA, 8 more outside the loops), and none of the SELs of Numba's range.
    counts = sass_opcode_counts(compile_ptx(name, GemmParams(256, 256, 256), (8, 6)))
    assert (counts["FFMA"], counts.get("SEL", 0)) == (29, 0)


@pytest.mark.parametrize("name", LADDER)
def test_ladder_kernels_are_one_class_at_the_published_tile_multiples(name: str) -> None:
    trace = build_trace(name, GemmParams(256, 256, 64))
    assert len(trace.classes) == 1
