"""The alpha-beta bounds printed beside every simulated collective."""

from __future__ import annotations

import pytest

from gpusim.roofline import collective_bound, collective_terms, ring_allreduce_bound
from gpusim.spec import system_preset
from gpusim.workload import (
    SYSTEM_KINDS,
    WORKLOAD_KINDS,
    AllgatherWorkload,
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
    terms = collective_terms(NODE, kind, algo, GIB, 8)  # type: ignore[arg-type]
    assert terms.latency_s == pytest.approx(latency_s)
    assert terms.bytes_per_rank == pytest.approx(bytes_per_rank)
    assert terms.bandwidth_bytes_per_s == BETA
    assert terms.time_s == pytest.approx(latency_s + bytes_per_rank / BETA)


def test_across_nodes_rings_cross_each_node_and_share_its_nics() -> None:
    system = NODE.with_overrides({"nodes": 8})
    terms = collective_terms(system, "allreduce", "ring", GIB, 64)
    crossings = 126 // 8  # any 126 consecutive hops of a 64-ring leave a node 15 times
    assert terms.latency_s == pytest.approx((126 - crossings) * ALPHA + crossings * 2.7e-6)
    assert terms.bandwidth_bytes_per_s == 8 * 50e9  # the node's NICs, below NVLink + NIC
    tree = collective_terms(system, "allreduce", "tree", GIB, 64)
    assert tree.bandwidth_bytes_per_s == BETA + 50e9  # one GPU's NVLinks and NIC


def test_the_ring_all_reduce_bound_is_the_collective_bound() -> None:
    assert ring_allreduce_bound(NODE, GIB, 8) == collective_bound(NODE, "allreduce", "ring", GIB, 8)


def test_reductions_count_their_additions() -> None:
    elements = GIB // 4
    assert collective_bound(NODE, "reducescatter", "ring", GIB, 8).flops == 7 * elements
    assert collective_bound(NODE, "reduce", "ring", GIB, 8).flops == 7 * elements
    assert collective_bound(NODE, "allgather", "ring", GIB, 8).flops == 0


def test_collective_workloads_are_system_workloads_with_their_bounds() -> None:
    collectives = {"allreduce", "allgather", "reducescatter", "broadcast", "reduce"}
    assert collectives == SYSTEM_KINDS
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
        BroadcastWorkload(size_bytes=8, root=2).describe() == "broadcast 8 B fp32 (ring, all ranks)"
    )
