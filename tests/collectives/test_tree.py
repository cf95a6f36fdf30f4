"""Double binary trees: their shape, and where they beat rings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpusim.collectives import simulate_collective
from gpusim.collectives.tree import binary_tree_parents, children_of, double_binary_tree
from gpusim.spec import SystemSpec, system_preset
from gpusim.workload import AllreduceWorkload


def test_the_tree_of_eight_ranks() -> None:
    assert binary_tree_parents(8) == [None, 2, 4, 2, 0, 6, 4, 6]
    assert children_of(binary_tree_parents(8)) == [[4], [], [1, 3], [], [2, 6], [], [5, 7], []]


def test_the_second_tree_mirrors_the_first_for_an_even_count() -> None:
    first, second = double_binary_tree(8)
    assert second == [1, 3, 1, 7, 5, 3, 5, None]
    assert first == binary_tree_parents(8)


def _depth(parents: list[int | None], rank: int) -> int:
    depth = 0
    while (parent := parents[rank]) is not None:
        rank, depth = parent, depth + 1
    return depth


@given(st.integers(min_value=2, max_value=300))
def test_each_tree_is_a_binary_tree_of_logarithmic_depth(ranks: int) -> None:
    for parents in double_binary_tree(ranks):
        assert parents.count(None) == 1
        assert all(len(kids) <= 2 for kids in children_of(parents))
        depth = max(_depth(parents, rank) for rank in range(ranks))  # also: no cycles
        assert depth <= (ranks - 1).bit_length()


@given(st.integers(min_value=2, max_value=300))
def test_no_rank_is_inner_in_both_trees(ranks: int) -> None:
    """Each rank sends and receives about as much over both trees together."""
    inner = [
        {rank for rank, kids in enumerate(children_of(parents)) if kids}
        for parents in double_binary_tree(ranks)
    ]
    assert len(inner[0] & inner[1]) <= 1


@pytest.fixture(scope="module")
def sixty_four_h100s() -> SystemSpec:
    return system_preset("8xH100-NVSwitch").with_overrides({"nodes": 8})


def test_a_tree_beats_a_ring_at_small_sizes_on_many_gpus(sixty_four_h100s: SystemSpec) -> None:
    ring = simulate_collective(sixty_four_h100s, AllreduceWorkload(size_bytes=1024, algo="ring"))
    tree = simulate_collective(sixty_four_h100s, AllreduceWorkload(size_bytes=1024, algo="tree"))
    assert tree.time_s < 0.5 * ring.time_s


def test_a_tree_loses_to_a_ring_at_large_sizes(sixty_four_h100s: SystemSpec) -> None:
    size = 64 << 20
    ring = simulate_collective(sixty_four_h100s, AllreduceWorkload(size_bytes=size, algo="ring"))
    tree = simulate_collective(sixty_four_h100s, AllreduceWorkload(size_bytes=size, algo="tree"))
    assert tree.time_s > 1.5 * ring.time_s


def test_on_one_nvswitch_node_the_tree_wins_small_and_loses_large() -> None:
    system = system_preset("8xH100-NVSwitch")
    small, large = 1024, 1 << 30
    for size, tree_wins in ((small, True), (large, False)):
        ring = simulate_collective(system, AllreduceWorkload(size_bytes=size, algo="ring"))
        tree = simulate_collective(system, AllreduceWorkload(size_bytes=size, algo="tree"))
        assert (tree.time_s < ring.time_s) is tree_wins
