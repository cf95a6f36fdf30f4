"""fp16 x fp16 -> fp32 GEMM on the tensor cores through ``mma.sync.m16n8k16`` from Numba.

numba-cuda has no wmma/mma API, so three small intrinsics emit what the kernel needs:
``mma_m16n8k16`` is an llvmlite ``InlineAsm`` of
``mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32``; ``load_f16x2`` loads two adjacent
fp16 values of a row as the one ``.f16x2`` (u32) register the instruction takes, and
``pack_f16x2`` builds such a register from two separate fp16 values. None runs under the
CUDA simulator (it cannot execute LLVM IR); the PTX emulator proves this kernel against the
NumPy reference instead.

Fragment layout implemented (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating
point type"); per lane, ``g = lane // 4`` (groupID) and ``t = lane % 4`` (threadID_in_group),
and a ``.f16x2`` register holds its lower-indexed element in the low 16 bits:

* A (16 x 16, row-major), four registers:
  ``a0 = (A[g, 2t], A[g, 2t+1])``, ``a1 = (A[g+8, 2t], A[g+8, 2t+1])``,
  ``a2 = (A[g, 2t+8], A[g, 2t+9])``, ``a3 = (A[g+8, 2t+8], A[g+8, 2t+9])``.
* B (16 x 8, k x n, "col": pairs run along k), two registers:
  ``b0 = (B[2t, g], B[2t+1, g])``, ``b1 = (B[2t+8, g], B[2t+9, g])``.
* C and D (16 x 8 fp32), four registers:
  ``c0 = C[g, 2t]``, ``c1 = C[g, 2t+1]``, ``c2 = C[g+8, 2t]``, ``c3 = C[g+8, 2t+1]``.

Every operand register is a pair of fp16 values adjacent along k, so the kernel stages A and
B in shared memory already packed as such pairs: ``a_pairs[r, p] = (A[r, 2p], A[r, 2p+1])``
and ``b_pairs[c, p] = (B[2p, c], B[2p+1, c])`` (B transposed). A fragment register is then
one 32-bit shared load. Rows are padded from 16 to 20 words: the eight groups of a warp
read rows 20 words apart, which start on eight distinct 4-bank groups (0, 20, 8, 28, 16, 4,
24, 12), so fragment loads are free of bank conflicts.

Indices are cast to unsigned (``u64``) and per-thread staging positions split into a base
plus a constant step, as in ``gemm_simt``: together they cut the kernel from 234 to 123
registers per thread by removing Numba's negative-index wraparound code.

The kernel's facts are registered in ``gemm_def`` (``GEMM_TENSOR_CORE``: the tile below,
compute capability 8.0 for ``mma.m16n8k16``). This module holds everything its kernel
compiles (the intrinsics included), so its source text is the source part of the compile
cache key.
"""

from __future__ import annotations

from typing import no_type_check

import numpy as np
from llvmlite import ir
from numba import cuda
from numba.cuda import cgutils, types
from numba.cuda.extending import intrinsic

from gpusim.cuda.kernels.kernel_def import THREADS_PER_WARP

MMA_M = 16
MMA_N = 8
MMA_K = 16
CTA_TILE_M = 64
CTA_TILE_N = 64
CTA_TILE_K = 32
WARPS_M = 2
WARPS_N = 2
WARP_TILE_M = CTA_TILE_M // WARPS_M  # 32
WARP_TILE_N = CTA_TILE_N // WARPS_N  # 32
MMAS_M = WARP_TILE_M // MMA_M  # 2 row tiles of 16 per warp
MMAS_N = WARP_TILE_N // MMA_N  # 4 column tiles of 8 per warp
K_STEPS = CTA_TILE_K // MMA_K  # 2 mma k-steps per staged slab
THREADS = WARPS_M * WARPS_N * THREADS_PER_WARP  # 128
PAIRS_PER_ROW = CTA_TILE_K // 2  # 16 fp16 pairs along k per staged row
PAIR_ROW_WORDS = PAIRS_PER_ROW + 4  # padded to 20 words: conflict-free fragment loads
A_PAIRS_PER_THREAD = CTA_TILE_M * PAIRS_PER_ROW // THREADS  # 8
A_ROW_STEP = THREADS // PAIRS_PER_ROW  # 8 rows between a thread's successive A pairs
B_PAIRS_PER_THREAD = CTA_TILE_N * PAIRS_PER_ROW // THREADS  # 8
B_PAIR_STEP = THREADS // CTA_TILE_N  # 2 pair rows between a thread's successive B pairs
u64 = np.uint64

MMA_PTX = (
    "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
    "{$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};"
)
MMA_CONSTRAINTS = "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f"


@intrinsic
@no_type_check
def mma_m16n8k16(typingctx, a0, a1, a2, a3, b0, b1, c0, c1, c2, c3):
    """D = A @ B + C for one warp: 4 A and 2 B ``.f16x2`` registers, 4 fp32 accumulators.

    Returns the 4 fp32 values of D (the same fragment positions as C).
    """
    accumulators = types.UniTuple(types.float32, 4)
    sig = accumulators(*([types.uint32] * 6), *([types.float32] * 4))

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        asm_type = ir.FunctionType(
            ir.LiteralStructType([f32] * 4), [ir.IntType(32)] * 6 + [f32] * 4
        )
        asm = ir.InlineAsm(asm_type, MMA_PTX, MMA_CONSTRAINTS, side_effect=True)
        result = builder.call(asm, args)
        values = [builder.extract_value(result, i) for i in range(4)]
        return context.make_tuple(builder, signature.return_type, values)

    return sig, codegen


@intrinsic
@no_type_check
def pack_f16x2(typingctx, low, high):
    """The ``.f16x2`` register holding ``low`` in bits 0-15 and ``high`` in bits 16-31."""
    sig = types.uint32(types.float16, types.float16)

    def codegen(context, builder, signature, args):
        i16, i32 = ir.IntType(16), ir.IntType(32)
        low_bits = builder.zext(builder.bitcast(args[0], i16), i32)
        high_bits = builder.zext(builder.bitcast(args[1], i16), i32)
        return builder.or_(low_bits, builder.shl(high_bits, ir.Constant(i32, 16)))

    return sig, codegen


@intrinsic
@no_type_check
def load_f16x2(typingctx, matrix, row, col):
    """``(matrix[row, col], matrix[row, col + 1])`` as one ``.f16x2`` register: one 32-bit load.

    ``col`` must be even (4-byte alignment, true of any CUDA allocation's rows here since k
    is a multiple of 32) and both indices non-negative (no wraparound is applied).
    """
    sig = types.uint32(matrix, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        matrix_type = signature.args[0]
        matrix_struct = context.make_array(matrix_type)(context, builder, value=args[0])
        element_ptr = cgutils.get_item_pointer(
            context, builder, matrix_type, matrix_struct, [args[1], args[2]], wraparound=False
        )
        word_ptr = builder.bitcast(element_ptr, ir.IntType(32).as_pointer())
        return builder.load(word_ptr, align=4)

    return sig, codegen


@no_type_check
def gemm_tensor_core(a, b, c):
    """A 128-thread CTA computes a 64 x 64 tile of C; each of its 4 warps a 32 x 32 quarter.

    Per 32-wide k-slab the CTA packs A[64, 32] and B[32, 64] into the shared pair arrays
    (one u32 store per fp16 pair; global reads of B are consecutive along n), then each warp
    runs 2 k-steps of 2 x 4 ``mma.m16n8k16``, its 32 fp32 accumulators per lane held in
    registers (constant-trip loops unroll completely). Requires m, n multiples of 64 and
    k a multiple of 32.
    """
    a_pairs = cuda.shared.array((CTA_TILE_M, PAIR_ROW_WORDS), np.uint32)
    b_pairs = cuda.shared.array((CTA_TILE_N, PAIR_ROW_WORDS), np.uint32)
    acc = cuda.local.array((MMAS_M, MMAS_N, 4), np.float32)
    a_frag = cuda.local.array((MMAS_M, 4), np.uint32)
    b_frag = cuda.local.array((MMAS_N, 2), np.uint32)
    tid = cuda.threadIdx.x
    warp = tid // THREADS_PER_WARP
    lane = tid % THREADS_PER_WARP
    group = lane // 4
    tig = lane % 4
    warp_row = (warp // WARPS_N) * WARP_TILE_M
    warp_col = (warp % WARPS_N) * WARP_TILE_N
    row0 = cuda.blockIdx.y * CTA_TILE_M
    col0 = cuda.blockIdx.x * CTA_TILE_N
    for mi in range(MMAS_M):
        for ni in range(MMAS_N):
            for q in range(4):
                acc[mi, ni, q] = np.float32(0.0)
    a_row = tid // PAIRS_PER_ROW
    a_pair = tid % PAIRS_PER_ROW
    b_pair = tid // CTA_TILE_N
    b_col = tid % CTA_TILE_N
    for k0 in range(0, a.shape[1], CTA_TILE_K):
        for load in range(A_PAIRS_PER_THREAD):
            r = a_row + load * A_ROW_STEP
            a_pairs[u64(r), u64(a_pair)] = load_f16x2(a, row0 + r, k0 + 2 * a_pair)
        for load in range(B_PAIRS_PER_THREAD):
            p = b_pair + load * B_PAIR_STEP
            kb = k0 + 2 * p
            col = col0 + b_col
            low = b[u64(kb), u64(col)]
            high = b[u64(kb + 1), u64(col)]
            b_pairs[u64(b_col), u64(p)] = pack_f16x2(low, high)
        cuda.syncthreads()
        for ks in range(K_STEPS):
            pair0 = ks * (MMA_K // 2) + tig
            for mi in range(MMAS_M):
                r = warp_row + mi * MMA_M + group
                a_frag[mi, 0] = a_pairs[u64(r), u64(pair0)]
                a_frag[mi, 1] = a_pairs[u64(r + 8), u64(pair0)]
                a_frag[mi, 2] = a_pairs[u64(r), u64(pair0 + 4)]
                a_frag[mi, 3] = a_pairs[u64(r + 8), u64(pair0 + 4)]
            for ni in range(MMAS_N):
                col = warp_col + ni * MMA_N + group
                b_frag[ni, 0] = b_pairs[u64(col), u64(pair0)]
                b_frag[ni, 1] = b_pairs[u64(col), u64(pair0 + 4)]
            for mi in range(MMAS_M):
                for ni in range(MMAS_N):
                    d = mma_m16n8k16(
                        a_frag[mi, 0], a_frag[mi, 1], a_frag[mi, 2], a_frag[mi, 3],
                        b_frag[ni, 0], b_frag[ni, 1],
                        acc[mi, ni, 0], acc[mi, ni, 1], acc[mi, ni, 2], acc[mi, ni, 3],
                    )  # fmt: skip
                    acc[mi, ni, 0] = d[0]
                    acc[mi, ni, 1] = d[1]
                    acc[mi, ni, 2] = d[2]
                    acc[mi, ni, 3] = d[3]
        cuda.syncthreads()
    for mi in range(MMAS_M):
        for ni in range(MMAS_N):
            r = row0 + warp_row + mi * MMA_M + group
            col = col0 + warp_col + ni * MMA_N + 2 * tig
            c[u64(r), u64(col)] = acc[mi, ni, 0]
            c[u64(r), u64(col + 1)] = acc[mi, ni, 1]
            c[u64(r + 8), u64(col)] = acc[mi, ni, 2]
            c[u64(r + 8), u64(col + 1)] = acc[mi, ni, 3]
