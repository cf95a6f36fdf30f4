"""The ring all-reduce schedule: chunking, race-freedom of a step, and that it sums.

The kernels run in ``test_kernels_cudasim.py`` (the self-check); here the schedule they
implement is checked exhaustively for small rings and by property for larger ones, on the
host-side rule (``ring_step_chunk``) and the kernels' references.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpusim.cuda.kernels import AllreduceRingParams, AllreduceStepParams, get_kernel
from gpusim.cuda.kernels.allreduce_def import (
    Phase,
    chunk_bounds,
    ring_phase_and_step,
    ring_step_chunk,
)

PHASES: tuple[Phase, ...] = ("reduce_scatter", "all_gather")


def test_schedule_of_a_ring_of_four() -> None:
    # Rank r reduces chunk r - s - 1, then gathers chunk r - s (mod 4).
    assert [[ring_step_chunk("reduce_scatter", r, s, 4) for r in range(4)] for s in range(3)] == [
        [3, 0, 1, 2],
        [2, 3, 0, 1],
        [1, 2, 3, 0],
    ]
    assert [[ring_step_chunk("all_gather", r, s, 4) for r in range(4)] for s in range(3)] == [
        [0, 1, 2, 3],
        [3, 0, 1, 2],
        [2, 3, 0, 1],
    ]
    assert [ring_phase_and_step(step, 4) for step in range(6)] == [
        ("reduce_scatter", 0),
        ("reduce_scatter", 1),
        ("reduce_scatter", 2),
        ("all_gather", 0),
        ("all_gather", 1),
        ("all_gather", 2),
    ]


def test_uneven_chunks_differ_by_at_most_one_element() -> None:
    assert [chunk_bounds(c, 10, 4) for c in range(4)] == [(0, 2), (2, 5), (5, 7), (7, 10)]
    assert [chunk_bounds(c, 2, 4) for c in range(4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]


@given(elements=st.integers(1, 100_000), ranks=st.integers(2, 64))
def test_chunks_tile_the_buffer(elements: int, ranks: int) -> None:
    bounds = [chunk_bounds(c, elements, ranks) for c in range(ranks)]
    assert bounds[0][0] == 0 and bounds[-1][1] == elements
    assert all(stop == next_start for (_, stop), (next_start, _) in itertools.pairwise(bounds))
    lengths = {stop - start for start, stop in bounds}
    assert max(lengths) - min(lengths) <= 1


@pytest.mark.parametrize("ranks", range(2, 17))
def test_one_step_of_all_ranks_is_race_free(ranks: int) -> None:
    # At each step, rank r writes (row r, chunk c_r) and reads (row r, c_r) and
    # (row r - 1, c_r). No rank may read a (row, chunk) another rank writes, and the
    # written chunks must be all N chunks once each (every element has one writer).
    for phase in PHASES:
        for step in range(ranks - 1):
            chunks = [ring_step_chunk(phase, r, step, ranks) for r in range(ranks)]
            written = {(r, chunks[r]) for r in range(ranks)}
            read_from_others = {((r - 1) % ranks, chunks[r]) for r in range(ranks)}
            assert not written & read_from_others, (phase, step)
            assert sorted(chunks) == list(range(ranks)), (phase, step)


def _apply_ring(bufs: np.ndarray) -> np.ndarray:
    """All 2(N - 1) single-device steps, each as its reference prescribes."""
    ring = get_kernel("allreduce_ring_single_device")
    ranks, elements = bufs.shape
    for step in range(2 * (ranks - 1)):
        bufs = ring.reference((bufs, step), AllreduceRingParams(elements, ranks, step))
    return bufs


def _apply_rank_steps(bufs: np.ndarray, rank_order: list[int]) -> np.ndarray:
    """All steps from the per-rank references, ranks updated in place in ``rank_order``."""
    ranks, elements = bufs.shape
    bufs = bufs.copy()
    for ring_step in range(2 * (ranks - 1)):
        phase, step = ring_phase_and_step(ring_step, ranks)
        kernel = get_kernel(f"allreduce_{phase}_step")
        for rank in rank_order:
            params = AllreduceStepParams(elements, ranks, step, rank)
            args = (bufs[rank], bufs[(rank - 1) % ranks], step, ranks, rank)
            bufs[rank] = kernel.reference(args, params)
    return bufs


@settings(max_examples=60, deadline=None)
@given(ranks=st.integers(2, 9), elements=st.integers(1, 200), seed=st.integers(0, 2**32 - 1))
def test_the_ring_leaves_the_sum_on_every_rank(ranks: int, elements: int, seed: int) -> None:
    bufs = np.random.default_rng(seed).uniform(-1, 1, (ranks, elements)).astype(np.float32)
    expected = np.broadcast_to(bufs.astype(np.float64).sum(axis=0), bufs.shape)
    single_device = _apply_ring(bufs)
    by_rank = _apply_rank_steps(bufs, list(range(ranks)))
    np.testing.assert_allclose(single_device, expected, rtol=1e-5, atol=1e-6)
    # The per-rank kernels updating buffers in place, in either rank order, agree bit for
    # bit with the single-device launch that reads a snapshot: the steps are race-free.
    assert np.array_equal(by_rank, single_device)
    assert np.array_equal(_apply_rank_steps(bufs, list(reversed(range(ranks)))), single_device)
