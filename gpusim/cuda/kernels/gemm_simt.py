"""fp32 GEMM kernels on the SIMT cores: naive, shared-memory tiled, register-blocked.

The three steps of the classic optimisation ladder, each a real kernel that runs on an
H100/H200 and whose PTX the simulator executes. Tile sizes are closure constants of
factory functions: Numba freezes them at compile time, so shared-array shapes and loop
bounds are literals in the PTX and the register-blocked micro-tile loops unroll completely
(the loop over a staged k-slab stays a loop: its 256 or 512 FMAs per thread are past
LLVM's full-unroll threshold; the 64 variant's is unrolled by two).

Thread-to-data mapping, common to all three: ``threadIdx.x`` walks columns of C (and of B),
so a warp's global accesses to B and C are consecutive addresses.

Array indices are cast to unsigned (``u64``) where they are used: Numba adds negative-index
wraparound code to every signed index, which here doubled the address arithmetic and the
register count (register-blocked 128: 172 registers signed, 120 unsigned). Every index is
non-negative by construction. Per-thread load positions are split into a per-thread base
plus a constant per-iteration step, which lets LLVM fold the steps into address offsets.

The k loops of the naive and tiled kernels, and the tiled kernels' dot-product loop, are
``while`` loops over a 32-bit unsigned counter (``u32``), as the CUDA C kernels of the
ladder's source count with ``int``: Numba lowers ``range`` to an iterator whose 64-bit count
and per-step selects LLVM does not reduce, so a ``range`` k loop cost 25 SASS instructions
per multiply-add (sm_86) where the source's costs under 5, and a ``range`` dot loop stays a
loop where the source's unrolls completely. With the counter LLVM unrolls the naive k loop
by 16, as for the source (7.4 instructions per multiply-add: its addresses are still
recomputed in 64 bits every other step), and unrolls the 32-step dot loop completely.
The tiled kernels index in 32 bits throughout (shared tiles included), which leaves their
tile step 99 instructions per 32 FMAs against the source's 84 (its edge guards: the source
has none) and 104 before. ``bench/bench_ladder_sass.py`` compares the loops with the
source's. 32-bit indices need m, n and k at most 2^31 (``GemmKernelDef.max_size``).

The kernels' facts (tiles, launch, arguments, work) are registered in ``gemm_def``. This
module holds everything its kernels compile (numba-cuda 0.30 cannot compile device
functions without a GPU, so there are none), so its source text is the source part of the
compile cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast, no_type_check

import numpy as np
from numba import cuda

u64 = np.uint64
u32 = np.uint32


@no_type_check
def gemm_naive(a, b, c):
    """One thread per element of C, reading A and B straight from global memory.

    As the source's kernel 2 launches it (``gemm_def``): 32 x 32 threads, ``threadIdx.x``
    along columns of C (a warp reads 32 consecutive elements of B and one of A), and
    ``blockIdx.x`` along rows. Any m, n, k: threads outside C return without work.
    """
    row = cuda.blockIdx.x * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.y * cuda.blockDim.x + cuda.threadIdx.x
    if row < c.shape[0] and col < c.shape[1]:
        acc = np.float32(0.0)
        k = u32(a.shape[1])
        p = u32(0)
        while p < k:
            acc += a[u64(row), p] * b[p, u64(col)]
            p = u32(p + u32(1))
        c[u64(row), u64(col)] = acc


def make_gemm_smem_tiled(tile: int) -> Callable[..., None]:
    """A tile x tile CTA computes a tile x tile block of C, one element per thread.

    Each step stages a tile of A and of B in shared memory (every element loaded from
    global memory once per CTA instead of once per thread), then each thread runs its dot
    product over the tile from shared memory. The two ``syncthreads`` keep a tile from
    being overwritten while others still read it. Any m, n, k: loads outside A or B store
    zero into the tile, so the edge tiles add nothing, and only in-bounds C is written.
    """

    @no_type_check
    def kernel(a, b, c):
        a_tile = cuda.shared.array((tile, tile), np.float32)
        b_tile = cuda.shared.array((tile, tile), np.float32)
        tx = u32(cuda.threadIdx.x)
        ty = u32(cuda.threadIdx.y)
        row = u32(u32(cuda.blockIdx.y) * u32(tile) + ty)
        col = u32(u32(cuda.blockIdx.x) * u32(tile) + tx)
        m = u32(c.shape[0])
        n = u32(c.shape[1])
        k = u32(a.shape[1])
        acc = np.float32(0.0)
        k0 = u32(0)
        while k0 < k:
            a_col = u32(k0 + tx)
            if row < m and a_col < k:
                a_tile[ty, tx] = a[row, a_col]
            else:
                a_tile[ty, tx] = np.float32(0.0)
            b_row = u32(k0 + ty)
            if b_row < k and col < n:
                b_tile[ty, tx] = b[b_row, col]
            else:
                b_tile[ty, tx] = np.float32(0.0)
            cuda.syncthreads()
            p = u32(0)
            while p < u32(tile):
                acc += a_tile[ty, p] * b_tile[p, tx]
                p = u32(p + u32(1))
            cuda.syncthreads()
            k0 = u32(k0 + u32(tile))
        if row < m and col < n:
            c[row, col] = acc

    kernel.__name__ = kernel.__qualname__ = f"gemm_smem_tiled_{tile}"
    return cast(Callable[..., None], kernel)


def make_gemm_register_blocked(cta_tile: int, micro_tile: int, k_tile: int) -> Callable[..., None]:
    """A (cta_tile / micro_tile)^2-thread CTA computes a cta_tile^2 block of C.

    Each thread accumulates a micro_tile x micro_tile block of C in registers: rows
    ``ty + edge * i`` and columns ``tx + edge * j`` (edge = threads per block edge), a
    strided spread that keeps a warp's shared-memory reads of B on consecutive banks and
    its stores to C on consecutive addresses. Per k-step the CTA stages a cta_tile x k_tile
    slab of A and a k_tile x cta_tile slab of B in shared memory; per k in the slab a
    thread loads micro_tile values of A and of B into registers and does micro_tile^2 FMAs,
    so each shared load feeds micro_tile FMAs.

    The accumulators and fragments are ``cuda.local.array``s indexed only by loop variables
    of constant trip count: LLVM unrolls those loops completely and promotes the arrays to
    registers (no ``.local`` traffic in the PTX). Requires m, n multiples of cta_tile and
    k a multiple of k_tile.
    """
    edge_threads = cta_tile // micro_tile
    threads = edge_threads * edge_threads
    a_loads_per_thread = cta_tile * k_tile // threads
    a_row_step = threads // k_tile
    b_loads_per_thread = k_tile * cta_tile // threads
    b_row_step = threads // cta_tile

    @no_type_check
    def kernel(a, b, c):
        a_slab = cuda.shared.array((cta_tile, k_tile), np.float32)
        b_slab = cuda.shared.array((k_tile, cta_tile), np.float32)
        acc = cuda.local.array((micro_tile, micro_tile), np.float32)
        a_frag = cuda.local.array(micro_tile, np.float32)
        b_frag = cuda.local.array(micro_tile, np.float32)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        tid = ty * edge_threads + tx
        row0 = cuda.blockIdx.y * cta_tile
        col0 = cuda.blockIdx.x * cta_tile
        # Staging positions: consecutive threads take consecutive columns of a slab row,
        # so a warp's global loads are contiguous runs.
        a_row = tid // k_tile
        a_col = tid % k_tile
        b_row = tid // cta_tile
        b_col = tid % cta_tile
        for i in range(micro_tile):
            for j in range(micro_tile):
                acc[i, j] = np.float32(0.0)
        for k0 in range(0, a.shape[1], k_tile):
            for load in range(a_loads_per_thread):
                r = a_row + load * a_row_step
                a_slab[u64(r), u64(a_col)] = a[u64(row0 + r), u64(k0 + a_col)]
            for load in range(b_loads_per_thread):
                r = b_row + load * b_row_step
                b_slab[u64(r), u64(b_col)] = b[u64(k0 + r), u64(col0 + b_col)]
            cuda.syncthreads()
            for p in range(k_tile):
                for i in range(micro_tile):
                    a_frag[i] = a_slab[u64(ty + edge_threads * i), u64(p)]
                for j in range(micro_tile):
                    b_frag[j] = b_slab[u64(p), u64(tx + edge_threads * j)]
                for i in range(micro_tile):
                    for j in range(micro_tile):
                        acc[i, j] += a_frag[i] * b_frag[j]
            cuda.syncthreads()
        for i in range(micro_tile):
            for j in range(micro_tile):
                row = row0 + ty + edge_threads * i
                col = col0 + tx + edge_threads * j
                c[u64(row), u64(col)] = acc[i, j]

    kernel.__name__ = kernel.__qualname__ = f"gemm_register_blocked_{cta_tile}"
    return cast(Callable[..., None], kernel)


gemm_smem_tiled_16 = make_gemm_smem_tiled(16)
gemm_smem_tiled_32 = make_gemm_smem_tiled(32)
gemm_register_blocked_64 = make_gemm_register_blocked(cta_tile=64, micro_tile=4, k_tile=16)
gemm_register_blocked_128 = make_gemm_register_blocked(cta_tile=128, micro_tile=8, k_tile=8)
