"""The emulator's Hopper instructions in isolation: mbarrier phases and tx-counts, the
TMA's swizzle, wgmma descriptors, tensor maps (exact expectations from the PTX ISA's
definitions, not from the emulator's code)."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.cuda.ptx.emulator import PtxKernel
from gpusim.cuda.ptx.fp8 import e4m3_to_float64, float_to_e4m3
from gpusim.cuda.ptx.ops_hopper import (
    BarrierState,
    _accumulator_coordinates,
    _descriptors,
    operand_addresses,
)
from gpusim.cuda.ptx.ops_warp import _FRAGMENTS
from gpusim.cuda.ptx.parser import parse_ptx
from gpusim.cuda.ptx.tensor_map import TensorMap2d, swizzled
from gpusim.errors import PtxError

HEADER = ".version 8.5\n.target sm_90a\n.address_size 64\n"


def _barrier_kernel(init_count: int) -> str:
    """64 threads: init, arrive (all), two waits, arrive.expect_tx 16 bytes each, a wait;
    each thread stores its three wait results as bits 0-2 of a word."""
    return (
        HEADER
        + f"""
.visible .entry k(.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3,
                  .param .u64 p4, .param .u64 p5, .param .u64 p6)
{{
    .reg .b32 %r<8>;
    .reg .b64 %rd<4>;
    .reg .pred %p<4>;
    .shared .align 8 .b64 bar;
    mov.u32 %r1, bar;
    mbarrier.init.shared::cta.b64 [%r1], {init_count};
    bar.sync 0;
    mbarrier.arrive.shared::cta.b64 _, [%r1];
    mbarrier.try_wait.parity.shared::cta.b64 %p1, [%r1], 0;
    mbarrier.test_wait.parity.shared::cta.b64 %p2, [%r1], 1;
    mbarrier.arrive.expect_tx.shared::cta.b64 _, [%r1], 16;
    mbarrier.try_wait.parity.shared::cta.b64 %p3, [%r1], 1;
    selp.u32 %r2, 1, 0, %p1;
    selp.u32 %r3, 2, 0, %p2;
    selp.u32 %r4, 4, 0, %p3;
    or.b32 %r2, %r2, %r3;
    or.b32 %r2, %r2, %r4;
    mov.u32 %r5, %tid.x;
    ld.param.u64 %rd1, [p4];
    mul.wide.u32 %rd2, %r5, 4;
    add.s64 %rd1, %rd1, %rd2;
    st.global.u32 [%rd1], %r2;
    ret;
}}
"""
    )


def test_a_phase_completes_when_every_arrival_and_byte_is_in() -> None:
    """64 arrivals complete phase 0 (parity 0 done, parity 1 not); 64 more with 16 bytes
    each expected leave phase 1 waiting on 1024 bytes."""
    out = np.zeros(64, np.uint32)
    PtxKernel(_barrier_kernel(64)).launch([out], (1, 1, 1), (64, 1, 1)).run([(0, 0, 0)])
    assert out.tolist() == [0b001] * 64


def test_more_arrivals_than_pending_in_one_step_are_refused() -> None:
    out = np.zeros(64, np.uint32)
    launch = PtxKernel(_barrier_kernel(32)).launch([out], (1, 1, 1), (64, 1, 1))
    with pytest.raises(PtxError, match="64 arrivals on an mbarrier with 32 pending"):
        launch.run([(0, 0, 0)])


def test_barrier_fields_round_trip_with_a_negative_tx_count() -> None:
    """A copy may complete its bytes before they are expected: the tx-count goes negative."""
    state = BarrierState(expected=256, pending=17, tx_count=-32768, phase=1)
    assert BarrierState.decode(state.encode()) == state
    assert state.encode() >> 63 == 1 and state.encode() & 0xFFFFF == 256


def test_the_128_byte_swizzle_moves_chunk_c_of_row_r_to_c_xor_r() -> None:
    rows, chunks = np.meshgrid(np.arange(16), np.arange(8), indexing="ij")
    offsets = (rows * 128 + chunks * 16 + 4).astype(np.uint64).ravel()
    expected = (rows * 128 + (chunks ^ (rows % 8)) * 16 + 4).ravel()
    assert swizzled(offsets, 128).tolist() == expected.tolist()
    assert swizzled(offsets, 0).tolist() == offsets.tolist()


def test_the_64_byte_swizzle_xors_two_chunk_bits() -> None:
    # 64-byte rows: row r's address bits 7-8 are r // 2 (two rows per 128 bytes)
    offsets = np.array([0, 16, 64, 128, 128 + 16, 256 + 48, 384 + 64], np.uint64)
    assert swizzled(offsets, 64).tolist() == [0, 16, 64, 144, 128, 256 + 16, 384 + 64 + 48]


def _descriptor(start: int, leading: int, stride: int, mode: int) -> np.ndarray:
    word = (start >> 4) | ((leading >> 4) << 16) | ((stride >> 4) << 32) | (mode << 62)
    return np.array([word], np.uint64)


def test_a_128_byte_swizzled_k_major_descriptor_addresses_rows_128_bytes_apart() -> None:
    descriptor = _descriptors(_instruction(), _descriptor(0x2000 + 32, 16, 1024, 1))
    addresses = operand_addresses(descriptor, 64, 2)  # [warpgroup, row, k]
    # row 9 = group 1, row 1 of the atom; k 5 = byte 10 of the 32-byte k-step at byte 32
    logical = 0x2000 + 1024 + 128 + 32 + 10
    assert int(addresses[0, 9, 5]) == logical ^ (1 << 4)  # chunk 2 ^ row 1 = chunk 3
    assert int(addresses[0, 0, 0]) == 0x2000 + 32


def test_an_unswizzled_descriptor_walks_8x16_byte_core_matrices() -> None:
    descriptor = _descriptors(_instruction(), _descriptor(0x400, 256, 512, 0))
    addresses = operand_addresses(descriptor, 16, 2)
    # row 9: core row 1 of the second group (SBO 512); k 13: second core matrix (LBO 256)
    assert int(addresses[0, 9, 13]) == 0x400 + 512 + 256 + 16 + 10


def test_a_descriptor_base_offset_is_refused() -> None:
    with pytest.raises(PtxError, match="base offset other than 0"):
        _descriptors(_instruction(), np.array([1 << 49], np.uint64))


def test_tensor_maps_round_trip_and_reject_foreign_encodings() -> None:
    tensor_map = TensorMap2d(1, 2, (4096, 8192), 8192, (64, 128), 128)
    assert TensorMap2d.decode(tensor_map.words()) == tensor_map
    assert tensor_map.box_bytes == 16384
    with pytest.raises(ValueError, match="not gpusim's encoding"):
        TensorMap2d.decode(np.arange(16, dtype=np.uint64))
    with pytest.raises(ValueError, match="must fit the swizzle span"):
        TensorMap2d(0, 2, (4096, 4096), 8192, (128, 64), 128)


def _instruction():  # type: ignore[no-untyped-def]
    module = parse_ptx(
        HEADER + ".visible .entry k()\n{\n    wgmma.fence.sync.aligned;\n    ret;\n}\n"
    )
    return module.entry(None).instructions[0]


def test_e4m3_codes_decode_as_the_ocp_format() -> None:
    codes = np.array([0x00, 0x01, 0x08, 0x38, 0x3C, 0x7E, 0xFE, 0x7F, 0x80], np.uint8)
    values = e4m3_to_float64(codes)
    assert values[:7].tolist() == [0.0, 2.0**-9, 2.0**-6, 1.0, 1.5, 448.0, -448.0]
    assert np.isnan(values[7]) and values[8] == 0.0 and np.signbit(values[8])


def test_values_round_to_the_nearest_e4m3_ties_to_even_and_saturate() -> None:
    # around 1: codes 0x38 (1.0), 0x39 (1.125), 0x3A (1.25)
    values = np.array([1.0625, 1.1875, 1.2, -0.3, 500.0, -1e9, 2.0**-10], np.float32)
    assert float_to_e4m3(values).tolist() == [0x38, 0x3A, 0x3A, 0xAA, 0x7E, 0xFE, 0x00]


_PARAMS = ", ".join(
    f".param .u64 {name}{i}" for name, count in (("p", 9), ("q", 9), ("r", 7)) for i in range(count)
)  # a 2-D tensor, its 2-D maps, a 1-D output: Numba's array parameters, data pointer 4th
TMA_KERNEL = (
    HEADER
    + f".visible .entry k({_PARAMS})\n"
    + """
{
    .reg .b32 %r<8>;
    .reg .b64 %rd<8>;
    .reg .pred %p<4>;
    .shared .align 1024 .b8 tile[2048];
    .shared .align 8 .b64 bar;
    mov.u32 %r1, bar;
    mov.u32 %r2, tile;
    mov.u32 %r3, %tid.x;
    setp.ne.u32 %p1, %r3, 0;
    @%p1 bra WAIT;
    mbarrier.init.shared::cta.b64 [%r1], 1;
    mbarrier.arrive.expect_tx.shared::cta.b64 %rd5, [%r1], 1024;
    ld.param.u64 %rd1, [q4];
    mov.u32 %r4, 16;
    mov.u32 %r5, 3;
    cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r2], [%rd1, {%r4, %r5}], [%r1];
WAIT:
    bar.sync 0;
    mbarrier.try_wait.parity.shared::cta.b64 %p2, [%r1], 0;
    mul.wide.u32 %rd2, %r3, 4;
    cvt.u64.u32 %rd6, %r2;
    add.s64 %rd6, %rd6, %rd2;
    cvt.u32.u64 %r6, %rd6;
    ld.shared.u32 %r7, [%r6];
    selp.b32 %r7, %r7, 0xFFFFFFFF, %p2;
    ld.param.u64 %rd3, [r4];
    add.s64 %rd3, %rd3, %rd2;
    st.global.u32 [%rd3], %r7;
    ret;
}
"""
)


def test_a_tma_box_lands_swizzled_and_completes_its_bytes() -> None:
    """An 8 x 128-byte box at (element 16, row 3) of a 16 x 96 uint16 tensor: shared word
    ``i`` holds the box's row ``r`` chunk ``c ^ r`` (128-byte swizzle), and the barrier's
    phase completes once the 1024 bytes are in (else every word would be all ones)."""
    tensor = np.arange(16 * 96, dtype=np.uint32).astype(np.uint16).reshape(16, 96)
    maps = TensorMap2d(0, 2, (96, 16), 192, (64, 8), 128).words()[None, :]
    out = np.zeros(256, np.uint32)
    PtxKernel(TMA_KERNEL).launch([tensor, maps, out], (1, 1, 1), (256, 1, 1)).run([(0, 0, 0)])
    shared = out.view(np.uint16).reshape(8, 8, 8)  # [row, 16-byte chunk, element]
    box = tensor[3:11, 16:80].reshape(8, 8, 8)
    for r in range(8):
        for c in range(8):
            assert shared[r, c ^ r].tolist() == box[r, c].tolist()


def test_the_wgmma_accumulators_tile_the_mma_sync_c_fragment() -> None:
    """PTX ISA: each warp's 16 rows of a wgmma D hold, per 8 columns, the m16n8 C fragment
    of mma.sync (the layout the Ampere kernels are proven with)."""
    rows, cols = _accumulator_coordinates(128)  # [register, warpgroup lane]
    c_rows, c_cols = _FRAGMENTS[2]["c"]  # [register 0-3, lane]
    for warp in range(4):
        lanes = slice(32 * warp, 32 * warp + 32)
        for j in range(16):
            block = slice(4 * j, 4 * j + 4)
            assert (rows[block, lanes] == 16 * warp + c_rows).all()
            assert (cols[block, lanes] == 8 * j + c_cols).all()


def test_a_wgmma_without_its_whole_warpgroup_is_refused() -> None:
    source = (
        HEADER
        + """
.visible .entry k()
{
    .reg .f32 %f<4>;
    .reg .b64 %rd<2>;
    .reg .pred %p1;
    mov.b64 %rd0, 0;
    mov.b64 %rd1, 0;
    setp.eq.u32 %p1, 1, 1;
    wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16 {%f0, %f1, %f2, %f3}, %rd0, %rd1, %p1, 1, 1, 0, 0;
    ret;
}
"""
    )
    launch = PtxKernel(source).launch([], (1, 1, 1), (64, 1, 1))
    with pytest.raises(PtxError, match="needs every thread of its warpgroups active"):
        launch.run([(0, 0, 0)])


def test_tracing_refuses_a_wait_that_returns_false() -> None:
    """The engine takes a warp's k-th wait on a barrier to be for its phase k, which holds
    only while every traced wait succeeds (the kernel's last try_wait finds 1024 bytes
    missing); run untraced, the same kernel gives its results (above)."""
    from gpusim.cuda.tracegen import TraceRequest, trace_ptx

    request = TraceRequest(
        kernel="k",
        params={},
        grid=(1, 1, 1),
        block=(64, 1, 1),
        registers_per_thread=None,
        cc=(9, 0),
        dynamic_shared_bytes=0,
    )
    out = np.zeros(64, np.uint32)
    with pytest.raises(PtxError, match="an mbarrier wait returned false while tracing"):
        trace_ptx(_barrier_kernel(64), [out], request)
