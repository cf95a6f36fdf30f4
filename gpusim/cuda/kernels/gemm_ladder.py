"""The SGEMM ladder's rungs that ``gemm_simt`` does not have, after siboehm/SGEMM_CUDA.

The published A6000 ladder (``validation/published/siboehm-sgemm-rtx-a6000.json``) has
seven hand-written kernels. Three are in ``gemm_simt`` already: the source's kernel 2
("global memory coalescing") is ``gemm_naive``, its kernel 3 (32x32 shared-memory cache
blocking) is ``gemm_smem_tiled_32``, its kernel 5 (2D blocktiling, 128x128 CTA tile, BK 8,
8x8 results per thread, 256 threads) is ``gemm_register_blocked_128``. This module holds
the other three, with the source's thread-to-data mapping and tile shapes:

* ``gemm_naive_uncoalesced`` (kernel 1): one thread per element of C, but ``threadIdx.x``
  walks *rows* of C, so the 32 lanes of a warp read B and write C 32 rows apart (one
  transaction per lane) and read 32 different rows of A.
* ``gemm_1d_blocktiled_64`` (kernel 4): a 64x64 CTA tile, BK = 8, 512 threads of one
  dimension; each thread computes TM = 8 results of one column of C, so a value of B read
  from shared memory feeds 8 FMAs.
* ``gemm_vectorized_128`` (kernel 6): kernel 5's 128x128 tile, BK = 8 and 8x8 results per
  thread, with 128-bit (float4) accesses: A and B staged with ``ld.global.v4.f32``, A's
  tile stored *transposed* in shared memory (so a thread's 8 values of A are contiguous),
  the fragments of A and B read with ``ld.shared.v4.f32`` and C written with
  ``st.global.v4.f32``.

Like the project's other GEMMs they compute C = A @ B (the source's alpha = 1, beta = 0
without reading C). Indices are cast to unsigned (``u64``) as in ``gemm_simt``, which
removes Numba's negative-index wraparound code. Tile sizes are closure constants, so loop
bounds and shared shapes are literals in the PTX. Kernels 1 and 4 loop over k, and kernel
4 over its slab, with ``while`` loops on 32-bit unsigned counters, as ``gemm_simt``'s
naive and tiled kernels do and for the same reason: the source's ``int`` loops unroll and
reduce where Numba's ``range`` does not (kernel 4's slab loop then unrolls completely and
its reads of A merge into ``LDS.128``, as in the source's SASS).

``load_f32x4`` and ``store_f32x4`` are intrinsics: Numba has no float4 type, and its
element loads are never merged into vector ones. They load or store four consecutive fp32
elements of a row as one ``<4 x float>`` with 16-byte alignment; every use here is on a
16-byte-aligned element (column multiples of 4, row strides multiples of 16 bytes, shared
arrays declared 16-byte aligned). Under the CUDA simulator they are the four element
accesses they stand for.

The kernels' facts are registered in ``gemm_def``. This module holds everything its
kernels compile, so its source text is the source part of the compile cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast, no_type_check

import numpy as np
from llvmlite import ir
from numba import cuda
from numba.cuda import cgutils, types
from numba.cuda.core import config
from numba.cuda.extending import intrinsic

u64 = np.uint64
u32 = np.uint32
VECTOR_FLOATS = 4
VECTOR_ALIGN_BYTES = 16
SHARED_ALIGN_BYTES = None if config.ENABLE_CUDASIM else VECTOR_ALIGN_BYTES
"""Shared slabs read as float4 are 16-byte aligned; the CUDA simulator refuses any alignment
argument (its arrays are NumPy's, and its float4 accesses are four element accesses)."""

if config.ENABLE_CUDASIM:

    @no_type_check
    def load_f32x4(array, row, col):
        """``array[row, col:col + 4]`` as a tuple: the compiled intrinsic, for the simulator."""
        return (array[row, col], array[row, col + 1], array[row, col + 2], array[row, col + 3])

    @no_type_check
    def store_f32x4(array, row, col, x, y, z, w):
        """``array[row, col:col + 4] = (x, y, z, w)``, for the simulator."""
        array[row, col] = x
        array[row, col + 1] = y
        array[row, col + 2] = z
        array[row, col + 3] = w

else:

    @no_type_check
    def _vector_pointer(context, builder, array_type, array_value, row, col):
        """Pointer to ``array[row, col]`` as a ``<4 x float>*`` (no wraparound code)."""
        array = context.make_array(array_type)(context, builder, value=array_value)
        indices = [context.cast(builder, row[0], row[1], types.intp)]
        indices.append(context.cast(builder, col[0], col[1], types.intp))
        ptr = cgutils.get_item_pointer(
            context, builder, array_type, array, indices, wraparound=False
        )
        return builder.bitcast(ptr, ir.VectorType(ir.FloatType(), VECTOR_FLOATS).as_pointer())

    @no_type_check
    def _is_f32_matrix(array):
        return isinstance(array, types.Array) and array.dtype == types.float32 and array.ndim == 2

    @intrinsic
    @no_type_check
    def load_f32x4(typingctx, array, row, col):
        """``array[row, col:col + 4]`` of a 2-D fp32 array as one 128-bit load."""
        if not _is_f32_matrix(array):
            return None
        sig = types.UniTuple(types.float32, VECTOR_FLOATS)(array, row, col)

        def codegen(context, builder, signature, args):
            ptr = _vector_pointer(
                context,
                builder,
                signature.args[0],
                args[0],
                (args[1], signature.args[1]),
                (args[2], signature.args[2]),
            )
            vector = builder.load(ptr, align=VECTOR_ALIGN_BYTES)
            lanes = [
                builder.extract_element(vector, ir.Constant(ir.IntType(32), i))
                for i in range(VECTOR_FLOATS)
            ]
            return context.make_tuple(builder, signature.return_type, lanes)

        return sig, codegen

    @intrinsic
    @no_type_check
    def store_f32x4(typingctx, array, row, col, x, y, z, w):
        """``array[row, col:col + 4] = (x, y, z, w)`` for a 2-D fp32 array as one store."""
        if not _is_f32_matrix(array):
            return None
        sig = types.void(
            array, row, col, types.float32, types.float32, types.float32, types.float32
        )

        def codegen(context, builder, signature, args):
            ptr = _vector_pointer(
                context,
                builder,
                signature.args[0],
                args[0],
                (args[1], signature.args[1]),
                (args[2], signature.args[2]),
            )
            vector = ir.Constant(ir.VectorType(ir.FloatType(), VECTOR_FLOATS), ir.Undefined)
            for i, value in enumerate(args[3:]):
                vector = builder.insert_element(vector, value, ir.Constant(ir.IntType(32), i))
            builder.store(vector, ptr, align=VECTOR_ALIGN_BYTES)

        return sig, codegen


@no_type_check
def gemm_naive_uncoalesced(a, b, c):
    """One thread per element of C, ``threadIdx.x`` along rows (the source's kernel 1).

    Any m, n, k: threads outside C return without work.
    """
    row, col = cuda.grid(2)
    if row < c.shape[0] and col < c.shape[1]:
        acc = np.float32(0.0)
        k = u32(a.shape[1])
        p = u32(0)
        while p < k:
            acc += a[u64(row), p] * b[p, u64(col)]
            p = u32(p + u32(1))
        c[u64(row), u64(col)] = acc


def make_gemm_1d_blocktiled(
    cta_tile: int, k_tile: int, results_per_thread: int
) -> Callable[..., None]:
    """The source's kernel 4: each of cta_tile^2 / results_per_thread threads owns a column
    strip of ``results_per_thread`` elements of the CTA's tile of C.

    Thread t computes rows ``(t // cta_tile) * results_per_thread + i`` of column
    ``t % cta_tile``. Per k-step the CTA stages a cta_tile x k_tile slab of A and a
    k_tile x cta_tile slab of B (one element of each per thread, consecutive threads on
    consecutive columns); per k in the slab a thread reads one value of B and
    ``results_per_thread`` values of A from shared memory. Requires m, n multiples of
    cta_tile and k a multiple of k_tile.
    """
    if cta_tile * cta_tile // results_per_thread != cta_tile * k_tile:
        raise ValueError("kernel 4 stages one element of A and one of B per thread")

    @no_type_check
    def kernel(a, b, c):
        a_slab = cuda.shared.array((cta_tile, k_tile), np.float32, alignment=SHARED_ALIGN_BYTES)
        b_slab = cuda.shared.array((k_tile, cta_tile), np.float32)
        acc = cuda.local.array(results_per_thread, np.float32)
        tid = cuda.threadIdx.x
        row0 = cuda.blockIdx.y * cta_tile
        col0 = cuda.blockIdx.x * cta_tile
        thread_col = tid % cta_tile
        thread_row = tid // cta_tile
        a_row = tid // k_tile
        a_col = tid % k_tile
        b_row = tid // cta_tile
        b_col = tid % cta_tile
        for i in range(results_per_thread):
            acc[i] = np.float32(0.0)
        k = u32(a.shape[1])
        k0 = u32(0)
        while k0 < k:
            a_slab[u64(a_row), u64(a_col)] = a[u64(row0 + a_row), u64(k0 + a_col)]
            b_slab[u64(b_row), u64(b_col)] = b[u64(k0 + b_row), u64(col0 + b_col)]
            cuda.syncthreads()
            p = u32(0)
            while p < u32(k_tile):
                b_value = b_slab[p, u64(thread_col)]
                for i in range(results_per_thread):
                    acc[i] += a_slab[u64(thread_row * results_per_thread + i), p] * b_value
                p = u32(p + u32(1))
            cuda.syncthreads()
            k0 = u32(k0 + u32(k_tile))
        for i in range(results_per_thread):
            row = row0 + thread_row * results_per_thread + i
            c[u64(row), u64(col0 + thread_col)] = acc[i]

    kernel.__name__ = kernel.__qualname__ = f"gemm_1d_blocktiled_{cta_tile}"
    return cast(Callable[..., None], kernel)


def make_gemm_vectorized(cta_tile: int, k_tile: int, micro_tile: int) -> Callable[..., None]:
    """The source's kernel 6: kernel 5's 2D blocktiling with 128-bit accesses.

    Thread t computes the micro_tile x micro_tile block of C at rows
    ``(t // edge) * micro_tile`` and columns ``(t % edge) * micro_tile`` of the CTA's tile
    (edge = cta_tile / micro_tile threads per tile edge). Per k-step each thread loads one
    float4 of A and stores its four values down a column of the transposed slab
    ``a_slab_t[k, m]``, and copies one float4 of B to the slab ``b_slab[k, n]``; per k in
    the slab it reads its micro_tile values of A and of B as float4s and does
    micro_tile^2 FMAs. Requires m, n multiples of cta_tile and k a multiple of k_tile.
    """
    edge_threads = cta_tile // micro_tile
    a_vectors_per_row = k_tile // VECTOR_FLOATS
    b_vectors_per_row = cta_tile // VECTOR_FLOATS

    @no_type_check
    def kernel(a, b, c):
        a_slab_t = cuda.shared.array((k_tile, cta_tile), np.float32, alignment=SHARED_ALIGN_BYTES)
        b_slab = cuda.shared.array((k_tile, cta_tile), np.float32, alignment=SHARED_ALIGN_BYTES)
        acc = cuda.local.array((micro_tile, micro_tile), np.float32)
        a_frag = cuda.local.array(micro_tile, np.float32)
        b_frag = cuda.local.array(micro_tile, np.float32)
        tid = cuda.threadIdx.x
        row0 = cuda.blockIdx.y * cta_tile
        col0 = cuda.blockIdx.x * cta_tile
        thread_row = tid // edge_threads
        thread_col = tid % edge_threads
        a_row = tid // a_vectors_per_row
        a_col = (tid % a_vectors_per_row) * VECTOR_FLOATS
        b_row = tid // b_vectors_per_row
        b_col = (tid % b_vectors_per_row) * VECTOR_FLOATS
        for i in range(micro_tile):
            for j in range(micro_tile):
                acc[i, j] = np.float32(0.0)
        for k0 in range(0, a.shape[1], k_tile):
            a4 = load_f32x4(a, u64(row0 + a_row), u64(k0 + a_col))
            for v in range(VECTOR_FLOATS):
                a_slab_t[u64(a_col + v), u64(a_row)] = a4[v]
            b4 = load_f32x4(b, u64(k0 + b_row), u64(col0 + b_col))
            store_f32x4(b_slab, u64(b_row), u64(b_col), b4[0], b4[1], b4[2], b4[3])
            cuda.syncthreads()
            for p in range(k_tile):
                for i in range(0, micro_tile, VECTOR_FLOATS):
                    a4 = load_f32x4(a_slab_t, u64(p), u64(thread_row * micro_tile + i))
                    b4 = load_f32x4(b_slab, u64(p), u64(thread_col * micro_tile + i))
                    for v in range(VECTOR_FLOATS):
                        a_frag[i + v] = a4[v]
                        b_frag[i + v] = b4[v]
                for i in range(micro_tile):
                    for j in range(micro_tile):
                        acc[i, j] += a_frag[i] * b_frag[j]
            cuda.syncthreads()
        for i in range(micro_tile):
            row = row0 + thread_row * micro_tile + i
            for j in range(0, micro_tile, VECTOR_FLOATS):
                col = col0 + thread_col * micro_tile + j
                store_f32x4(
                    c, u64(row), u64(col), acc[i, j], acc[i, j + 1], acc[i, j + 2], acc[i, j + 3]
                )

    kernel.__name__ = kernel.__qualname__ = f"gemm_vectorized_{cta_tile}"
    return cast(Callable[..., None], kernel)


gemm_1d_blocktiled_64 = make_gemm_1d_blocktiled(cta_tile=64, k_tile=8, results_per_thread=8)
gemm_vectorized_128 = make_gemm_vectorized(cta_tile=128, k_tile=8, micro_tile=8)
