"""A tensor-core GEMM as Ampere-class libraries write it: ``cp.async`` pipeline, ``ldmatrix``,
``mma.sync``, XOR-swizzled shared memory. fp16 or bf16 in (``m16n8k16``), fp32 accumulate;
tf32 in (``m16n8k8``), fp32 accumulate; int8 in (``m16n8k32``), int32 accumulate.

C[m, n] = A[m, k] @ B[k, n], all row-major. A 256-thread CTA computes a 128 x 128 tile of C;
its 8 warps (2 along m x 4 along n) own 64 x 32 warp tiles (4 x 4 ``mma`` tiles of 16 x 8,
64 fp32 accumulators per lane). Per 32-wide k-tile:

* **Copy.** Every thread issues two 16-byte ``cp.async.cg`` for A's 128 x 32 slab (8 KiB)
  and two for B's 32 x 128 slab, into one of ``STAGES`` shared-memory stages; each k-tile's
  copies are one ``commit_group``. The loop runs ``STAGES - 1`` k-tiles ahead of the
  compute: at k-tile ``c`` it copies k-tile ``c + STAGES - 1`` and ``wait_group``s until
  at most ``STAGES - 1`` groups are pending, i.e. k-tile ``c`` has landed. The fp16 kernel
  also comes with 1, 2 and 4 stages (``gemm_tc_ampere_fp16_stagesN``) for studies of the
  pipeline's depth; 4 stages (64 KiB) pass the 48 KiB static limit and live in dynamic
  shared memory.
* **Fragments.** ``ldmatrix.x4`` loads the A fragments of a 16 x 16 mma tile (four 8 x 8
  matrices: rows 0-7 / 8-15 x k 0-7 / 8-15, in the a0..a3 order of the PTX ISA's m16n8k16
  fragment layout); ``ldmatrix.x4.trans`` loads the B fragments of two n8 tiles from B's
  k-major rows (the transpose gives each lane its pair of elements adjacent along k).
* **Swizzle.** A's shared rows are 64 bytes (4 chunks of 16 B): chunk ``q`` of row ``r``
  lives at chunk ``q ^ ((r >> 1) & 3)``, so the 8 rows one ``ldmatrix`` matrix reads fall
  in 8 distinct 16-byte bank groups. B's rows are 256 bytes (16 chunks): chunk ``q`` of
  k-row ``r`` lives at ``q ^ (r & 7)``. Both ``ldmatrix`` and the ``cp.async`` writes are
  then free of bank conflicts (4 wavefronts per warp-wide 512 bytes, the minimum).
* **tf32 and int8 ("TN").** Their B is held n x k (k contiguous), as int8 tensor-core GEMMs
  take it (cuBLASLt's IMMA accepts only transposed-B layouts): an ``mma`` B fragment holds
  32-bit words along k (one tf32, four int8), which ``ldmatrix.trans`` (16-bit elements)
  cannot gather from k-major rows. So B's tile is laid out, copied, swizzled and loaded
  exactly as A's: 128 rows of 64 bytes (16 tf32 or 64 int8 of k), ``ldmatrix.x4`` giving
  two n8 tiles' fragments. A 32-byte k-step is one ``mma`` in every format (k8 tf32, k16
  fp16/bf16, k32 int8), so the tiling, stages and fragment addressing are the fp16 kernel's.
  tf32 operands are fp32 words already rounded to tf32 (``gemm_def.to_input``): the kernel
  feeds them to the ``mma`` as they are, without a ``cvt.rna.tf32.f32`` per element.
* **Epilogue.** Each lane stores its accumulators straight from registers: per store
  instruction 8 rows x 4 lanes x 2 adjacent floats, every touched 32-byte sector written
  whole (no staging through shared memory).

numba-cuda has no intrinsics for these instructions, so each is an llvmlite ``InlineAsm``
below; shared and global addresses are taken with ``cvta.to.shared`` / ``cvta.to.global``
and carried as byte offsets in 64-bit integers. The kernel's facts (tiles, the sizes it
needs, compute capability 8.0) are registered in ``gemm_def`` (``GEMM_TC_AMPERE_*``); the
PTX emulator proves both formats against NumPy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, no_type_check

import numpy as np
from llvmlite import ir
from numba import cuda
from numba.cuda import types
from numba.cuda.extending import intrinsic

from gpusim.cuda.kernels.gemm_def import (
    TC_AMPERE_STAGE_BYTES,
    TC_AMPERE_STAGES,
    tc_ampere_dynamic_shared_bytes,
)
from gpusim.cuda.kernels.kernel_def import THREADS_PER_WARP

STAGES = TC_AMPERE_STAGES
"""Shared-memory stages of the copy pipeline (the fp16 kernel also comes with 1, 2 and 4,
for studies of the pipeline's depth: ``gemm_def.GEMM_TC_AMPERE_FP16_DEPTHS``)."""
CTA_TILE_M = 128
CTA_TILE_N = 128
CTA_TILE_K = 32
WARPS_M = 2
WARPS_N = 4
THREADS = WARPS_M * WARPS_N * THREADS_PER_WARP  # 256
WARP_TILE_M = CTA_TILE_M // WARPS_M  # 64
WARP_TILE_N = CTA_TILE_N // WARPS_N  # 32
MMA_M, MMA_N, MMA_K = 16, 8, 16
MMAS_M = WARP_TILE_M // MMA_M  # 4
MMAS_N = WARP_TILE_N // MMA_N  # 4
K_STEPS = CTA_TILE_K // MMA_K  # 2
ELEMENT_BYTES = 2  # fp16 / bf16
CHUNK_BYTES = 16  # one cp.async, one ldmatrix row
A_ROW_BYTES = CTA_TILE_K * ELEMENT_BYTES  # 64
B_ROW_BYTES = CTA_TILE_N * ELEMENT_BYTES  # 256
A_ROW_CHUNKS = A_ROW_BYTES // CHUNK_BYTES  # 4
B_ROW_CHUNKS = B_ROW_BYTES // CHUNK_BYTES  # 16
A_STAGE_BYTES = CTA_TILE_M * A_ROW_BYTES  # 8 KiB
B_STAGE_BYTES = CTA_TILE_K * B_ROW_BYTES  # 8 KiB
COPIES_PER_THREAD = A_STAGE_BYTES // CHUNK_BYTES // THREADS  # 2 (and 2 for B)
A_COPY_ROW_STEP = THREADS // A_ROW_CHUNKS  # 64 rows between a thread's two A chunks
B_COPY_ROW_STEP = THREADS // B_ROW_CHUNKS  # 16 k-rows between a thread's two B chunks
A_COPY_SHARED_STEP = A_COPY_ROW_STEP * A_ROW_BYTES
B_COPY_SHARED_STEP = B_COPY_ROW_STEP * B_ROW_BYTES
assert A_STAGE_BYTES + B_STAGE_BYTES == TC_AMPERE_STAGE_BYTES  # gemm_def's figure
WORD_BYTES = 4
A_TILES_WORDS = STAGES * A_STAGE_BYTES // WORD_BYTES  # shared memory of all A stages

CP_ASYNC_PTX = "cp.async.cg.shared.global [$0], [$1], 16;"
LDMATRIX_PTX = "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {$0, $1, $2, $3}, [$4];"
LDMATRIX_TRANS_PTX = "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {$0, $1, $2, $3}, [$4];"
MMA_PTX = (
    "mma.sync.aligned.m16n8k16.row.col.f32.{t}.{t}.f32 "
    "{{$0, $1, $2, $3}}, {{$4, $5, $6, $7}}, {{$8, $9}}, {{$10, $11, $12, $13}};"
)
MMA_CONSTRAINTS = "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f"
MMA_TF32_PTX = (
    "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
    "{$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};"
)
MMA_INT8_PTX = (
    "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
    "{$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};"
)
MMA_INT8_CONSTRAINTS = "=r,=r,=r,=r,r,r,r,r,r,r,r,r,r,r"


def _asm(builder: Any, returns: ir.Type, inputs: list[Any], text: str, constraints: str) -> Any:
    function_type = ir.FunctionType(returns, [value.type for value in inputs])
    asm = ir.InlineAsm(function_type, text, constraints, side_effect=True)
    return builder.call(asm, inputs)


def _space_address(conversion: str) -> Any:
    """An intrinsic: the ``conversion`` address of an array's first element, as int64."""

    @no_type_check
    def address(typingctx, array):
        sig = types.int64(array)

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
            i64 = ir.IntType(64)
            generic = builder.ptrtoint(data, i64)
            return _asm(builder, i64, [generic], f"{conversion}.u64 $0, $1;", "=l,l")

        return sig, codegen

    return intrinsic(address)


shared_address = _space_address("cvta.to.shared")
global_address = _space_address("cvta.to.global")


@intrinsic
@no_type_check
def cp_async_16(typingctx, shared, global_):
    """Copy 16 bytes from global address ``global_`` to shared address ``shared``."""
    sig = types.void(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        shared_u32 = builder.trunc(args[0], ir.IntType(32))
        _asm(builder, ir.VoidType(), [shared_u32, args[1]], CP_ASYNC_PTX, "r,l")
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
@no_type_check
def cp_async_commit(typingctx):
    """Close the group of this thread's ``cp.async`` issued since the last commit."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        _asm(builder, ir.VoidType(), [], "cp.async.commit_group;", "")
        return context.get_dummy_value()

    return sig, codegen


def _cp_async_wait(pending: int) -> Any:
    """An intrinsic that waits until at most ``pending`` of this thread's committed groups
    are still in flight."""

    @intrinsic
    @no_type_check
    def cp_async_wait(typingctx):
        sig = types.void()

        def codegen(context, builder, signature, args):
            _asm(builder, ir.VoidType(), [], f"cp.async.wait_group {pending};", "")
            return context.get_dummy_value()

        return sig, codegen

    return cp_async_wait


cp_async_wait = _cp_async_wait(STAGES - 1)
"""k-tile ``c`` has landed once at most the ``STAGES - 1`` newer ones are pending."""


def _ldmatrix(text: str) -> Any:
    """An intrinsic: four 8 x 8 b16 matrices from shared memory, one u32 each per lane."""

    @no_type_check
    def load(typingctx, shared):
        sig = types.UniTuple(types.uint32, 4)(types.int64)

        def codegen(context, builder, signature, args):
            i32 = ir.IntType(32)
            address = builder.trunc(args[0], i32)
            result = _asm(
                builder, ir.LiteralStructType([i32] * 4), [address], text, "=r,=r,=r,=r,r"
            )
            values = [builder.extract_value(result, i) for i in range(4)]
            return context.make_tuple(builder, signature.return_type, values)

        return sig, codegen

    return intrinsic(load)


ldmatrix_x4 = _ldmatrix(LDMATRIX_PTX)
ldmatrix_x4_trans = _ldmatrix(LDMATRIX_TRANS_PTX)


def _mma(text: str, accumulator: Any, constraints: str) -> Any:
    """An intrinsic: the ``mma.sync`` ``text`` on four A and two B words, with C/D of
    ``accumulator`` (Numba's float32 or int32)."""

    @no_type_check
    def mma(typingctx, a0, a1, a2, a3, b0, b1, c0, c1, c2, c3):
        sig = types.UniTuple(accumulator, 4)(*([types.uint32] * 6), *([accumulator] * 4))

        def codegen(context, builder, signature, args):
            element = context.get_value_type(accumulator)
            result = _asm(
                builder, ir.LiteralStructType([element] * 4), list(args), text, constraints
            )
            values = [builder.extract_value(result, i) for i in range(4)]
            return context.make_tuple(builder, signature.return_type, values)

        return sig, codegen

    return intrinsic(mma)


mma_f16 = _mma(MMA_PTX.format(t="f16"), types.float32, MMA_CONSTRAINTS)
mma_bf16 = _mma(MMA_PTX.format(t="bf16"), types.float32, MMA_CONSTRAINTS)
mma_tf32 = _mma(MMA_TF32_PTX, types.float32, MMA_CONSTRAINTS)
mma_int8 = _mma(MMA_INT8_PTX, types.int32, MMA_INT8_CONSTRAINTS)


def _kernel(mma: Callable[..., Any], name: str, stages: int = STAGES) -> Any:
    """The GEMM kernel, named ``name``, with ``mma`` as its tensor-core instruction and a
    pipeline of ``stages``. A's and B's stages are two static shared arrays while they fit
    the static limit; beyond it both names declare the dynamic array (size 0, sized by the
    launch: ``gemm_def.tc_ampere_dynamic_shared_bytes``), B's stages after A's."""
    dynamic = tc_ampere_dynamic_shared_bytes(stages) > 0
    a_words = 0 if dynamic else stages * A_STAGE_BYTES // WORD_BYTES
    b_words = 0 if dynamic else stages * B_STAGE_BYTES // WORD_BYTES
    b_tiles_offset = stages * A_STAGE_BYTES if dynamic else 0
    wait_for_oldest = _cp_async_wait(stages - 1)

    @no_type_check
    def gemm(a, b, c):
        a_tiles = cuda.shared.array(a_words, np.uint32)
        b_tiles = cuda.shared.array(b_words, np.uint32)
        acc = cuda.local.array((MMAS_M, MMAS_N, 4), np.float32)
        a_frag = cuda.local.array((MMAS_M, 4), np.uint32)
        b_frag = cuda.local.array((MMAS_N, 2), np.uint32)
        tid = np.int64(cuda.threadIdx.x)
        lane = tid % THREADS_PER_WARP
        warp = tid // THREADS_PER_WARP
        k = np.int64(a.shape[1])
        n = np.int64(b.shape[1])
        row0 = np.int64(cuda.blockIdx.y) * CTA_TILE_M
        col0 = np.int64(cuda.blockIdx.x) * CTA_TILE_N
        for mi in range(MMAS_M):
            for ni in range(MMAS_N):
                for q in range(4):
                    acc[mi, ni, q] = np.float32(0.0)
        # Copies: this thread's chunk of A (row, chunk) and of B (k-row, chunk), swizzled.
        a_row, a_chunk = tid // A_ROW_CHUNKS, tid % A_ROW_CHUNKS
        b_row, b_chunk = tid // B_ROW_CHUNKS, tid % B_ROW_CHUNKS
        a_shared = shared_address(a_tiles)
        b_shared = shared_address(b_tiles) + b_tiles_offset
        a_copy_to = a_row * A_ROW_BYTES + ((a_chunk ^ ((a_row >> 1) & 3)) * CHUNK_BYTES)
        b_copy_to = b_row * B_ROW_BYTES + ((b_chunk ^ (b_row & 7)) * CHUNK_BYTES)
        a_copy_from = global_address(a) + ((row0 + a_row) * k + a_chunk * 8) * ELEMENT_BYTES
        b_copy_from = global_address(b) + (b_row * n + col0 + b_chunk * 8) * ELEMENT_BYTES
        # Fragments: the row this lane addresses in each ldmatrix, and its 16-byte chunk.
        lane_row = (lane & 7) + 8 * ((lane >> 3) & 1)
        lane_chunk = lane >> 4
        warp_row = (warp // WARPS_N) * WARP_TILE_M
        warp_col = (warp % WARPS_N) * WARP_TILE_N
        group = lane // 4
        tig = lane % 4
        tiles = k // CTA_TILE_K
        for t in range(tiles + stages - 1):
            if t < tiles:
                stage = t % stages
                for i in range(COPIES_PER_THREAD):
                    cp_async_16(
                        a_shared + stage * A_STAGE_BYTES + a_copy_to + i * A_COPY_SHARED_STEP,
                        a_copy_from + (t * CTA_TILE_K + i * A_COPY_ROW_STEP * k) * ELEMENT_BYTES,
                    )  # fmt: skip
                    cp_async_16(
                        b_shared + stage * B_STAGE_BYTES + b_copy_to + i * B_COPY_SHARED_STEP,
                        b_copy_from + (t * CTA_TILE_K + i * B_COPY_ROW_STEP) * n * ELEMENT_BYTES,
                    )  # fmt: skip
            cp_async_commit()
            ready = t - (stages - 1)
            if ready >= 0:
                wait_for_oldest()
                cuda.syncthreads()
                a_stage = a_shared + (ready % stages) * A_STAGE_BYTES
                b_stage = b_shared + (ready % stages) * B_STAGE_BYTES
                for ks in range(K_STEPS):
                    for mi in range(MMAS_M):
                        row = warp_row + mi * MMA_M + lane_row
                        chunk = (2 * ks + lane_chunk) ^ ((lane_row >> 1) & 3)
                        x = ldmatrix_x4(a_stage + row * A_ROW_BYTES + chunk * CHUNK_BYTES)
                        for q in range(4):
                            a_frag[mi, q] = x[q]
                    for nj in range(MMAS_N // 2):
                        k_row = ks * MMA_K + lane_row
                        chunk = ((warp_col + nj * 2 * MMA_N) // 8 + lane_chunk) ^ (lane & 7)
                        y = ldmatrix_x4_trans(b_stage + k_row * B_ROW_BYTES + chunk * CHUNK_BYTES)
                        b_frag[2 * nj, 0] = y[0]
                        b_frag[2 * nj, 1] = y[1]
                        b_frag[2 * nj + 1, 0] = y[2]
                        b_frag[2 * nj + 1, 1] = y[3]
                    for mi in range(MMAS_M):
                        for ni in range(MMAS_N):
                            d = mma(
                                a_frag[mi, 0], a_frag[mi, 1], a_frag[mi, 2], a_frag[mi, 3],
                                b_frag[ni, 0], b_frag[ni, 1],
                                acc[mi, ni, 0], acc[mi, ni, 1], acc[mi, ni, 2], acc[mi, ni, 3],
                            )  # fmt: skip
                            for q in range(4):
                                acc[mi, ni, q] = d[q]
                cuda.syncthreads()
        for mi in range(MMAS_M):
            for ni in range(MMAS_N):
                r = np.uint64(row0 + warp_row + mi * MMA_M + group)
                col = np.uint64(col0 + warp_col + ni * MMA_N + 2 * tig)
                c[r, col] = acc[mi, ni, 0]
                c[r, col + np.uint64(1)] = acc[mi, ni, 1]
                c[r + np.uint64(8), col] = acc[mi, ni, 2]
                c[r + np.uint64(8), col + np.uint64(1)] = acc[mi, ni, 3]

    gemm.__name__ = gemm.__qualname__ = name
    return gemm


def _kernel_tn(mma: Callable[..., Any], accumulator: Any, element_bytes: int, name: str) -> Any:
    """The GEMM kernel with B held n x k, named ``name``: A and B tiles both 128 rows of
    ``A_ROW_BYTES``, ``mma`` on 32-byte k-steps of ``element_bytes`` elements, C of
    ``accumulator``."""

    @no_type_check
    def gemm(a, b, c):
        a_tiles = cuda.shared.array(A_TILES_WORDS, np.uint32)
        b_tiles = cuda.shared.array(A_TILES_WORDS, np.uint32)
        acc = cuda.local.array((MMAS_M, MMAS_N, 4), accumulator)
        a_frag = cuda.local.array((MMAS_M, 4), np.uint32)
        b_frag = cuda.local.array((MMAS_N, 2), np.uint32)
        tid = np.int64(cuda.threadIdx.x)
        lane = tid % THREADS_PER_WARP
        warp = tid // THREADS_PER_WARP
        k_bytes = np.int64(a.shape[1]) * element_bytes
        row0 = np.int64(cuda.blockIdx.y) * CTA_TILE_M
        col0 = np.int64(cuda.blockIdx.x) * CTA_TILE_N
        for mi in range(MMAS_M):
            for ni in range(MMAS_N):
                for q in range(4):
                    acc[mi, ni, q] = 0
        # Copies: this thread's (row, chunk) of A's and of B's tile, swizzled alike.
        copy_row, copy_chunk = tid // A_ROW_CHUNKS, tid % A_ROW_CHUNKS
        copy_to = copy_row * A_ROW_BYTES + ((copy_chunk ^ ((copy_row >> 1) & 3)) * CHUNK_BYTES)
        a_shared = shared_address(a_tiles)
        b_shared = shared_address(b_tiles)
        a_copy_from = global_address(a) + (row0 + copy_row) * k_bytes + copy_chunk * CHUNK_BYTES
        b_copy_from = global_address(b) + (col0 + copy_row) * k_bytes + copy_chunk * CHUNK_BYTES
        lane_row = (lane & 7) + 8 * ((lane >> 3) & 1)
        lane_chunk = lane >> 4
        warp_row = (warp // WARPS_N) * WARP_TILE_M
        warp_col = (warp % WARPS_N) * WARP_TILE_N
        group = lane // 4
        tig = lane % 4
        tiles = k_bytes // A_ROW_BYTES
        for t in range(tiles + STAGES - 1):
            if t < tiles:
                stage = t % STAGES
                for i in range(COPIES_PER_THREAD):
                    to = stage * A_STAGE_BYTES + copy_to + i * A_COPY_SHARED_STEP
                    offset = t * A_ROW_BYTES + i * A_COPY_ROW_STEP * k_bytes
                    cp_async_16(a_shared + to, a_copy_from + offset)
                    cp_async_16(b_shared + to, b_copy_from + offset)
            cp_async_commit()
            ready = t - (STAGES - 1)
            if ready >= 0:
                cp_async_wait()
                cuda.syncthreads()
                a_stage = a_shared + (ready % STAGES) * A_STAGE_BYTES
                b_stage = b_shared + (ready % STAGES) * A_STAGE_BYTES
                for ks in range(K_STEPS):
                    chunk = (2 * ks + lane_chunk) ^ ((lane_row >> 1) & 3)
                    for mi in range(MMAS_M):
                        row = warp_row + mi * MMA_M + lane_row
                        x = ldmatrix_x4(a_stage + row * A_ROW_BYTES + chunk * CHUNK_BYTES)
                        for q in range(4):
                            a_frag[mi, q] = x[q]
                    for nj in range(MMAS_N // 2):
                        row = warp_col + nj * 2 * MMA_N + lane_row
                        y = ldmatrix_x4(b_stage + row * A_ROW_BYTES + chunk * CHUNK_BYTES)
                        b_frag[2 * nj, 0] = y[0]  # n 0-7, first 16 bytes of the k-step
                        b_frag[2 * nj, 1] = y[2]
                        b_frag[2 * nj + 1, 0] = y[1]  # n 8-15
                        b_frag[2 * nj + 1, 1] = y[3]
                    for mi in range(MMAS_M):
                        for ni in range(MMAS_N):
                            d = mma(
                                a_frag[mi, 0], a_frag[mi, 1], a_frag[mi, 2], a_frag[mi, 3],
                                b_frag[ni, 0], b_frag[ni, 1],
                                acc[mi, ni, 0], acc[mi, ni, 1], acc[mi, ni, 2], acc[mi, ni, 3],
                            )  # fmt: skip
                            for q in range(4):
                                acc[mi, ni, q] = d[q]
                cuda.syncthreads()
        for mi in range(MMAS_M):
            for ni in range(MMAS_N):
                r = np.uint64(row0 + warp_row + mi * MMA_M + group)
                col = np.uint64(col0 + warp_col + ni * MMA_N + 2 * tig)
                c[r, col] = acc[mi, ni, 0]
                c[r, col + np.uint64(1)] = acc[mi, ni, 1]
                c[r + np.uint64(8), col] = acc[mi, ni, 2]
                c[r + np.uint64(8), col + np.uint64(1)] = acc[mi, ni, 3]

    gemm.__name__ = gemm.__qualname__ = name
    return gemm


gemm_tc_ampere_fp16 = _kernel(mma_f16, "gemm_tc_ampere_fp16")
gemm_tc_ampere_fp16_stages1 = _kernel(mma_f16, "gemm_tc_ampere_fp16_stages1", stages=1)
gemm_tc_ampere_fp16_stages2 = _kernel(mma_f16, "gemm_tc_ampere_fp16_stages2", stages=2)
gemm_tc_ampere_fp16_stages4 = _kernel(mma_f16, "gemm_tc_ampere_fp16_stages4", stages=4)
gemm_tc_ampere_bf16 = _kernel(mma_bf16, "gemm_tc_ampere_bf16")
gemm_tc_ampere_tf32 = _kernel_tn(mma_tf32, np.float32, 4, "gemm_tc_ampere_tf32")
gemm_tc_ampere_int8 = _kernel_tn(mma_int8, np.int32, 1, "gemm_tc_ampere_int8")
