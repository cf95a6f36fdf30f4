"""A tensor-core GEMM as Hopper libraries write it: tiles brought in by the tensor memory
accelerator (``cp.async.bulk.tensor``) completing on ``mbarrier``s, ``wgmma.mma_async`` on
shared-memory descriptors. bf16, fp16 or fp8 (e4m3) in, fp32 accumulate; sm_90a.

C[m, n] = A[m, k] @ B[k, n] with A held m x k and B held n x k (both k-major: "TN", the
layout in which every wgmma input type, fp8 included, takes both operands from shared
memory). A 256-thread CTA (two warpgroups) computes a 128 x 256 tile of C, the tile of
CUTLASS's Hopper GEMMs; warpgroup ``g`` owns rows ``64 g .. 64 g + 63`` and issues
``wgmma.m64n256k16`` (``k32`` for e4m3; 128 fp32 accumulators per thread). Per k-tile of
128 bytes (64 bf16/fp16, 128 e4m3):

* **Copy.** Thread 0 issues two 2D TMA copies (A's box of 128 rows and B's of 256 rows of
  128 bytes, 16 and 32 KiB, 128-byte swizzle) into one of ``STAGES`` shared-memory stages,
  after ``mbarrier.arrive.expect_tx`` of the stage's 48 KiB on the stage's *full* barrier; the
  copies complete their bytes on that barrier. The prologue fills every stage.
* **Compute.** Every thread waits on the stage's full barrier (``try_wait.parity`` with the
  stage's use count's parity), then its warpgroup issues four ``wgmma`` (32 bytes of k
  each, the descriptors' start address advanced by 32 bytes) between ``wgmma.fence`` and
  ``commit_group``. ``wait_group 1`` lets this k-tile's group run while it proves the
  previous one complete; every thread then arrives on that stage's *empty* barrier and
  thread 0, once it completes, refills the stage with the k-tile ``STAGES`` ahead
  (``fence.proxy.async`` orders the generic-proxy reads before the async-proxy writes).
* **Shared layout.** A stage's A and B tiles are 128 and 256 rows of 128 bytes. The TMA's 128-byte
  swizzle stores 16-byte chunk ``c`` of row ``r`` at chunk ``c ^ (r % 8)`` (address bits 4-6
  XOR bits 7-9), the layout the descriptors' swizzle mode 1 (128 bytes) reads: rows 128
  bytes apart within 8-row groups, groups 1024 bytes apart (stride byte offset). Stages
  start on 1024-byte boundaries, so the pattern is the address's own (the descriptors' base
  offset is 0).
* **Epilogue.** Each thread stores its 128 accumulators straight from registers in the
  wgmma D layout (warp ``w`` of the warpgroup holds rows ``16 w .. 16 w + 15``).

Every thread runs the same loop (thread 0 alone issues the copies): the producer is the
first thread of the consumer warpgroups, not a warpgroup of its own, because the PTX
emulator runs a CTA's warps in lockstep and a separate producer path spinning on the empty
barriers would never see the consumers arrive.

**The tensor maps** are the kernel's fourth argument, ``maps``: a uint64 array of shape
(2, 16), row 0 A's 128-byte ``CUtensorMap`` and row 1 B's, read by the TMA from global
memory (the PTX ISA allows a tensor map in .param, .const or .global). On a GPU they are
made by the driver (``cuTensorMapEncodeTiled``, ``gpusim.validate.tensor_maps``). The
emulator cannot read the driver's opaque encoding; ``HopperGemmKernelDef.operands``
fills the rows with gpusim's documented one (``gpusim.cuda.ptx.tensor_map``), which names
the tensor by its kernel argument position instead of its address.

numba-cuda has no intrinsics for these instructions, so each is an llvmlite ``InlineAsm``.
The kernel's facts (tiles, the sizes it needs, compute capability 9.0) are registered in
``gemm_def`` (``GEMM_TC_HOPPER_*``); the PTX emulator proves every format against NumPy.
"""

from __future__ import annotations

from typing import Any, no_type_check

import numpy as np
from llvmlite import ir
from numba import cuda
from numba.cuda import types
from numba.cuda.extending import intrinsic

from gpusim.cuda.kernels.gemm_tc_ampere import _asm, shared_address
from gpusim.cuda.kernels.kernel_def import THREADS_PER_WARP
from gpusim.cuda.ptx.tensor_map import MAP_WORDS

STAGES = 4
"""Shared-memory stages of the TMA ring."""
CTA_TILE_M = 128
CTA_TILE_N = 256
WARPGROUP_THREADS = 4 * THREADS_PER_WARP
WARPGROUPS = 2
THREADS = WARPGROUPS * WARPGROUP_THREADS  # 256
WGMMA_M, WGMMA_N = 64, CTA_TILE_N
ACCUMULATORS = WGMMA_M * WGMMA_N // WARPGROUP_THREADS  # 128 fp32 per thread
ROW_BYTES = 128  # a k-tile row: one swizzle span (64 bf16/fp16, 128 e4m3)
A_TILE_BYTES = CTA_TILE_M * ROW_BYTES  # 16 KiB
B_TILE_BYTES = CTA_TILE_N * ROW_BYTES  # 32 KiB
STAGE_BYTES = A_TILE_BYTES + B_TILE_BYTES  # 48 KiB
K_STEP_BYTES = 32  # one wgmma's k: 16 bf16/fp16, 32 e4m3
SWIZZLE_ALIGN_BYTES = 1024
"""A 128-byte swizzle atom (8 rows of 128 bytes): stages start on its boundary, which the
launch's dynamic shared memory (``gemm_def.HopperGemmKernelDef``) leaves room for."""
GROUP_STRIDE_BYTES = 8 * ROW_BYTES  # 1024: stride byte offset of 8-row groups
DESCRIPTOR_SWIZZLE_128B = 1 << 62
DESCRIPTOR_LEADING_BYTE_OFFSET = 1 << 16
"""Leading byte offset field 1 (16 bytes): unused by swizzled k-major layouts."""
DESCRIPTOR_FIXED = (
    DESCRIPTOR_SWIZZLE_128B | ((GROUP_STRIDE_BYTES >> 4) << 32) | DESCRIPTOR_LEADING_BYTE_OFFSET
)
BARRIERS = 2 * STAGES
"""A full and an empty mbarrier per stage."""

FENCE_PROXY_ASYNC_PTX = "fence.proxy.async.shared::cta;"
MBARRIER_INIT_PTX = "mbarrier.init.shared::cta.b64 [$0], $1;"
MBARRIER_ARRIVE_PTX = "mbarrier.arrive.shared::cta.b64 _, [$0];"
MBARRIER_EXPECT_TX_PTX = "mbarrier.arrive.expect_tx.shared::cta.b64 _, [$0], $1;"
MBARRIER_TRY_WAIT_PTX = (
    "{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [$1], $2; selp.u32 $0, 1, 0, p; }"
)
TMA_LOAD_PTX = (
    "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes "
    "[$0], [$1, {$2, $3}], [$4];"
)
WGMMA_FENCE_PTX = "wgmma.fence.sync.aligned;"
WGMMA_COMMIT_PTX = "wgmma.commit_group.sync.aligned;"
WGMMA_WAIT_PTX = "wgmma.wait_group.sync.aligned {pending};"
_D_REGISTERS = ", ".join(f"${i}" for i in range(ACCUMULATORS))
_SCALE_D = f"${2 * ACCUMULATORS + 2}"  # after D, the two descriptors and D's inputs


def wgmma_ptx(input_type: str) -> str:
    """``wgmma.mma_async`` m64n256k(32 bytes of ``input_type``) with fp32 D on k-major A and
    B descriptors; ``scale-d`` (a predicate) set from the last operand. The 16-bit types
    take the transpose immediates (0: k-major), e4m3 has none."""
    k = K_STEP_BYTES // (1 if input_type == "e4m3" else 2)
    immediates = "1, 1" if input_type == "e4m3" else "1, 1, 0, 0"
    return (
        f"{{ .reg .pred p; setp.ne.b32 p, {_SCALE_D}, 0; "
        f"wgmma.mma_async.sync.aligned.m{WGMMA_M}n{WGMMA_N}k{k}"
        f".f32.{input_type}.{input_type} "
        f"{{{_D_REGISTERS}}}, ${ACCUMULATORS}, ${ACCUMULATORS + 1}, p, {immediates}; }}"
    )


WGMMA_CONSTRAINTS = ",".join(
    ["=f"] * ACCUMULATORS + ["l", "l"] + [str(i) for i in range(ACCUMULATORS)] + ["r"]
)


def _statement(text: str, constraints: str) -> Any:
    """An intrinsic: the PTX ``text`` on a tuple of int64 operands (``r`` ones, shared
    addresses and 32-bit values, cut to their low 32 bits), returning nothing."""
    kinds = constraints.split(",") if constraints else []

    @no_type_check
    def statement(typingctx, operands):
        sig = types.void(operands)

        def codegen(context, builder, signature, args):
            values = [builder.extract_value(args[0], i) for i in range(len(kinds))]
            values = [
                builder.trunc(value, ir.IntType(32)) if kind == "r" else value
                for value, kind in zip(values, kinds, strict=True)
            ]
            _asm(builder, ir.VoidType(), values, text, constraints)
            return context.get_dummy_value()

        return sig, codegen

    return intrinsic(statement)


def _bare(text: str) -> Any:
    """An intrinsic: the operand-free PTX ``text``."""

    @no_type_check
    def statement(typingctx):
        sig = types.void()

        def codegen(context, builder, signature, args):
            _asm(builder, ir.VoidType(), [], text, "")
            return context.get_dummy_value()

        return sig, codegen

    return intrinsic(statement)


fence_proxy_async = _bare(FENCE_PROXY_ASYNC_PTX)
mbarrier_init = _statement(MBARRIER_INIT_PTX, "r,r")
mbarrier_arrive = _statement(MBARRIER_ARRIVE_PTX, "r")
mbarrier_arrive_expect_tx = _statement(MBARRIER_EXPECT_TX_PTX, "r,r")
tma_load_2d = _statement(TMA_LOAD_PTX, "r,l,r,r,r")
wgmma_fence = _bare(WGMMA_FENCE_PTX)
wgmma_commit = _bare(WGMMA_COMMIT_PTX)
wgmma_wait_1 = _bare(WGMMA_WAIT_PTX.format(pending=1))
wgmma_wait_0 = _bare(WGMMA_WAIT_PTX.format(pending=0))


@intrinsic
@no_type_check
def mbarrier_try_wait(typingctx, barrier, parity):
    """1 if the phase of parity ``parity`` of the barrier at shared ``barrier`` completed."""
    sig = types.uint32(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        values = [builder.trunc(value, i32) for value in args]
        return _asm(builder, i32, values, MBARRIER_TRY_WAIT_PTX, "=r,r,r")

    return sig, codegen


@intrinsic
@no_type_check
def zero_accumulators(typingctx):
    """A tuple of ``ACCUMULATORS`` fp32 zeros (the wgmma D registers before k-tile 0)."""
    sig = types.UniTuple(types.float32, ACCUMULATORS)()

    def codegen(context, builder, signature, args):
        zero = context.get_constant(types.float32, 0.0)
        return context.make_tuple(builder, signature.return_type, [zero] * ACCUMULATORS)

    return sig, codegen


def _wgmma(input_type: str) -> Any:
    """An intrinsic: D = A B + D (``scale_d`` 1) or A B (0) of one m64n256 wgmma (32 bytes
    of k) on shared-memory descriptors of A and B, ``input_type`` in, D an fp32 tuple."""
    text = wgmma_ptx(input_type)

    @no_type_check
    def wgmma(typingctx, descriptor_a, descriptor_b, accumulators, scale_d):
        tuple_type = types.UniTuple(types.float32, ACCUMULATORS)
        sig = tuple_type(types.uint64, types.uint64, tuple_type, types.int64)

        def codegen(context, builder, signature, args):
            f32 = ir.FloatType()
            inputs = [builder.extract_value(args[2], i) for i in range(ACCUMULATORS)]
            scale = builder.trunc(args[3], ir.IntType(32))
            result = _asm(
                builder,
                ir.LiteralStructType([f32] * ACCUMULATORS),
                [args[0], args[1], *inputs, scale],
                text,
                WGMMA_CONSTRAINTS,
            )
            values = [builder.extract_value(result, i) for i in range(ACCUMULATORS)]
            return context.make_tuple(builder, signature.return_type, values)

        return sig, codegen

    return intrinsic(wgmma)


@intrinsic
@no_type_check
def generic_address(typingctx, array):
    """The generic address of an array's first element, as int64 (a tensor map's operand)."""
    sig = types.int64(array)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
        return builder.ptrtoint(data, ir.IntType(64))

    return sig, codegen


wgmma_bf16 = _wgmma("bf16")
wgmma_f16 = _wgmma("f16")
wgmma_e4m3 = _wgmma("e4m3")


def _kernel(wgmma: Any, k_tile: int, name: str) -> Any:
    """The GEMM kernel, named ``name``, with ``wgmma`` as its tensor-core instruction on
    k-tiles of ``k_tile`` elements (128 bytes)."""

    @no_type_check
    def gemm(a, b, c, maps):
        ring = cuda.shared.array(0, np.uint8)
        barriers = cuda.shared.array(BARRIERS, np.uint64)  # full[s], then empty[s]
        tid = np.int64(cuda.threadIdx.x)
        warpgroup = tid // WARPGROUP_THREADS
        lane = tid % THREADS_PER_WARP
        warp = (tid % WARPGROUP_THREADS) // THREADS_PER_WARP
        tiles = np.int64(a.shape[1]) // k_tile
        row0 = np.int64(cuda.blockIdx.y) * CTA_TILE_M
        col0 = np.int64(cuda.blockIdx.x) * CTA_TILE_N
        ring_base = (shared_address(ring) + SWIZZLE_ALIGN_BYTES - 1) & -SWIZZLE_ALIGN_BYTES
        full = shared_address(barriers)
        empty = full + STAGES * 8
        a_map = generic_address(maps)
        b_map = a_map + MAP_WORDS * 8
        if tid == 0:
            for s in range(STAGES):
                mbarrier_init((full + s * 8, np.int64(1)))
                mbarrier_init((empty + s * 8, np.int64(THREADS)))
            for t in range(min(STAGES, tiles)):
                _load(t * k_tile, t, ring_base, full, a_map, b_map, row0, col0)
        cuda.syncthreads()
        acc = zero_accumulators()
        a_offset = warpgroup * (WGMMA_M * ROW_BYTES)
        for t in range(tiles):
            stage = t % STAGES
            while mbarrier_try_wait(full + stage * 8, (t // STAGES) & 1) == 0:
                pass
            a_tile = ring_base + stage * STAGE_BYTES
            wgmma_fence()
            # The k-tile's four wgmmas (ROW_BYTES / K_STEP_BYTES) written out: as a loop over
            # 128 accumulators LLVM leaves it rolled (one wgmma in the PTX, in a loop).
            a_k = a_tile + a_offset
            b_k = a_tile + A_TILE_BYTES
            acc = wgmma(_descriptor(a_k), _descriptor(b_k), acc, 1)
            acc = wgmma(_descriptor(a_k + K_STEP_BYTES), _descriptor(b_k + K_STEP_BYTES), acc, 1)
            acc = wgmma(
                _descriptor(a_k + 2 * K_STEP_BYTES), _descriptor(b_k + 2 * K_STEP_BYTES), acc, 1
            )
            acc = wgmma(
                _descriptor(a_k + 3 * K_STEP_BYTES), _descriptor(b_k + 3 * K_STEP_BYTES), acc, 1
            )
            wgmma_commit()
            wgmma_wait_1()
            if t > 0:
                done = t - 1  # its wgmmas have completed: its stage can be refilled
                mbarrier_arrive((empty + (done % STAGES) * 8,))
                if tid == 0 and done + STAGES < tiles:
                    while mbarrier_try_wait(empty + (done % STAGES) * 8, (done // STAGES) & 1) == 0:
                        pass
                    fence_proxy_async()
                    refill = (done + STAGES) * k_tile
                    _load(refill, done % STAGES, ring_base, full, a_map, b_map, row0, col0)
        wgmma_wait_0()
        r = np.uint64(row0 + warpgroup * WGMMA_M + warp * 16 + lane // 4)
        _store_accumulators(c, r, np.uint64(col0 + 2 * (lane % 4)), acc)

    gemm.__name__ = gemm.__qualname__ = name
    return gemm


@cuda.jit(device=True, inline=True)
@no_type_check
def _store_pair(c, r, n8, d0, d1, d2, d3):
    """Two columns (``n8``, ``n8 + 1``) of rows ``r`` and ``r + 8`` of the D fragment."""
    c[r, n8] = d0
    c[r, n8 + np.uint64(1)] = d1
    c[r + np.uint64(8), n8] = d2
    c[r + np.uint64(8), n8 + np.uint64(1)] = d3


@cuda.jit(device=True, inline=True)
@no_type_check
def _store_accumulators(c, r, col, acc):
    """The thread's ``ACCUMULATORS`` in the wgmma D layout: register ``4 j + q`` at column
    ``8 j`` of its pair. The registers are named by constants, as an unrolled epilogue names
    them: a loop over ``j`` would index the tuple at run time, which Numba compiles to a
    128-way switch per element."""
    _store_pair(c, r, col + np.uint64(0), acc[0], acc[1], acc[2], acc[3])
    _store_pair(c, r, col + np.uint64(8), acc[4], acc[5], acc[6], acc[7])
    _store_pair(c, r, col + np.uint64(16), acc[8], acc[9], acc[10], acc[11])
    _store_pair(c, r, col + np.uint64(24), acc[12], acc[13], acc[14], acc[15])
    _store_pair(c, r, col + np.uint64(32), acc[16], acc[17], acc[18], acc[19])
    _store_pair(c, r, col + np.uint64(40), acc[20], acc[21], acc[22], acc[23])
    _store_pair(c, r, col + np.uint64(48), acc[24], acc[25], acc[26], acc[27])
    _store_pair(c, r, col + np.uint64(56), acc[28], acc[29], acc[30], acc[31])
    _store_pair(c, r, col + np.uint64(64), acc[32], acc[33], acc[34], acc[35])
    _store_pair(c, r, col + np.uint64(72), acc[36], acc[37], acc[38], acc[39])
    _store_pair(c, r, col + np.uint64(80), acc[40], acc[41], acc[42], acc[43])
    _store_pair(c, r, col + np.uint64(88), acc[44], acc[45], acc[46], acc[47])
    _store_pair(c, r, col + np.uint64(96), acc[48], acc[49], acc[50], acc[51])
    _store_pair(c, r, col + np.uint64(104), acc[52], acc[53], acc[54], acc[55])
    _store_pair(c, r, col + np.uint64(112), acc[56], acc[57], acc[58], acc[59])
    _store_pair(c, r, col + np.uint64(120), acc[60], acc[61], acc[62], acc[63])
    _store_pair(c, r, col + np.uint64(128), acc[64], acc[65], acc[66], acc[67])
    _store_pair(c, r, col + np.uint64(136), acc[68], acc[69], acc[70], acc[71])
    _store_pair(c, r, col + np.uint64(144), acc[72], acc[73], acc[74], acc[75])
    _store_pair(c, r, col + np.uint64(152), acc[76], acc[77], acc[78], acc[79])
    _store_pair(c, r, col + np.uint64(160), acc[80], acc[81], acc[82], acc[83])
    _store_pair(c, r, col + np.uint64(168), acc[84], acc[85], acc[86], acc[87])
    _store_pair(c, r, col + np.uint64(176), acc[88], acc[89], acc[90], acc[91])
    _store_pair(c, r, col + np.uint64(184), acc[92], acc[93], acc[94], acc[95])
    _store_pair(c, r, col + np.uint64(192), acc[96], acc[97], acc[98], acc[99])
    _store_pair(c, r, col + np.uint64(200), acc[100], acc[101], acc[102], acc[103])
    _store_pair(c, r, col + np.uint64(208), acc[104], acc[105], acc[106], acc[107])
    _store_pair(c, r, col + np.uint64(216), acc[108], acc[109], acc[110], acc[111])
    _store_pair(c, r, col + np.uint64(224), acc[112], acc[113], acc[114], acc[115])
    _store_pair(c, r, col + np.uint64(232), acc[116], acc[117], acc[118], acc[119])
    _store_pair(c, r, col + np.uint64(240), acc[120], acc[121], acc[122], acc[123])
    _store_pair(c, r, col + np.uint64(248), acc[124], acc[125], acc[126], acc[127])


@cuda.jit(device=True, inline=True)
@no_type_check
def _descriptor(shared: int) -> int:
    """The wgmma descriptor of a k-major, 128-byte-swizzled tile starting at ``shared``."""
    return np.uint64(DESCRIPTOR_FIXED) | np.uint64((shared & 0x3FFFF) >> 4)


@cuda.jit(device=True, inline=True)
@no_type_check
def _load(k0, stage, ring_base, full, a_map, b_map, row0, col0):
    """Thread 0: the k-tile from element ``k0`` of A's 128-row and B's 256-row panels into
    ``stage``."""
    barrier = full + stage * 8
    a_tile = ring_base + stage * STAGE_BYTES
    mbarrier_arrive_expect_tx((barrier, np.int64(STAGE_BYTES)))
    tma_load_2d((a_tile, a_map, k0, row0, barrier))
    tma_load_2d((a_tile + A_TILE_BYTES, b_map, k0, col0, barrier))


gemm_tc_hopper_bf16 = _kernel(wgmma_bf16, ROW_BYTES // 2, "gemm_tc_hopper_bf16")
gemm_tc_hopper_fp16 = _kernel(wgmma_f16, ROW_BYTES // 2, "gemm_tc_hopper_fp16")
gemm_tc_hopper_fp8 = _kernel(wgmma_e4m3, ROW_BYTES, "gemm_tc_hopper_fp8")
