"""Divergence and reconvergence: the lockstep batch yields exactly per-warp SIMT streams."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numba import cuda

from gpusim.cuda.ptx.emulator import PtxKernel
from gpusim.cuda.ptx.lanes import LaneGrid
from gpusim.cuda.ptx.recorder import TraceRecorder, pack_masks
from gpusim.errors import PtxError

FULL = 0xFFFFFFFF
HEADER = ".version 8.5\n.target sm_90\n.address_size 64\n"

IF_ELSE_LOOP = (
    HEADER
    + """
.visible .entry if_else_loop()
{
    .reg .pred %p<4>;
    .reg .b32 %r<5>;
    mov.u32 %r1, %tid.x;
    and.b32 %r3, %r1, 1;
    setp.eq.u32 %p1, %r3, 0;
    @%p1 bra $L_then;
    add.s32 %r2, %r1, 1;
    bra.uni $L_join;
$L_then:
    add.s32 %r2, %r1, 2;
$L_join:
    and.b32 %r4, %r1, 3;
    setp.eq.u32 %p2, %r4, 0;
    @%p2 bra $L_done;
$L_loop:
    add.s32 %r4, %r4, -1;
    setp.ne.u32 %p3, %r4, 0;
    @%p3 bra $L_loop;
$L_done:
    ret;
}
"""
)


class BlockLog:
    """Observer keeping (block, warp mask) of every block execution of warp row 0 and 1."""

    def __init__(self) -> None:
        self.events: list[tuple[int, int, int]] = []

    def on_block(self, block: int, mask: Any) -> None:
        words = pack_masks(mask).tolist()
        self.events.append((block, *words[:2]))

    def on_memory(self, instruction: int, space: str, mask: Any, addresses: Any) -> None:
        """Memory is not logged."""

    def on_guarded(self, instruction: int, mask: Any) -> None:
        """Guards are not logged."""


def test_if_else_and_lane_dependent_loop_give_the_ipdom_stack_order() -> None:
    launch = PtxKernel(IF_ELSE_LOOP).launch([], (1, 1, 1), (64, 1, 1))
    log = BlockLog()
    launch.run([(0, 0, 0)], log)
    even, odd = 0x55555555, 0xAAAAAAAA
    per_warp = [
        (0, FULL),
        (2, even),  # taken path first
        (1, odd),
        (3, FULL),  # reconverged at the if/else post-dominator
        (4, 0xEEEEEEEE),  # lanes with lane % 4 == 1, 2, 3 enter the loop
        (4, 0xCCCCCCCC),
        (4, 0x88888888),
        (5, FULL),  # everyone reconverges at the loop exit
    ]
    assert log.events == [(block, mask, mask) for block, mask in per_warp]


def divergent(trips, out):  # type: ignore[no-untyped-def]
    i = cuda.grid(1)
    lane = cuda.laneid
    acc = 0
    if lane % 3 == 0:
        for k in range(trips[i]):
            acc += k
    else:
        acc = -1
        if lane < 7:
            acc -= 5
    j = 0
    while j < lane % 5:
        acc += 2
        j += 1
    out[i] = acc


def divergent_reference(trips: np.ndarray) -> list[int]:
    result = []
    for i, trip in enumerate(trips.tolist()):
        lane = i % 96 % 32
        acc = sum(range(trip)) if lane % 3 == 0 else (-6 if lane < 7 else -1)
        result.append(acc + 2 * (lane % 5))
    return result


@pytest.fixture(scope="module")
def divergent_kernel() -> PtxKernel:
    ptx, _ = cuda.compile_ptx(divergent, "void(int64[::1], int64[::1])", cc=(9, 0))
    return PtxKernel(ptx)


def _divergent_launch(kernel: PtxKernel) -> tuple[Any, np.ndarray, np.ndarray]:
    trips = (np.arange(192, dtype=np.int64) * 7) % 11
    out = np.zeros(192, dtype=np.int64)
    return kernel.launch([trips, out], (2, 1, 1), (96, 1, 1)), trips, out


def test_divergent_kernel_computes_the_right_values(divergent_kernel: PtxKernel) -> None:
    launch, trips, out = _divergent_launch(divergent_kernel)
    launch.run_all()
    assert out.tolist() == divergent_reference(trips)


def test_each_warp_alone_gives_the_same_stream_as_the_lockstep_batch(
    divergent_kernel: PtxKernel,
) -> None:
    launch, _, _ = _divergent_launch(divergent_kernel)
    ctas = [(0, 0, 0), (1, 0, 0)]
    lanes = launch.lanes_for(ctas)
    batch = TraceRecorder(divergent_kernel.cfg, lanes)
    launch.execute(lanes, batch)
    together = dict(zip(lanes.ctas, batch.records(), strict=True))
    for cta in ctas:
        for warp in range(3):
            alone_lanes = LaneGrid.for_warps(launch.grid, launch.block, [(cta, warp)])
            alone = TraceRecorder(divergent_kernel.cfg, alone_lanes)
            launch.execute(alone_lanes, alone)
            (record,) = alone.records()
            blocks, masks = together[cta].warp_visits(warp)
            alone_blocks, alone_masks = record.warp_visits(warp)
            assert blocks.tolist() == alone_blocks.tolist()
            assert masks.tolist() == alone_masks.tolist()
            mine = together[cta].run_warp == warp
            assert np.array_equal(together[cta].run_base[mine], record.run_base)
            assert np.array_equal(together[cta].run_first[mine], record.run_first)
    # The loops really diverge: some visits have partial masks.
    assert any(m not in (0, FULL) for m in together[ctas[0]].visit_mask.tolist())


def test_batch_composition_does_not_change_a_cta_record(divergent_kernel: PtxKernel) -> None:
    launch, _, _ = _divergent_launch(divergent_kernel)
    records = []
    for batch in ([(0, 0, 0), (1, 0, 0)], [(1, 0, 0)]):
        lanes = launch.lanes_for(batch)
        recorder = TraceRecorder(divergent_kernel.cfg, lanes)
        launch.execute(lanes, recorder)
        records.append(dict(zip(lanes.ctas, recorder.records(), strict=True))[(1, 0, 0)])
    assert records[0].same_as(records[1])


EARLY_EXIT = (
    HEADER
    + """
.visible .entry early_exit(.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3,
    .param .u64 p4, .param .u64 p5, .param .u64 p6)
{
    .reg .pred %p<2>;
    .reg .b32 %r<3>;
    .reg .b64 %rd<4>;
    mov.u32 %r1, %tid.x;
    setp.ge.u32 %p1, %r1, 40;
    @%p1 exit;
    bar.sync 0;
    ld.param.u64 %rd1, [p4];
    mul.wide.u32 %rd2, %r1, 4;
    add.s64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r1;
    ret;
}
"""
)


def test_exited_threads_do_not_hold_a_barrier() -> None:
    out = np.full(64, 99, np.uint32)
    log = BlockLog()
    PtxKernel(EARLY_EXIT).launch([out], (1, 1, 1), (64, 1, 1)).run([(0, 0, 0)], log)
    assert out.tolist() == list(range(40)) + [99] * 24
    assert log.events == [(0, FULL, FULL), (1, FULL, 0x000000FF)]


def test_a_barrier_in_a_batch_of_part_of_a_cta_is_refused() -> None:
    launch = PtxKernel(EARLY_EXIT).launch([np.zeros(64, np.uint32)], (1, 1, 1), (64, 1, 1))
    lanes = LaneGrid.for_warps(launch.grid, launch.block, [((0, 0, 0), 0)])
    with pytest.raises(PtxError, match=r"only part of CTA \(0, 0, 0\)"):
        launch.execute(lanes)
