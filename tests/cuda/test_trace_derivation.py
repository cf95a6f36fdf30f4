"""Trace content: CTA derivation proven exact on every CTA, address runs, program, summary."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import (
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelParams,
    get_kernel,
)
from gpusim.cuda.ptx.emulator import PtxKernel, all_ctas
from gpusim.cuda.ptx.lanes import WARP_SIZE
from gpusim.cuda.ptx.recorder import TraceRecorder, pack_masks
from gpusim.cuda.trace import KernelTrace, MemSpace, OpClass
from gpusim.cuda.tracegen import CtaRecordCache, build_summary, build_trace
from gpusim.errors import KernelError

DERIVATION_CASES: list[tuple[str, KernelParams]] = [
    ("gemm_naive", GemmParams(40, 33, 20)),  # edge CTAs in x and y
    ("gemm_smem_tiled_16", GemmParams(64, 48, 40)),  # uniform grid
    ("gemm_smem_tiled_16", GemmParams(100, 70, 50)),
    ("gemm_smem_tiled_32", GemmParams(96, 64, 64)),
    ("gemm_register_blocked_64", GemmParams(128, 192, 32)),
    ("gemm_register_blocked_128", GemmParams(256, 128, 8)),
    ("gemm_tensor_core", GemmParams(128, 192, 64)),
    ("copy", CopyParams(16 * 3000)),  # the last CTA is partial
    ("allreduce_reduce_scatter_step", AllreduceStepParams(100003, 4, 1, 2)),
    ("allreduce_all_gather_step", AllreduceStepParams(4096, 4, 0, 3)),
    ("allreduce_ring_single_device", AllreduceRingParams(10007, 4, 3)),
    ("allreduce_ring_single_device", AllreduceRingParams(300_007, 3, 1)),  # grid-stride remainder
]


@functools.cache
def cached_trace(name: str, params: KernelParams) -> KernelTrace:
    return build_trace(name, params)


def every_cta_record(name: str, params: KernelParams) -> dict[Any, Any]:
    """Records of every CTA of the grid, from a fresh, independent emulation."""
    kernel = get_kernel(name)
    config = kernel.launch(params)
    ptx = PtxKernel(compile_ptx(kernel, params).ptx)
    launch = ptx.launch(
        list(kernel.make_args(params, np.random.default_rng(0))), config.grid, config.block
    )
    cache = CtaRecordCache(ptx, launch, record_memory=True, max_lanes_per_batch=1 << 15)
    return cache.get(all_ctas(config.grid))


@pytest.mark.parametrize(
    ("name", "params"), DERIVATION_CASES, ids=[f"{n}-{p}" for n, p in DERIVATION_CASES]
)
def test_derived_ctas_equal_emulated_ctas(name: str, params: KernelParams) -> None:
    trace = cached_trace(name, params)
    records = every_cta_record(name, params)
    assert len(records) == trace.launch.ctas
    mismatched = [
        cta for cta, record in records.items() if not trace.derive_cta(cta).same_as(record)
    ]
    assert mismatched == []


def test_uniform_grids_need_one_class_and_edges_get_their_own() -> None:
    assert len(cached_trace("gemm_smem_tiled_16", GemmParams(64, 48, 40)).classes) == 1
    edges = cached_trace("gemm_smem_tiled_16", GemmParams(100, 70, 50))
    assert sorted((c.lo, c.hi) for c in edges.classes) == [
        ((0, 0, 0), (3, 5, 0)),
        ((0, 6, 0), (3, 6, 0)),
        ((4, 0, 0), (4, 5, 0)),
        ((4, 6, 0), (4, 6, 0)),
    ]
    assert (edges.class_index_grid() >= 0).all()


def test_shift_per_cta_is_the_tile_stride() -> None:
    trace = cached_trace("gemm_smem_tiled_16", GemmParams(64, 48, 40))
    (only,) = trace.classes
    program = trace.program
    global_loads = np.flatnonzero(program.op_class == OpClass.LD_GLOBAL)
    shifts = {tuple(only.shift_bytes[i]) for i in global_loads}
    # A's rows move 16 per blockIdx.y (16 * k * 4 bytes), B's columns 16 per blockIdx.x.
    assert shifts == {(0, 16 * 40 * 4, 0), (16 * 4, 0, 0)}
    shared = np.flatnonzero(program.mem_space == MemSpace.SHARED)
    assert not only.shift_bytes[shared].any()


class RawAccesses:
    """Every memory access as (instruction, warp row, execution ordinal, mask, addresses)."""

    def __init__(self, n_blocks: int, block_of: list[int], n_warps: int) -> None:
        self.visits = np.zeros((n_blocks, n_warps), np.int64)
        self.block_of = block_of
        self.ordinals = np.zeros(n_warps, np.int64)
        self.accesses: list[tuple[int, int, int, int, tuple[int, ...]]] = []

    def on_block(self, block: int, mask: Any) -> None:
        packed = pack_masks(mask)
        self.ordinals = self.visits[block].copy()
        self.visits[block] += packed != 0

    def on_memory(self, instruction: int, space: str, mask: Any, addresses: Any) -> None:
        packed = pack_masks(mask)
        lanes = mask.reshape(-1, WARP_SIZE)
        for warp in np.flatnonzero(packed).tolist():
            words = np.where(lanes[warp], addresses.reshape(-1, WARP_SIZE)[warp], 0)
            entry = (
                instruction,
                warp,
                int(self.ordinals[warp]),
                int(packed[warp]),
                tuple(words.tolist()),
            )
            self.accesses.append(entry)

    def on_guarded(self, instruction: int, mask: Any) -> None:
        """Not needed here."""


@pytest.mark.parametrize(
    ("name", "params", "compression"),
    [
        ("gemm_naive", GemmParams(33, 40, 37), 4),  # a k loop: runs span iterations
        ("allreduce_ring_single_device", AllreduceRingParams(5000, 3, 0), 1),  # no loop
    ],
)
def test_runs_expand_to_exactly_the_accesses(
    name: str, params: KernelParams, compression: int
) -> None:
    kernel = get_kernel(name)
    config = kernel.launch(params)
    ptx = PtxKernel(compile_ptx(kernel, params).ptx)
    launch = ptx.launch(
        list(kernel.make_args(params, np.random.default_rng(0))), config.grid, config.block
    )
    ctas = all_ctas(config.grid)[:3]
    lanes = launch.lanes_for(ctas)
    raw = RawAccesses(len(ptx.cfg.blocks), list(ptx.cfg.block_of_instruction), lanes.n_warps)
    launch.execute(lanes, raw)
    recorder = TraceRecorder(ptx.cfg, lanes)
    launch.execute(lanes, recorder)
    expanded = []
    runs = 0
    for slot, record in enumerate(recorder.records()):
        rows = np.flatnonzero(lanes.warp_slot == slot)
        runs += record.run_warp.size
        for r in range(record.run_warp.size):
            row = int(rows[record.run_warp[r]])
            base = record.run_base[r].astype(np.int64)
            active = ((int(record.run_mask[r]) >> np.arange(WARP_SIZE)) & 1).astype(bool)
            for j in range(int(record.run_count[r])):
                words = np.where(active, base + j * int(record.run_stride_bytes[r]), 0)
                expanded.append(
                    (
                        int(record.run_instr[r]),
                        row,
                        int(record.run_first[r]) + j,
                        int(record.run_mask[r]),
                        tuple(words.tolist()),
                    )
                )
    assert sorted(expanded) == sorted(raw.accesses)
    assert runs * compression <= len(raw.accesses)


def test_program_table_classifies_instructions() -> None:
    trace = cached_trace("gemm_tensor_core", GemmParams(128, 192, 64))
    program = trace.program
    names = [program.opcode_names[i] for i in program.opcode]
    by_name = {name: index for index, name in enumerate(names)}
    mma = by_name["mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"]
    assert program.op_class[mma] == OpClass.MMA and program.flops_per_lane[mma] == 128
    dst = program.dst_regs[program.dst_offsets[mma] : program.dst_offsets[mma + 1]]
    src = program.src_regs[program.src_offsets[mma] : program.src_offsets[mma + 1]]
    assert dst.size == 4 and 6 <= src.size <= 10
    assert (program.register_bits[dst] == 32).all()
    load = by_name["ld.global.u16"]
    assert program.op_class[load] == OpClass.LD_GLOBAL and program.bytes_per_lane[load] == 2
    assert program.op_class[by_name["bar.sync"]] == OpClass.BARRIER
    assert program.op_class[by_name["ret"]] == OpClass.EXIT
    assert (np.diff(program.block) >= 0).all()
    starts = program.block_start
    assert starts[0] == 0 and starts[-1] == program.n_instructions
    assert (program.block[starts[:-1]] == np.arange(program.n_blocks)).all()


def test_summary_counts_work_exactly() -> None:
    m, n, k = 128, 192, 64
    summary = cached_trace("gemm_tensor_core", GemmParams(m, n, k)).summary()
    assert summary.flops == 2 * m * n * k
    assert summary.bytes["global_store"] == 4 * m * n
    assert summary.ctas == (n // 64) * (m // 64) and summary.warps == summary.ctas * 4
    # Each CTA reads a 64 x k tile of A and a k x 64 tile of B, 2 bytes per fp16 element.
    assert summary.bytes["global_load"] == summary.ctas * 2 * (64 * k + k * 64)
    assert summary.warp_instructions["MMA"] == summary.ctas * 4 * 8 * (k // 16)
    naive = cached_trace("gemm_naive", GemmParams(40, 33, 20)).summary()
    assert naive.flops == 2 * 40 * 33 * 20
    assert naive.bytes["global_load"] == 2 * 4 * 40 * 33 * 20
    assert summary.to_dict()["warp_instructions"]["MMA"] == summary.warp_instructions["MMA"]


def test_build_summary_equals_the_full_trace_summary() -> None:
    """Same totals; the summary may need fewer classes (addresses need not be affine)."""
    params = AllreduceRingParams(10007, 4, 3)
    cheap = build_summary("allreduce_ring_single_device", params).to_dict()
    full = cached_trace("allreduce_ring_single_device", params).summary().to_dict()
    assert cheap.pop("cta_classes") <= full.pop("cta_classes")
    assert cheap == full


@pytest.mark.parametrize("build", [build_trace, build_summary])
def test_a_target_too_old_for_the_kernel_is_refused_before_compiling(
    build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Callers that bypass the API (which names the GPU) get the same check against the
    compile target, not the PTX compiler's '.m16n8k16' requires .target sm_80 error."""

    def no_compile(*args: object) -> None:
        raise AssertionError("compiled a kernel the target cannot run")

    monkeypatch.setattr("gpusim.cuda.tracegen.compile_ptx", no_compile)
    with pytest.raises(KernelError) as error:
        build("gemm_tensor_core", GemmParams(64, 64, 64), (7, 5))
    assert str(error.value) == (
        "gemm_tensor_core needs compute capability 8.0 or newer, the compile target has 7.5"
    )
