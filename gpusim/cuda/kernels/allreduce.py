"""Ring all-reduce (fp32 sum) kernels, as Numba device code: one rank's step, and the whole
ring on one device.

The schedule (which chunk each rank receives at each step), why a whole-ring step is
race-free on one device, and the kernels' facts are in ``allreduce_def``; the kernels
inline its ``ring_step_chunk`` rule, as numba-cuda 0.30 cannot compile a device function
without a GPU.

This module holds everything its kernels compile, so its source text is the source part of
the compile cache key.
"""

from __future__ import annotations

from typing import no_type_check

import numpy as np
from numba import cuda

u64 = np.uint64


@no_type_check
def allreduce_reduce_scatter_step(buf, recv, step, ranks, rank):
    """``buf[chunk] += recv[chunk]`` for this rank's reduce-scatter chunk at ``step``.

    ``recv`` is the predecessor's whole buffer (as received, or a peer mapping of it).
    """
    elements = buf.shape[0]
    chunk = (rank - step - 1) % ranks
    stop = (chunk + 1) * elements // ranks
    index = chunk * elements // ranks + cuda.grid(1)
    stride = cuda.gridsize(1)
    while index < stop:
        buf[u64(index)] += recv[u64(index)]
        index += stride


@no_type_check
def allreduce_all_gather_step(buf, recv, step, ranks, rank):
    """``buf[chunk] = recv[chunk]`` for this rank's all-gather chunk at ``step``."""
    elements = buf.shape[0]
    chunk = (rank - step) % ranks
    stop = (chunk + 1) * elements // ranks
    index = chunk * elements // ranks + cuda.grid(1)
    stride = cuda.gridsize(1)
    while index < stop:
        buf[u64(index)] = recv[u64(index)]
        index += stride


@no_type_check
def allreduce_ring_single_device(bufs, step):
    """Ring step ``step`` of every rank at once; row r of ``bufs`` is rank r's buffer.

    ``blockIdx.y`` is the rank. Steps 0 .. N - 2 reduce-scatter, N - 1 .. 2N - 3 all-gather.
    """
    ranks = bufs.shape[0]
    elements = bufs.shape[1]
    rank = cuda.blockIdx.y
    predecessor = (rank + ranks - 1) % ranks
    reduce = step < ranks - 1
    # Reduce-scatter step s takes chunk r - s - 1; all-gather step s = step - (N - 1), r - s.
    chunk = (rank - step - 1) % ranks if reduce else (rank - step + ranks - 1) % ranks
    stop = (chunk + 1) * elements // ranks
    index = chunk * elements // ranks + cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    stride = cuda.gridDim.x * cuda.blockDim.x
    if reduce:
        while index < stop:
            bufs[u64(rank), u64(index)] += bufs[u64(predecessor), u64(index)]
            index += stride
    else:
        while index < stop:
            bufs[u64(rank), u64(index)] = bufs[u64(predecessor), u64(index)]
            index += stride
