"""Microbenchmark kernels after te42kyfo/gpu-benches: a pointer chase, an L2/DRAM read
bandwidth kernel and the stream "scale" kernel.

* ``pointer_chase`` (gpu-latency): one thread follows a chain of indices, each load's
  address the value of the last, so loads cannot overlap and each costs one full latency.
* ``read_bandwidth`` (gpu-l2-cache): every thread of a full GPU grid reads its fp64 share
  of a buffer ``passes`` times and keeps a sum; repeated passes over a buffer that fits in
  L2 read from L2, over a larger one from DRAM.
* ``stream_scale`` (gpu-stream): ``a[i] = b[i] * scalar`` in fp64, one element per thread of
  1024-thread blocks.

Their facts (chain layout, launch, arguments, work) are in ``microbench_def``. Indices are
cast to unsigned (``u64``), as in the GEMM kernels, so Numba adds no negative-index code.
This module holds everything its kernels compile, so its source text is the source part of
the compile cache key; the one constant it takes from ``microbench_def``, ``CHAIN_START``,
is where ``make_args`` puts the chain (the last element of the first line).
"""

from __future__ import annotations

from typing import no_type_check

import numpy as np
from numba import cuda

from gpusim.cuda.kernels.microbench_def import CHAIN_START

u64 = np.uint64


@no_type_check
def pointer_chase(chain, steps, out):
    """``steps`` dependent loads ``index = chain[index]`` from ``CHAIN_START``; the last index
    reached to out[0]."""
    index = u64(CHAIN_START)
    for _ in range(steps):
        index = u64(chain[index])
    out[0] = index


@no_type_check
def read_bandwidth(data, passes, out):
    """Each thread sums its grid-stride share of ``data`` ``passes`` times into out[thread].

    Pass p reads the buffer rotated by p blocks' worth of elements, so a thread's lines in
    one pass were read by the neighbouring block, on another SM, in the pass before: a
    repeated pass finds them in L2 (or DRAM), never in its own SM's L1.
    """
    thread = cuda.grid(1)
    stride = cuda.gridsize(1)
    elements = data.shape[0]
    total = 0.0
    for p in range(passes):
        rotation = (p * cuda.blockDim.x) % elements
        index = thread
        while index < elements:
            rotated = index + rotation
            if rotated >= elements:
                rotated -= elements
            total += data[u64(rotated)]
            index += stride
    out[u64(thread)] = total


@no_type_check
def stream_scale(a, b, scalar):
    """``a[i] = b[i] * scalar``, one element per thread."""
    index = cuda.grid(1)
    if index < a.shape[0]:
        a[u64(index)] = b[u64(index)] * scalar
