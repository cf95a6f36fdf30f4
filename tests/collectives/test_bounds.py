"""The alpha-beta bounds printed beside every simulated collective."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpusim.collectives.bounds import slowest_hop
from gpusim.collectives.protocols import protocol_candidates
from gpusim.collectives.registry import ALGORITHMS, algorithm
from gpusim.collectives.ring import RING_ALLREDUCE
from gpusim.collectives.simulate import simulate_collective
from gpusim.errors import CollectiveError
from gpusim.roofline import collective_bound
from gpusim.spec import system_preset
from gpusim.workload import (
    COLLECTIVE_KINDS,
    SYSTEM_KINDS,
    WORKLOAD_KINDS,
    AllgatherWorkload,
    AllreduceWorkload,
    BroadcastWorkload,
    ReducescatterWorkload,
    ReduceWorkload,
)

NODE = system_preset("8xH100-NVSwitch")
ALPHA, BETA = 0.47e-6, 450e9  # an H100's NVLink latency and bandwidth per direction
GIB = 1 << 30


@pytest.mark.parametrize(
    ("kind", "algo", "latency_s", "bytes_per_rank"),
    [
        ("allreduce", "ring", 14 * ALPHA, 14 / 8 * GIB),
        ("allgather", "ring", 7 * ALPHA, 7 / 8 * GIB),
        ("reducescatter", "ring", 7 * ALPHA, 7 / 8 * GIB),
        ("broadcast", "ring", 7 * ALPHA, GIB),
        ("reduce", "ring", 7 * ALPHA, GIB),
        ("allreduce", "tree", 6 * ALPHA, 14 / 8 * GIB),  # up and down 3 levels
    ],
)
def test_each_collective_has_its_alpha_beta_terms(
    kind: str, algo: str, latency_s: float, bytes_per_rank: float
) -> None:
    terms = algorithm(kind, algo).terms(NODE, GIB, 8)
    assert terms.latency_s == pytest.approx(latency_s)
    assert terms.bytes_per_rank == pytest.approx(bytes_per_rank)
    assert terms.bandwidth_bytes_per_s == BETA
    assert terms.time_s == pytest.approx(latency_s + bytes_per_rank / BETA)


def test_across_nodes_rings_cross_each_node_and_share_its_nics() -> None:
    system = NODE.with_overrides({"nodes": 8})
    terms = algorithm("allreduce", "ring").terms(system, GIB, 64)
    crossings = 126 // 8  # any 126 consecutive hops of a 64-ring leave a node 15 times
    assert terms.latency_s == pytest.approx((126 - crossings) * ALPHA + crossings * 2.7e-6)
    assert terms.bandwidth_bytes_per_s == 8 * 50e9  # the node's NICs, below NVLink + NIC
    tree = algorithm("allreduce", "tree").terms(system, GIB, 64)
    assert tree.bandwidth_bytes_per_s == BETA + 50e9  # one GPU's NVLinks and NIC


@pytest.mark.parametrize("algo", ["ring", "tree"])
def test_the_collective_bound_is_the_algorithms_own(algo: str) -> None:
    """The roofline asks the registry: a new algorithm's bound needs no edit there."""
    bound = collective_bound(NODE, "allreduce", algo, GIB, 8)
    assert bound.time_s == algorithm("allreduce", algo).terms(NODE, GIB, 8).time_s
    assert bound.limiter == "network"


def test_an_unknown_algorithm_has_no_bound() -> None:
    known = r"\(known: auto, ring, tree, nvls\)$"
    with pytest.raises(CollectiveError, match=rf"^algo: unknown algorithm 'collnet' .*{known}"):
        collective_bound(NODE, "allreduce", "collnet", GIB, 8)


def test_auto_is_bounded_by_the_least_bound_of_what_can_run() -> None:
    """On an H100 node NVLS's bound is the least; without a reducing switch, ring's or tree's."""
    nvls = collective_bound(NODE, "allreduce", "nvls", GIB, 8)
    assert collective_bound(NODE, "allreduce", "auto", GIB, 8).time_s == nvls.time_s
    plain = NODE.with_overrides({"nvswitch_reduces": False})
    least = min(
        collective_bound(plain, "allreduce", algo, GIB, 8).time_s for algo in ("ring", "tree")
    )
    assert collective_bound(plain, "allreduce", "auto", GIB, 8).time_s == least


def test_every_algorithm_is_registered_under_its_own_collective_and_name() -> None:
    for collective, by_name in ALGORITHMS.items():
        assert by_name, collective
        for name, entry in by_name.items():
            assert (entry.collective, entry.name) == (collective, name)


def test_an_algorithm_refuses_a_topology_it_does_not_support() -> None:
    switch_only = replace(RING_ALLREDUCE, topologies=frozenset({"nvswitch"}))
    switch_only.check_topology(NODE)
    with pytest.raises(
        CollectiveError, match=r"^algo: ring allreduce runs on nvswitch nodes, but 8xH100-PCIe "
    ):
        switch_only.check_topology(system_preset("8xH100-PCIe"))


def test_protocols_whose_own_bound_cannot_win_are_not_worth_simulating() -> None:
    """Auto tries protocols by the algorithm's own bound: at 1 GiB the simple protocol comes
    first, and LL's and LL128's bounds are above its simulated time, so they are skipped."""
    entry = algorithm("allreduce", "ring")
    candidates = protocol_candidates(NODE, entry, GIB, 8)
    assert [name for name, _ in candidates] == ["simple", "ll128", "ll"]
    assert candidates[0][1] > entry.terms(NODE, GIB, 8).time_s  # protocol costs on top
    simulated_s = simulate_collective(NODE, AllreduceWorkload(size_bytes=GIB)).time_s
    assert all(bound_s >= simulated_s for _, bound_s in candidates[1:])


def test_protocol_bounds_follow_the_algorithm() -> None:
    """Across two nodes a ring is held to the node's NICs (8 x 50 GB/s) and a tree to one
    GPU's NVLinks and NIC (450 + 50 GB/s): the tree's protocol bounds move faster."""
    system = NODE.with_overrides({"nodes": 2})
    ring = dict(protocol_candidates(system, algorithm("allreduce", "ring"), GIB, 16))
    tree = dict(protocol_candidates(system, algorithm("allreduce", "tree"), GIB, 16))
    for name, ring_bound_s in ring.items():
        base_s = system.collective.protocol_spec(name).base_latency_s
        ratio = (ring_bound_s - base_s) / (tree[name] - base_s)
        assert ratio == pytest.approx((450 + 50) / (8 * 50))


def test_leaving_the_node_makes_the_nic_the_slowest_hop() -> None:
    system = NODE.with_overrides({"nodes": 8})
    assert slowest_hop(system, 8) == (0.47e-6, 450e9)
    assert slowest_hop(system, 64) == (2.7e-6, 50e9)


def test_a_pcie_tree_hop_runs_at_pcie_speed() -> None:
    latency_s, bandwidth = slowest_hop(system_preset("8xH100-PCIe"), 8)
    assert latency_s == 1.0e-6
    assert bandwidth == pytest.approx(63.0e9, rel=1e-3)


def test_reductions_count_their_additions() -> None:
    elements = GIB // 4
    assert collective_bound(NODE, "reducescatter", "ring", GIB, 8).flops == 7 * elements
    assert collective_bound(NODE, "reduce", "ring", GIB, 8).flops == 7 * elements
    assert collective_bound(NODE, "allgather", "ring", GIB, 8).flops == 0


def test_collective_workloads_are_system_workloads_with_their_bounds() -> None:
    collectives = {"allreduce", "allgather", "reducescatter", "broadcast", "reduce"}
    assert collectives == set(COLLECTIVE_KINDS)
    assert collectives < SYSTEM_KINDS  # a training step runs on a system too
    assert collectives <= set(WORKLOAD_KINDS)
    for workload in (
        AllgatherWorkload(size_bytes=GIB),
        ReducescatterWorkload(size_bytes=GIB, ranks=4),
        BroadcastWorkload(size_bytes=GIB, root=2),
        ReduceWorkload(size_bytes=GIB),
    ):
        expected = collective_bound(NODE, workload.kind, "ring", GIB, workload.rank_count(NODE))
        assert workload.bound(NODE) == expected
    assert (
        BroadcastWorkload(size_bytes=8, root=2).describe() == "broadcast 8 B fp32 (auto, all ranks)"
    )
