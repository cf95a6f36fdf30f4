"""Hopper's asynchronous instructions: ``mbarrier``, tensor copies by the TMA
(``cp.async.bulk.tensor``) and warpgroup matrix multiplies (``wgmma``).

The batch runs in lockstep, so an asynchronous operation completes when it is issued: a
TMA copy has landed and completed its bytes on its mbarrier before the next instruction,
a ``wgmma`` has written its accumulators. ``wgmma.fence`` / ``commit_group`` /
``wait_group`` and ``fence.proxy.async`` then only occupy their issue slots; what must be
exact is the data each one moves and the mbarriers' phases, which decide whether a wait
returns.

**mbarrier** (PTX ISA "Parallel Synchronization and Communication Instructions:
mbarrier"). The 8-byte object's encoding is the hardware's own business; the emulator keeps
the four fields the ISA defines in it: bits 0-19 the expected arrival count, 20-39 the
pending arrival count, 40-60 the tx-count (21-bit two's complement), bit 63 the current
phase's parity. ``init`` sets expected = pending = count, tx-count 0, phase 0. ``arrive``
(``expect_tx`` first adds its bytes to the tx-count) takes one from the pending count per
arriving thread; a copy's ``complete_tx`` takes its bytes from the tx-count. When both reach
zero the phase completes: the parity flips and the pending count is reset to the expected
count. ``try_wait.parity p`` (and ``test_wait.parity``) is true once the phase of parity
``p`` has completed, i.e. while the current parity differs from ``p``.

**TMA** (``cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
[dst], [map, {c0, c1}], [mbar]``): each executing thread copies the box of its tensor map
at coordinates (c0, c1) to shared ``dst``, row after row (``box[0]`` elements each), with
the map's swizzle applied to the shared addresses, then completes the box's bytes on the
mbarrier. The map is gpusim's encoding (``tensor_map``). Boxes reaching outside the tensor
(which the TMA fills with zeros) are refused. Traced, the copy is the global access of
its box's first byte, with the box's rows, row bytes and row pitch as its operands.

**wgmma** (``wgmma.mma_async.sync.aligned.m64nNk16.f32.{bf16,f16}.{bf16,f16} d, a-desc,
b-desc, scale-d, imm-scale-a, imm-scale-b, imm-trans-a, imm-trans-b``, and ``m64nNk32.f32
.e4m3.e4m3`` without the imm-trans operands): the four warps of a warpgroup compute D = A B
+ D (or A B when ``scale-d`` is false) of a 64 x N x k tile (32 bytes of k), A and B read
from shared memory through their descriptors (PTX ISA "Matrix Descriptor Format": bits 0-13
start address, 16-29 leading byte offset, 32-45 stride byte offset, each in 16-byte units;
49-51 base offset; 62-63 swizzle: 0 none, 1 128-byte, 2 64-byte, 3 32-byte). Both operands
k-major (``imm-trans`` 0), as the canonical layouts of the ISA's "Shared Memory Matrix
Layout" place them: element (r, k) of a swizzled operand lies at ``start + (r / 8) SBO + (r
% 8) S + e k``, S the swizzle span and e the element bytes, that address then swizzled
(``tensor_map.swizzled``); without swizzle, in 8 x 16-byte core matrices, at ``start + (r /
8) SBO + (e k / 16) LBO + 16 (r % 8) + e k % 16``. D's fragment: warp ``w`` of the
warpgroup, lane ``l`` holds in register ``4 j + q`` row ``16 w + l / 4 + 8 (q / 2)``, column
``8 j + 2 (l % 4) + q % 2``. Products are exact in f64, each dot product is summed in f64
and rounded once to f32 (as ``mma.sync``; PTX leaves the order and rounding unspecified).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.ptx.fp8 import e4m3_to_float64
from gpusim.cuda.ptx.ir import (
    ImmInt,
    Instruction,
    Sink,
    TensorAddress,
    VectorOperand,
)
from gpusim.cuda.ptx.lanes import WARP_SIZE
from gpusim.cuda.ptx.machine import Machine
from gpusim.cuda.ptx.operands import CompileContext, Reader, Step, reader, writer
from gpusim.cuda.ptx.ops_memory import _address_reader, _locate, _resolve
from gpusim.cuda.ptx.tensor_map import MAP_WORDS, TensorMap2d, swizzled
from gpusim.cuda.ptx.types import TYPES

Handler = Callable[[Instruction, int, CompileContext], Step]

MBARRIER_BYTES = 8
COUNT_BITS = 20
PENDING_SHIFT = 20
TX_SHIFT = 40
TX_BITS = 21
PHASE_SHIFT = 63
TENSOR_MAP_ALIGN_BYTES = 64
TMA_SHARED_ALIGN_BYTES = 128
WORD_BYTES = 4
WARPS_PER_WARPGROUP = 4
WGMMA_M = 64
WGMMA_K_BYTES = 32
"""One wgmma's k in bytes of its inputs: k16 of bf16 / f16, k32 of e4m3."""
WGMMA_SHAPE = re.compile(r"m64n(\d+)k(\d+)")
WGMMA_INPUT_BYTES = {"bf16": 2, "f16": 2, "e4m3": 1}
DESCRIPTOR_SWIZZLE_BYTES = {0: 0, 1: 128, 2: 64, 3: 32}
"""Descriptor bits 62-63 to the swizzle span (0: no swizzle, 8 x 16-byte core matrices)."""
CORE_ROWS = 8
CORE_ROW_BYTES = 16


@dataclass
class BarrierState:
    """The fields of one mbarrier (see the module docstring for their bits)."""

    expected: int
    pending: int
    tx_count: int
    phase: int

    @classmethod
    def decode(cls, word: int) -> BarrierState:
        count_mask = (1 << COUNT_BITS) - 1
        tx = (word >> TX_SHIFT) & ((1 << TX_BITS) - 1)
        if tx >= 1 << (TX_BITS - 1):
            tx -= 1 << TX_BITS
        return cls(
            expected=word & count_mask,
            pending=(word >> PENDING_SHIFT) & count_mask,
            tx_count=tx,
            phase=(word >> PHASE_SHIFT) & 1,
        )

    def encode(self) -> int:
        tx = self.tx_count & ((1 << TX_BITS) - 1)
        return (
            self.expected
            | (self.pending << PENDING_SHIFT)
            | (tx << TX_SHIFT)
            | (self.phase << PHASE_SHIFT)
        )

    def settle(self) -> None:
        """Complete the current phase if no arrival and no transaction byte is pending."""
        if self.pending == 0 and self.tx_count == 0:
            self.phase ^= 1
            self.pending = self.expected


def _shared_u64(
    m: Machine, ins: Instruction, positions: npt.NDArray[np.int64], addresses: Any
) -> tuple[Any, Any]:
    """(word view, word indices) of the mbarriers at shared ``addresses`` of the lanes at
    ``positions``."""
    groups = _locate(m, ins, "shared", positions, addresses, MBARRIER_BYTES, MBARRIER_BYTES)
    view, words, _ = groups[0]
    return view, words


def _update_barrier(
    m: Machine,
    ins: Instruction,
    position: int,
    address: int,
    change: Callable[[BarrierState], None],
) -> int:
    """Apply ``change`` to the mbarrier at ``address`` of the lane's CTA; return its old word."""
    view, words = _shared_u64(m, ins, np.array([position]), np.array([address], np.uint64))
    old = int(view[words[0]])
    state = BarrierState.decode(old)
    change(state)
    view[words[0]] = np.uint64(state.encode())
    return old


def complete_tx(m: Machine, ins: Instruction, position: int, address: int, size: int) -> None:
    """A copy's ``complete_tx`` of ``size`` bytes on the lane's mbarrier at ``address``."""

    def change(state: BarrierState) -> None:
        state.tx_count -= size
        state.settle()

    _update_barrier(m, ins, position, address, change)


def mbarrier(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``mbarrier.init`` / ``arrive{.expect_tx}`` / ``try_wait.parity`` /
    ``test_wait.parity`` on ``.shared{::cta}.b64`` objects."""
    action = ins.modifiers[0]
    if action == "init":
        return _mbarrier_init(ins, index, ctx)
    if action == "arrive":
        return _mbarrier_arrive(ins, index, ctx)
    if action in ("try_wait", "test_wait") and "parity" in ins.modifiers:
        return _mbarrier_wait_parity(ins, index, ctx)
    raise ins.fail(
        "only mbarrier.init, arrive{.expect_tx} and {try,test}_wait.parity are supported"
    )


def _operand_count(ins: Instruction, counts: tuple[int, ...]) -> None:
    if len(ins.operands) not in counts:
        raise ins.fail(f"expected {' or '.join(map(str, counts))} operands")


def _observe(
    m: Machine, ins: Instruction, index: int, space: str, addresses: Any, operand: Any = None
) -> None:
    """Tell the trace observer where the executing lanes accessed ``space`` and, if given,
    the data operand they all gave (one value: a trace holds one per instruction)."""
    if m.observer is None:
        return
    full = np.ascontiguousarray(np.broadcast_to(addresses, (m.n_lanes,)), np.uint64)
    m.observer.on_memory(index, space, m.exec_mask, full)
    if operand is not None:
        values = np.unique(np.asarray(operand)[m.positions()])
        if values.size != 1:
            raise ins.fail("threads give different operands in one step: cannot be traced")
        m.observer.on_operand(index, (int(values[0]),))


def _mbarrier_init(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    _operand_count(ins, (2,))
    read_address = _address_reader(ins.operands[0], "shared", ins, ctx)
    read_count = reader(ins.operands[1], TYPES["u32"], ins, ctx)

    def run(m: Machine) -> None:
        positions = m.positions()
        addresses = _lanes(m, read_address)[positions]
        counts = _lanes(m, read_count)[positions].astype(np.int64)
        if ((counts < 1) | (counts >= 1 << COUNT_BITS)).any():
            raise ins.fail(f"an mbarrier's count must be in [1, {(1 << COUNT_BITS) - 1}]")
        _observe(m, ins, index, "shared", _lanes(m, read_address), _lanes(m, read_count))
        view, words = _shared_u64(m, ins, positions, addresses)
        fresh = [BarrierState(int(c), int(c), 0, 0).encode() for c in counts]
        view[words] = np.array(fresh, np.uint64)

    return run


def _mbarrier_arrive(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    expect_tx = "expect_tx" in ins.modifiers
    _operand_count(ins, (3,) if expect_tx else (2,))
    state_out = ins.operands[0]
    write_state = None if isinstance(state_out, Sink) else writer(state_out, TYPES["b64"], ins)
    read_address = _address_reader(ins.operands[1], "shared", ins, ctx)
    read_tx = reader(ins.operands[2], TYPES["u32"], ins, ctx) if expect_tx else None

    def run(m: Machine) -> None:
        positions = m.positions()
        addresses = _lanes(m, read_address)[positions]
        tx = _lanes(m, read_tx)[positions].astype(np.int64) if read_tx else None
        _observe(
            m,
            ins,
            index,
            "shared",
            _lanes(m, read_address),
            _lanes(m, read_tx) if read_tx else None,
        )
        if read_tx:
            m.expect_tx_barrier[positions] = addresses
        old_words = np.zeros(m.n_lanes, np.uint64)
        slots = m.lanes.cta_slot[positions].astype(np.uint64)
        keys = (slots << np.uint64(32)) | addresses
        for key in np.unique(keys):
            arriving = keys == key
            count = int(arriving.sum())
            tx_bytes = 0 if tx is None else int(tx[arriving].sum())

            def change(state: BarrierState, count: int = count, tx_bytes: int = tx_bytes) -> None:
                if count > state.pending:
                    raise ins.fail(
                        f"{count} arrivals on an mbarrier with {state.pending} pending in "
                        "one lockstep step: they would span two phases (not supported)"
                    )
                state.tx_count += tx_bytes
                state.pending -= count
                state.settle()

            first = int(positions[np.argmax(arriving)])
            old = _update_barrier(m, ins, first, int(key & np.uint64(0xFFFFFFFF)), change)
            old_words[positions[arriving]] = np.uint64(old)
        if write_state is not None:
            write_state(m, old_words)

    return run


def _mbarrier_wait_parity(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    _operand_count(ins, (3,))
    write_done = writer(ins.operands[0], TYPES["pred"], ins)
    read_address = _address_reader(ins.operands[1], "shared", ins, ctx)
    read_parity = reader(ins.operands[2], TYPES["u32"], ins, ctx)

    def run(m: Machine) -> None:
        positions = m.positions()
        view, words = _shared_u64(m, ins, positions, _lanes(m, read_address)[positions])
        phase = (view[words] >> np.uint64(PHASE_SHIFT)).astype(np.int64)
        parity = _lanes(m, read_parity)[positions].astype(np.int64) & 1
        done = np.zeros(m.n_lanes, bool)
        done[positions] = phase != parity
        _observe(m, ins, index, "shared", _lanes(m, read_address))
        if m.observer is not None and not done[positions].all():
            # The engine takes a warp's k-th wait on a barrier to be for its phase k, which
            # holds while every traced wait returns true (lockstep never spins).
            raise ins.fail("an mbarrier wait returned false while tracing: cannot be traced")
        write_done(m, done)

    return run


def _lanes(m: Machine, read: Reader | None) -> Any:
    """A reader's value broadcast to every lane."""
    assert read is not None
    return np.broadcast_to(np.asarray(read(m)), (m.n_lanes,))


TMA_MODIFIERS = (
    "async",
    "bulk",
    "tensor",
    "2d",
    "shared::cluster",
    "global",
    "tile",
    "mbarrier::complete_tx::bytes",
)


def tma_copy(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes``.

    Traced, each executing thread's copy is a global access at the box's first byte, with
    its box's rows, row bytes and row pitch as operands; its mbarrier must be the one the
    thread's last ``arrive.expect_tx`` named, where the engine completes its bytes."""
    if ins.modifiers != TMA_MODIFIERS:
        raise ins.fail("only cp." + ".".join(TMA_MODIFIERS) + " is supported")
    _operand_count(ins, (3,))
    destination, source, barrier = ins.operands
    if not isinstance(source, TensorAddress) or len(source.coordinates.items) != 2:
        raise ins.fail("expected [tensorMap, {c0, c1}] as the source")
    read_destination = _address_reader(destination, "shared", ins, ctx)
    read_map = _address_reader(source.tensor_map, "generic", ins, ctx)
    read_coordinates = [reader(c, TYPES["s32"], ins, ctx) for c in source.coordinates.items]
    read_barrier = _address_reader(barrier, "shared", ins, ctx)

    def run(m: Machine) -> None:
        destinations = _lanes(m, read_destination)
        maps = _lanes(m, read_map)
        coordinates = [_lanes(m, read).astype(np.int64) for read in read_coordinates]
        barriers = _lanes(m, read_barrier)
        firsts = np.zeros(m.n_lanes, np.uint64)
        for position in m.positions():
            tensor_map = _read_map(m, ins, int(position), int(maps[position]))
            box = (int(coordinates[0][position]), int(coordinates[1][position]))
            firsts[position] = _copy_box(
                m, ins, int(position), tensor_map, box, int(destinations[position])
            )
            complete_tx(m, ins, int(position), int(barriers[position]), tensor_map.box_bytes)
            if m.observer is not None:
                _check_expected_barrier(m, ins, int(position), int(barriers[position]))
                m.observer.on_operand(
                    index,
                    (tensor_map.box[1], tensor_map.box_row_bytes, tensor_map.row_stride_bytes),
                )
        if m.observer is not None:
            m.observer.on_memory(index, "global", m.exec_mask, firsts)

    return run


def _check_expected_barrier(m: Machine, ins: Instruction, position: int, barrier: int) -> None:
    if int(m.expect_tx_barrier[position]) != barrier:
        raise ins.fail(
            "a traced TMA copy must complete its bytes on the mbarrier of its thread's last "
            "arrive.expect_tx"
        )


def _read_map(m: Machine, ins: Instruction, position: int, address: int) -> TensorMap2d:
    space, addresses, _ = _resolve(ins, "generic", np.array([address], np.uint64))
    if space != "global":
        raise ins.fail("the tensor map must be in global memory")
    if address % TENSOR_MAP_ALIGN_BYTES:
        raise ins.fail(f"the tensor map at {address:#x} is not 64-byte aligned")
    words = addresses + np.arange(MAP_WORDS, dtype=np.uint64) * np.uint64(8)
    lanes = np.full(MAP_WORDS, position)
    values = np.empty(MAP_WORDS, np.uint64)
    for view, indices, where in _locate(m, ins, "global", lanes, words, 8, 8):
        values[where] = view[indices]
    try:
        return TensorMap2d.decode(values)
    except ValueError as error:
        raise ins.fail(str(error)) from None


def _copy_box(
    m: Machine,
    ins: Instruction,
    position: int,
    tensor_map: TensorMap2d,
    corner: tuple[int, int],
    destination: int,
) -> int:
    """The box at ``corner`` (elements along dimension 0, rows along 1) into shared memory;
    returns the global address of its first byte."""
    for axis in (0, 1):
        if corner[axis] < 0 or corner[axis] + tensor_map.box[axis] > tensor_map.dims[axis]:
            raise ins.fail(
                f"the box at {corner} reaches outside the tensor of {tensor_map.dims} along "
                f"dimension {axis} (zero fill is not supported)"
            )
    if destination % TMA_SHARED_ALIGN_BYTES:
        raise ins.fail(f"the shared destination {destination:#x} is not 128-byte aligned")
    bases = {name: base for name, base, _ in m.launch.global_memory.segments()}
    base = bases.get(f"arg{tensor_map.argument}")
    if base is None:
        raise ins.fail(f"the tensor map names argument {tensor_map.argument}, not an array")
    rows = np.arange(tensor_map.box[1], dtype=np.uint64)[:, None]
    row_bytes = tensor_map.box_row_bytes
    columns = np.arange(0, row_bytes, WORD_BYTES, dtype=np.uint64)[None, :]
    first = base + corner[1] * tensor_map.row_stride_bytes + corner[0] * tensor_map.element_bytes
    sources = (np.uint64(first) + rows * np.uint64(tensor_map.row_stride_bytes) + columns).ravel()
    targets = np.uint64(destination) + rows * np.uint64(row_bytes) + columns
    targets = swizzled(targets.ravel(), tensor_map.swizzle_bytes)
    lanes = np.full(sources.size, position)
    data = np.empty(sources.size, np.uint32)
    for view, indices, where in _locate(m, ins, "global", lanes, sources, WORD_BYTES, 1):
        data[where] = view[indices]
    for view, indices, where in _locate(m, ins, "shared", lanes, targets, WORD_BYTES, 1):
        view[indices] = data[where]
    return int(first)


def wgmma(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``wgmma.fence`` / ``commit_group`` / ``wait_group`` (issue slots) and ``mma_async``."""
    action = ins.modifiers[0]
    if action in ("fence", "commit_group", "wait_group"):
        return lambda m: None
    if action != "mma_async":
        raise ins.fail("unsupported wgmma instruction")
    return _wgmma_mma(ins, ctx)


@dataclass(frozen=True)
class _Descriptor:
    start: npt.NDArray[np.uint64]
    leading_bytes: npt.NDArray[np.uint64]
    stride_bytes: npt.NDArray[np.uint64]
    swizzle_bytes: int


def _descriptors(ins: Instruction, words: npt.NDArray[np.uint64]) -> _Descriptor:
    """The fields of one descriptor per warpgroup (``words``)."""
    field = np.uint64(0x3FFF)
    modes = {int(mode) for mode in words >> np.uint64(62)}
    if len(modes) != 1:
        raise ins.fail("warpgroups of one batch use different swizzle modes (not supported)")
    if ((words >> np.uint64(49)) & np.uint64(7)).any():
        raise ins.fail("a descriptor base offset other than 0 is not supported")
    return _Descriptor(
        start=(words & field) << np.uint64(4),
        leading_bytes=((words >> np.uint64(16)) & field) << np.uint64(4),
        stride_bytes=((words >> np.uint64(32)) & field) << np.uint64(4),
        swizzle_bytes=DESCRIPTOR_SWIZZLE_BYTES[modes.pop()],
    )


def operand_addresses(descriptor: _Descriptor, rows: int, element_bytes: int) -> Any:
    """[warpgroup, row, k] shared addresses of a k-major operand of ``rows`` rows of 32
    bytes (one wgmma's k) of ``element_bytes`` elements."""
    r = np.arange(rows, dtype=np.uint64)[None, :, None]
    k = WGMMA_K_BYTES // element_bytes
    k_bytes = np.arange(k, dtype=np.uint64)[None, None, :] * np.uint64(element_bytes)
    start = descriptor.start[:, None, None]
    groups = (r // np.uint64(CORE_ROWS)) * descriptor.stride_bytes[:, None, None]
    if descriptor.swizzle_bytes:
        span = np.uint64(descriptor.swizzle_bytes)
        logical = start + groups + (r % np.uint64(CORE_ROWS)) * span + k_bytes
        return swizzled(logical, descriptor.swizzle_bytes)
    chunk = np.uint64(CORE_ROW_BYTES)
    cores = (k_bytes // chunk) * descriptor.leading_bytes[:, None, None]
    return start + groups + cores + (r % np.uint64(CORE_ROWS)) * chunk + k_bytes % chunk


def _wgmma_mma(ins: Instruction, ctx: CompileContext) -> Step:
    shape = [WGMMA_SHAPE.fullmatch(mod) for mod in ins.modifiers]
    matches = [match for match in shape if match is not None]
    types = ins.modifiers[-3:]
    element_bytes = WGMMA_INPUT_BYTES.get(types[1], 0)
    if (
        len(matches) != 1
        or types[0] != "f32"
        or types[1] != types[2]
        or not element_bytes
        or int(matches[0].group(1)) % 8
        or int(matches[0].group(2)) * element_bytes != WGMMA_K_BYTES
    ):
        raise ins.fail(
            "only wgmma.mma_async m64nNk16 .f32 on .bf16 or .f16 and m64nNk32 .f32 on .e4m3 "
            "are supported"
        )
    n = int(matches[0].group(1))
    input_type = types[1]
    transposable = element_bytes == 2  # only 16-bit inputs take imm-trans-a / imm-trans-b
    _operand_count(ins, (8,) if transposable else (6,))
    d, a_desc, b_desc, scale_d, *immediates = ins.operands
    if not isinstance(d, VectorOperand) or len(d.items) != n // 2:
        raise ins.fail(f"expected a vector of {n // 2} accumulator registers")
    if not all(isinstance(op, ImmInt) for op in immediates):
        raise ins.fail("the imm-scale and imm-trans operands must be constants")
    scale_a, scale_b, *transposes = (op.value for op in immediates)  # type: ignore[union-attr]
    if any(transposes):
        raise ins.fail("transposed (mn-major) operands are not supported")
    if scale_a not in (1, -1) or scale_b not in (1, -1):
        raise ins.fail("imm-scale-a and imm-scale-b must be 1 or -1")
    writes = [writer(item, TYPES["f32"], ins) for item in d.items]
    reads = [reader(item, TYPES["f32"], ins, ctx) for item in d.items]
    read_a, read_b = (reader(op, TYPES["u64"], ins, ctx) for op in (a_desc, b_desc))
    read_scale = reader(scale_d, TYPES["pred"], ins, ctx)
    rows, cols = _accumulator_coordinates(n)
    sign = float(scale_a * scale_b)

    def run(m: Machine) -> None:
        groups = _warpgroups(m, ins)  # [warpgroup, 128] lane positions
        uniform = [_uniform(ins, _lanes(m, read), groups) for read in (read_a, read_b, read_scale)]
        a = _operand(m, ins, _descriptors(ins, uniform[0]), groups, WGMMA_M, input_type)
        b = _operand(m, ins, _descriptors(ins, uniform[1]), groups, n, input_type)
        product = sign * np.einsum("gmk,gnk->gmn", a, b)
        c = np.stack([_lanes(m, read)[groups] for read in reads]).astype(np.float64)
        accumulate = uniform[2].astype(bool)[:, None, None]
        d_values = product[:, rows, cols] + np.where(accumulate, c.transpose(1, 0, 2), 0.0)
        d_values = d_values.astype(np.float32)  # [warpgroup, register, lane]
        for register, write in enumerate(writes):
            full = np.zeros(m.n_lanes, np.float32)
            full[groups] = d_values[:, register, :]
            write(m, full)

    return run


def _accumulator_coordinates(n: int) -> tuple[Any, Any]:
    """(row, column) in the 64 x ``n`` D tile of register i of warpgroup lane t,
    indexed [i, t]."""
    register = np.arange(n // 2)[:, None]
    lane = np.arange(WARPS_PER_WARPGROUP * WARP_SIZE)[None, :]
    warp, group, pair = lane // WARP_SIZE, (lane % WARP_SIZE) // 4, lane % 4
    j, q = register // 4, register % 4
    rows = 16 * warp + group + 8 * (q // 2)
    cols = 8 * j + 2 * pair + q % 2
    return rows, cols


def _warpgroups(m: Machine, ins: Instruction) -> npt.NDArray[np.int64]:
    """[warpgroup, 128] lane positions of the executing warpgroups, which must be whole."""
    by_warp = m.exec_mask.reshape(-1, WARP_SIZE)
    warps = np.flatnonzero(by_warp.any(axis=1))
    if not by_warp[warps].all() or warps.size % WARPS_PER_WARPGROUP:
        raise ins.fail("wgmma .sync.aligned needs every thread of its warpgroups active")
    quads = warps.reshape(-1, WARPS_PER_WARPGROUP)
    in_cta = m.lanes.warp_in_cta[quads]
    slots = m.lanes.warp_slot[quads]
    aligned = (in_cta == in_cta[:, :1] + np.arange(WARPS_PER_WARPGROUP)) & (in_cta[:, :1] % 4 == 0)
    if not aligned.all() or (slots != slots[:, :1]).any():
        raise ins.fail("wgmma .sync.aligned needs every thread of its warpgroups active")
    lanes = quads[:, :, None] * WARP_SIZE + np.arange(WARP_SIZE)
    return lanes.reshape(quads.shape[0], -1).astype(np.int64)


def _uniform(ins: Instruction, values: Any, groups: npt.NDArray[np.int64]) -> Any:
    """One value per warpgroup of an operand its threads must agree on."""
    per_lane = values[groups]
    if (per_lane != per_lane[:, :1]).any():
        raise ins.fail("the threads of a warpgroup give different descriptors or scale-d")
    return per_lane[:, 0]


def _operand(
    m: Machine,
    ins: Instruction,
    descriptor: _Descriptor,
    groups: npt.NDArray[np.int64],
    rows: int,
    input_type: str,
) -> npt.NDArray[np.float64]:
    """[warpgroup, rows, k] values of a k-major operand in shared memory."""
    width = WGMMA_INPUT_BYTES[input_type]
    addresses = operand_addresses(descriptor, rows, width)
    lanes = np.broadcast_to(groups[:, :1, None], addresses.shape).ravel()
    bits = np.empty(addresses.size, np.uint16 if width == 2 else np.uint8)
    for view, indices, where in _locate(m, ins, "shared", lanes, addresses.ravel(), width, width):
        bits[where] = view[indices]
    if input_type == "e4m3":
        values = e4m3_to_float64(bits)
    elif input_type == "bf16":
        values = (bits.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)
    else:
        values = bits.view(np.float16).astype(np.float64)
    return values.reshape(addresses.shape)


HANDLERS: dict[str, Handler] = {"mbarrier": mbarrier, "wgmma": wgmma}
