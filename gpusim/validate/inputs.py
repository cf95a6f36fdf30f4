"""Host inputs for a recording: random non-zero values from per-dtype pools, NaN outputs.

The suite's largest inputs are gigabytes (8 ranks x 1 GiB for the ring all-reduce, 4 GiB
for the copy). ``KernelDef.make_args`` draws them in float64 on one thread, about 35 ns per
element here: minutes for the full suite. So the recorder draws every input of a run from
one pool per dtype, generated once, in parallel, at the size of the largest case that needs
it; each case takes fresh-looking data as consecutive views starting at a random offset.
The values follow ``make_args``' contract (``operands.random_nonzero``: magnitudes
uniform in [0.25, 1] with random signs, never zero), and ``tests/validate`` checks that the
arguments the recorder builds have ``make_args``' shapes and dtypes for every kernel.

Pools are read-only: arrays handed out are uploaded and used as references, never written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

CHUNK_ELEMENTS = 1 << 22
OFFSET_SLACK_ELEMENTS = 1 << 22
"""Room for the random start offset beyond the largest request."""

Shape = tuple[int, ...]


def fill_random_nonzero(out: npt.NDArray[Any], seed: Sequence[int], threads: int) -> None:
    """Fill a 1-D float array with magnitudes in [0.25, 1] and random signs, never zero.

    ``u`` uniform in [0, 1) maps to ``v = 1.5 u - 0.75`` in [-0.75, 0.75), then
    ``v + copysign(0.25, v)``: magnitude 0.25 + |v|, sign of v (0 becomes +0.25). Chunks
    have their own generator spawned from ``seed``, so the result does not depend on the
    thread count, and NumPy releases the GIL in each step.
    """
    seeds = np.random.SeedSequence(seed).spawn(-(-out.size // CHUNK_ELEMENTS))

    def fill(chunk: int) -> None:
        start = chunk * CHUNK_ELEMENTS
        view = out[start : start + CHUNK_ELEMENTS]
        rng = np.random.default_rng(seeds[chunk])
        values = rng.random(view.size, dtype=np.float32)
        values *= np.float32(1.5)
        values -= np.float32(0.75)
        values += np.copysign(np.float32(0.25), values)
        view[:] = values

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(fill, range(len(seeds))))


class HostInputs:
    """Per-dtype pools of random non-zero values and of NaN, handed out as read-only views.

    ``reserve`` every random request first (the recorder does it for the whole plan), so
    each random pool is generated once at its final size; a larger unreserved request
    regrows it. NaN pools grow to each larger request: filling with NaN is cheap.
    """

    def __init__(self, seed: int, threads: int | None = None) -> None:
        self._seed = seed
        self._threads = threads or os.cpu_count() or 1
        self._offsets = np.random.default_rng(seed)
        self._reserved: dict[np.dtype[Any], int] = {}
        self._random: dict[np.dtype[Any], npt.NDArray[Any]] = {}
        self._nan: dict[np.dtype[Any], npt.NDArray[Any]] = {}

    def reserve(self, dtype: npt.DTypeLike, elements: int) -> None:
        """Note that one case will ask for ``elements`` values of ``dtype`` in total."""
        key = np.dtype(dtype)
        self._reserved[key] = max(self._reserved.get(key, 0), elements)

    def random(self, shapes: Sequence[Shape], dtype: npt.DTypeLike) -> list[npt.NDArray[Any]]:
        """Arrays of these shapes, consecutive in the pool from a random offset: no overlap."""
        sizes = [int(np.prod(shape)) for shape in shapes]
        pool = self._pool(self._random, np.dtype(dtype), sum(sizes), random=True)
        start = int(self._offsets.integers(0, pool.size - sum(sizes) + 1))
        arrays = []
        for shape, size in zip(shapes, sizes, strict=True):
            arrays.append(pool[start : start + size].reshape(shape))
            start += size
        return arrays

    def poisoned(self, shape: Shape, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
        """An array of NaN (all ones for an integer dtype): what an output holds before the
        kernel writes it."""
        size = int(np.prod(shape))
        return self._pool(self._nan, np.dtype(dtype), size, random=False)[:size].reshape(shape)

    def _pool(
        self,
        pools: dict[np.dtype[Any], npt.NDArray[Any]],
        dtype: np.dtype[Any],
        elements: int,
        *,
        random: bool,
    ) -> npt.NDArray[Any]:
        pool = pools.get(dtype)
        if pool is not None and pool.size >= elements:
            return pool
        if random:
            wanted = max(elements, self._reserved.get(dtype, 0)) + OFFSET_SLACK_ELEMENTS
            pool = np.empty(wanted, dtype)
            fill_random_nonzero(pool, (self._seed, dtype.num), self._threads)
        else:
            pool = np.full(elements, _poison(dtype), dtype)
        pool.flags.writeable = False
        pools[dtype] = pool
        return pool


def _poison(dtype: np.dtype[Any]) -> float | int:
    """NaN, or all ones for an integer output (``gemm_def.INT32_POISON``)."""
    return int(np.iinfo(dtype).max) if dtype.kind in "iu" else float("nan")
