"""Ring collectives: exact small cases, and the bandwidths rings reach on each topology."""

from __future__ import annotations

import pytest

from gpusim.collectives import simulate_collective
from gpusim.spec import SystemSpec, system_preset
from gpusim.workload import (
    AllgatherWorkload,
    AllreduceWorkload,
    BroadcastWorkload,
    CollectiveWorkload,
    ReducescatterWorkload,
    ReduceWorkload,
)

GIB = 1 << 30
H100_NVLINK_BYTES_PER_S = 18 * 25e9 * 0.824  # all 18 NVLinks, at NCCL's effective rate


def _simple(name: str, **overrides: object) -> SystemSpec:
    return system_preset(name).with_overrides({"collective.protocol": "simple", **overrides})


def test_a_two_rank_all_reduce_of_two_slices_pipelines_through_one_cta() -> None:
    """4 KiB on 2 H100s with Simple: one channel; each rank's 2 KiB step cut into Simple's
    two 1 KiB slices. Every slice leaves through the channel's CTA (c = 1 KiB at one CTA's
    rate, the NVLink port being faster) and arrives one Simple NVLink hop (L = 3.4 us) after
    the CTA is done with it. Step 0 sends both slices at once (the second behind the first
    in the CTA) and each is reduced on arrival (r); step 1 forwards each reduced slice as it
    comes, the CTA free by then. The last slice: 2c + L + r, then c + L."""
    system = _simple("8xH100-NVSwitch")
    workload = AllreduceWorkload(size_bytes=4096, ranks=2, algo="ring")
    result = simulate_collective(system, workload)
    gpu, simple = system.gpu, system.collective.simple
    cta_bytes_per_ns = gpu.sm.clock_hz * gpu.l1.bandwidth_bytes_per_cycle / 3 / 1e9
    cta_ns = 1024 / cta_bytes_per_ns
    reduce_ns = 3 * 1024 / (gpu.dram.bandwidth_bytes_per_s * gpu.dram.efficiency / 1e9)
    hop_ns = simple.nvlink_hop_latency_s * 1e9
    expected_ns = simple.base_latency_s * 1e9 + 3 * cta_ns + 2 * hop_ns + reduce_ns
    assert result.time_s == pytest.approx(expected_ns * 1e-9, rel=1e-12)
    assert (result.channels, result.messages, result.protocol) == (1, 8, "simple")


def test_ring_all_reduce_sends_2n_minus_2_slices_per_rank_and_channel() -> None:
    system = _simple("8xH100-NVSwitch")
    result = simulate_collective(system, AllreduceWorkload(size_bytes=64 << 20, algo="ring"))
    slices = 2  # 64 MiB / 8 channels / 8 ranks = 1 MiB per step, cut in Simple's two slices
    assert result.messages == result.channels * 8 * 14 * slices


def test_a_large_ring_all_reduce_approaches_the_effective_link_bandwidth() -> None:
    result = simulate_collective(
        _simple("8xH100-NVSwitch"), AllreduceWorkload(size_bytes=GIB, algo="ring")
    )
    ideal_s = 2 * 7 / 8 * GIB / H100_NVLINK_BYTES_PER_S
    assert ideal_s < result.time_s < 1.01 * ideal_s
    assert result.busbw_bytes_per_s == pytest.approx(H100_NVLINK_BYTES_PER_S, rel=0.01)
    busiest = result.busiest_link
    assert busiest is not None and busiest.utilisation > 0.99


def test_ring_bus_bandwidth_on_nvswitch_barely_depends_on_the_rank_count() -> None:
    system = _simple("8xH100-NVSwitch")
    busbw = [
        simulate_collective(
            system, AllreduceWorkload(size_bytes=GIB, ranks=ranks, algo="ring")
        ).busbw_bytes_per_s
        for ranks in (2, 4, 8)
    ]
    assert max(busbw) / min(busbw) < 1.01


@pytest.mark.parametrize(
    "workload", [AllgatherWorkload(size_bytes=GIB), ReducescatterWorkload(size_bytes=GIB)]
)
def test_the_gathers_reach_the_link_in_bus_bandwidth(workload: CollectiveWorkload) -> None:
    result = simulate_collective(_simple("8xH100-NVSwitch"), workload)
    assert result.busbw_bytes_per_s == pytest.approx(H100_NVLINK_BYTES_PER_S, rel=0.01)
    assert result.busbw_bytes_per_s < H100_NVLINK_BYTES_PER_S


@pytest.mark.parametrize(
    "workload", [BroadcastWorkload(size_bytes=GIB, root=3), ReduceWorkload(size_bytes=GIB, root=5)]
)
def test_a_chain_reaches_the_link_once_its_pipeline_is_full(workload: CollectiveWorkload) -> None:
    """Broadcast and reduce pass 1 MiB slices along 7 hops: the link's time for the whole
    buffer, plus at most the last slice's way down the chain, where at each hop it can wait
    behind the window of every channel (4 slots of NCCL_STEPS = 8 at two steps a slice, 24
    channels sharing the port), then pass the CTA and one hop latency."""
    system = _simple("8xH100-NVSwitch")
    result = simulate_collective(system, workload)
    gpu, collective = system.gpu, system.collective
    window = collective.steps_per_channel // collective.simple.slice_steps
    cta_bytes_per_s = gpu.sm.clock_hz * gpu.l1.bandwidth_bytes_per_cycle / 3
    assert result.channels == 24
    per_hop_s = (
        window * (1 << 20) / (H100_NVLINK_BYTES_PER_S / result.channels)
        + (1 << 20) / cta_bytes_per_s
        + collective.simple.nvlink_hop_latency_s
    )
    link_s = GIB / H100_NVLINK_BYTES_PER_S
    assert link_s < result.time_s < link_s + 7 * per_hop_s


def test_the_dgx1_rings_use_all_six_nvlinks_of_each_v100() -> None:
    result = simulate_collective(
        _simple("8xV100-NVLink-Mesh"), AllreduceWorkload(size_bytes=GIB, algo="ring")
    )
    assert result.busbw_bytes_per_s == pytest.approx(6 * 25e9 * 0.8, rel=0.03)
    assert not [link for link in result.links if "pcie" in link.name]


def test_fewer_mesh_channels_leave_nvlinks_idle() -> None:
    system = _simple("8xV100-NVLink-Mesh", **{"collective.channels": 2})
    result = simulate_collective(system, AllreduceWorkload(size_bytes=GIB, algo="ring"))
    # Two directed rings, each as fast as its single-link hops.
    assert result.busbw_bytes_per_s == pytest.approx(2 * 25e9 * 0.8, rel=0.03)


def test_a_pcie_tree_ring_runs_at_pcie_speed() -> None:
    result = simulate_collective(
        _simple("8xH100-PCIe"), AllreduceWorkload(size_bytes=GIB, algo="ring")
    )
    gen5_x16_bytes_per_s = 16 * 32e9 * 128 / 130 / 8
    assert result.busbw_bytes_per_s == pytest.approx(gen5_x16_bytes_per_s * 0.76, rel=0.01)


def test_a_pcie_tree_bottlenecks_on_its_shared_uplink() -> None:
    """With x8 uplinks the ring crosses the host at half a GPU link's speed: the uplinks are
    saturated while the GPUs' own links idle half the time."""
    system = _simple("8xH100-PCIe", **{"host_uplink.lanes": 8})
    result = simulate_collective(system, AllreduceWorkload(size_bytes=GIB, algo="ring"))
    gen5_x8_bytes_per_s = 8 * 32e9 * 128 / 130 / 8
    assert result.busbw_bytes_per_s == pytest.approx(gen5_x8_bytes_per_s * 0.76, rel=0.01)
    busiest = result.busiest_link
    assert busiest is not None and "uplink" in busiest.name and busiest.utilisation > 0.99
    gpu_links = [link.utilisation for link in result.links if ".gpu" in link.name]
    assert max(gpu_links) == pytest.approx(0.5, abs=0.01)


def test_rings_across_nodes_spread_over_every_nic() -> None:
    system = _simple("8xH100-NVSwitch", nodes=2)
    result = simulate_collective(system, AllreduceWorkload(size_bytes=GIB, algo="ring"))
    nics = [link for link in result.links if ".nic." in link.name]
    assert len(nics) == 2 * 2 * 8  # every GPU's NIC, both directions
    assert min(link.carried_bytes for link in nics) == max(link.carried_bytes for link in nics)
    assert result.time_s > result.bound.time_s
