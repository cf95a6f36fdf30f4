"""NCCL's channel counts from the topology (gpusim/collectives/channels.py), against what
NCCL 2.18.5's search, duplication and ncclTopoPostset give on each system."""

from __future__ import annotations

import pytest

from gpusim.collectives import simulate_collective
from gpusim.collectives.channels import RingGraph, ring_graph
from gpusim.collectives.registry import algorithm_candidates
from gpusim.collectives.tuner import choose, tuned_channels
from gpusim.spec import system_preset
from gpusim.workload import AllreduceWorkload

MIB = 1 << 20


@pytest.mark.parametrize(
    ("preset", "nodes", "graph"),
    [
        # 6 rings at 40 GB/s in 12 x 20 GB/s, doubled at 20, doubled again: 24 channels
        # ("24 coll channels" in public NCCL_DEBUG=INFO logs of 8x A100-SXM4 nodes).
        ("8xA100-NVSwitch", 1, RingGraph(searched=12, speed_gbps=20.0, channels=24)),
        # Hopper: 6 rings at 60 GB/s in 18 NVLinks, doubled at 30, doubled again.
        ("8xH100-NVSwitch", 1, RingGraph(searched=12, speed_gbps=30.0, channels=24)),
        ("8xH200-NVSwitch", 1, RingGraph(searched=12, speed_gbps=30.0, channels=24)),
        # The DGX-1: 2 rings at 40 over the double links carry less than 6 at 20 over all.
        ("8xV100-NVLink-Mesh", 1, RingGraph(searched=6, speed_gbps=20.0, channels=12)),
        # Gen5 x16 (48 GB/s): 2 rings at 24, too slow to duplicate.
        ("8xH100-PCIe", 1, RingGraph(searched=2, speed_gbps=24.0, channels=4)),
        # One ring per NIC at the Gen4 GPU-NIC path's 24 GB/s; no duplication under 25.
        ("8xA100-NVSwitch", 8, RingGraph(searched=8, speed_gbps=24.0, channels=16)),
        # One ring per NIC at 48 GB/s; Hopper across nodes above 45 GB/s doubles again.
        ("8xH100-NVSwitch", 8, RingGraph(searched=8, speed_gbps=48.0, channels=32)),
        ("8xV100-NVLink-Mesh", 2, RingGraph(searched=4, speed_gbps=12.0, channels=8)),
    ],
)
def test_the_ring_graph_is_nccls(preset: str, nodes: int, graph: RingGraph) -> None:
    system = system_preset(preset).with_overrides({"nodes": nodes})
    assert ring_graph(system, system.gpu_count) == graph


def test_a_forced_channel_count_replaces_the_rule_but_not_the_tuners_graph() -> None:
    system = system_preset("8xA100-NVSwitch")
    forced = system.with_overrides({"collective.channels": 8})
    assert tuned_channels(system, "ring", "simple", 64 * MIB, 8) == 24
    assert tuned_channels(forced, "ring", "simple", 64 * MIB, 8) == 8
    assert ring_graph(forced, 8) == ring_graph(system, 8)


def test_the_tuner_counts_the_graphs_channels() -> None:
    """On 8 A100s NCCL's model gives LL128 at 16 MiB: 14 us + 14 x 1.9 us, and 16 MiB at
    min(12 x 20 x 0.92, 12 x 20) GB/s of bus bandwidth times 8/14 (173.6 us)."""
    system = system_preset("8xA100-NVSwitch")
    candidates = algorithm_candidates(system, "allreduce", "auto", 8)
    choice = choose(system, candidates, 16 * MIB, 8, "auto")
    assert (choice.algo, choice.protocol) == ("ring", "ll128")
    assert choice.predicted_s == pytest.approx(173.6e-6, abs=0.05e-6)


def test_a_collective_runs_on_the_channels_nccl_opens() -> None:
    result = simulate_collective(
        system_preset("8xA100-NVSwitch"), AllreduceWorkload(size_bytes=16 * MIB)
    )
    assert (result.algo, result.protocol, result.channels) == ("ring", "ll128", 24)
