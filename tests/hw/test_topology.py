"""Topologies from the SystemSpec: link names, routes, and the DGX-1 hybrid cube mesh."""

from __future__ import annotations

from collections import Counter

import pytest

from gpusim.hw.net.endpoints import Endpoint, Gpu, Switch
from gpusim.hw.net.network import Network
from gpusim.hw.net.topology import DGX1_NVLINKS, DGX1_RINGS, build_network, intra_node_rings
from gpusim.spec import SystemSpec, system_preset


def _network(system: SystemSpec) -> Network:
    return build_network(system)


def _route(system: SystemSpec, src: Endpoint, dst: Endpoint) -> tuple[str, list[str]]:
    route = _network(system).route(src, dst)
    return route.kind, [link.name for link in route.links]


def test_an_nvswitch_route_is_the_senders_port_out_and_the_receivers_port_in() -> None:
    assert _route(system_preset("8xH100-NVSwitch"), Gpu(0, 3), Gpu(0, 6)) == (
        "nvlink",
        ["node0.gpu3.nvlink.out", "node0.gpu6.nvlink.in"],
    )


def test_an_nvswitch_port_runs_at_all_nvlinks_times_their_efficiency() -> None:
    system = system_preset("8xH100-NVSwitch")
    port = _network(system).links["node0.gpu0.nvlink.out"]
    assert port.bandwidth_bytes_per_ns == pytest.approx(18 * 25.0 * 0.824)  # 450 GB/s x 0.824
    assert port.latency_ns == pytest.approx(470.0)
    assert _network(system).links["node0.gpu0.nvlink.in"].latency_ns == 0.0


def test_a_gpu_reaches_its_nodes_nvswitch_over_its_port_out_and_back_over_its_port_in() -> None:
    system = system_preset("8xH100-NVSwitch").with_overrides({"nodes": 2})
    switch = Switch(1)
    assert switch.name == "node1.nvswitch"
    assert _route(system, Gpu(1, 2), switch) == ("nvlink", ["node1.gpu2.nvlink.out"])
    assert _route(system, switch, Gpu(1, 5)) == ("nvlink", ["node1.gpu5.nvlink.in"])
    # A message that ends at the switch is whole there before the switch sends it on: one
    # serialisation more than cutting through from GPU to GPU, the same latency.
    size = 1e6
    port = _network(system).links["node1.gpu2.nvlink.out"].bandwidth_bytes_per_ns
    direct = _network(system).transfer(Gpu(1, 2), Gpu(1, 5), size, 0.0)
    network = _network(system)
    at_switch = network.transfer(Gpu(1, 2), switch, size, 0.0)
    assert network.transfer(switch, Gpu(1, 5), size, at_switch) == pytest.approx(
        direct + size / port
    )


@pytest.mark.parametrize(
    ("system", "src", "dst", "message"),
    [
        (
            "8xH100-NVSwitch",
            Gpu(0, 1),
            Gpu(1, 0),
            r"dst: 8xH100-NVSwitch has 1 node\(s\), got node1\.gpu0",
        ),
        ("8xH100-NVSwitch", Gpu(0, 8), Gpu(0, 0), r"src: a node has 8 GPUs, got node0\.gpu8"),
        ("8xH100-NVSwitch", Gpu(0, 0), Gpu(0, -1), r"dst: a node has 8 GPUs, got node0\.gpu-1"),
        ("8xH100-PCIe", Gpu(0, 1), Switch(0), r"dst: 8xH100-PCIe has no nvswitch \(pcie_tree\)"),
    ],
)
def test_a_route_to_an_endpoint_the_system_lacks_is_refused(
    system: str, src: Endpoint, dst: Endpoint, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        _network(system_preset(system)).route(src, dst)


def test_a_switch_links_only_the_gpus_of_its_own_node() -> None:
    system = system_preset("8xH100-NVSwitch").with_overrides({"nodes": 2})
    with pytest.raises(ValueError, match=r"^dst: a switch links only the GPUs of its node"):
        _network(system).route(Gpu(0, 1), Switch(1))


def test_pcie_routes_cross_the_host_uplinks_only_between_switches() -> None:
    system = system_preset("8xH100-PCIe")  # 4 GPUs under each of 2 switches
    assert _route(system, Gpu(0, 1), Gpu(0, 2)) == (
        "pcie",
        ["node0.gpu1.pcie.out", "node0.gpu2.pcie.in"],
    )
    assert _route(system, Gpu(0, 1), Gpu(0, 6)) == (
        "pcie",
        [
            "node0.gpu1.pcie.out",
            "node0.pcie_switch0.uplink.out",
            "node0.pcie_switch1.uplink.in",
            "node0.gpu6.pcie.in",
        ],
    )


def test_gpus_under_one_switch_share_its_uplink() -> None:
    """Four GPUs sending across the host at once get a quarter of the uplink each."""
    system = system_preset("8xH100-PCIe")  # GPU links and uplinks: PCIe 5 x16 alike
    network = _network(system)
    size = 64e6
    latency_ns = 1000.0 + 1000.0  # the GPU's link, then the switch's uplink
    arrivals = [network.transfer(Gpu(0, src), Gpu(0, src + 4), size, 0.0) for src in range(4)]
    uplink = network.links["node0.pcie_switch0.uplink.out"].bandwidth_bytes_per_ns
    assert arrivals == pytest.approx([k * size / uplink + latency_ns for k in (1, 2, 3, 4)])
    alone = _network(system).transfer(Gpu(0, 0), Gpu(0, 4), size, 0.0)
    assert alone == pytest.approx(size / uplink + latency_ns)


def test_the_mesh_links_linked_pairs_directly_and_others_over_pcie() -> None:
    system = system_preset("8xV100-NVLink-Mesh")
    assert _route(system, Gpu(0, 0), Gpu(0, 3)) == ("nvlink", ["node0.gpu0.nvlink.to_gpu3"])
    kind, names = _route(system, Gpu(0, 0), Gpu(0, 5))
    assert kind == "pcie"
    assert names[0] == "node0.gpu0.pcie.out" and names[-1] == "node0.gpu5.pcie.in"
    links = _network(system).links
    assert links["node0.gpu0.nvlink.to_gpu3"].bandwidth_bytes_per_ns == pytest.approx(2 * 25 * 0.8)
    assert links["node0.gpu0.nvlink.to_gpu1"].bandwidth_bytes_per_ns == pytest.approx(25 * 0.8)


def test_nodes_are_joined_by_one_nic_per_gpu() -> None:
    system = system_preset("8xH100-NVSwitch").with_overrides({"nodes": 2})
    assert _route(system, Gpu(0, 3), Gpu(1, 4)) == (
        "net",
        ["node0.gpu3.nic.out", "node1.gpu4.nic.in"],
    )
    assert _route(system, Gpu(1, 1), Gpu(1, 7)) == (
        "nvlink",
        ["node1.gpu1.nvlink.out", "node1.gpu7.nvlink.in"],
    )
    nic = _network(system).links["node1.gpu4.nic.out"]
    assert nic.bandwidth_bytes_per_ns == pytest.approx(50 * 0.97)
    assert nic.latency_ns == pytest.approx(2700.0)


def test_a_single_node_has_no_nics() -> None:
    assert not [name for name in _network(system_preset("8xH100-NVSwitch")).links if "nic" in name]


def test_the_dgx1_mesh_gives_each_v100_its_six_nvlinks() -> None:
    per_gpu: Counter[int] = Counter()
    for (a, b), count in DGX1_NVLINKS.items():
        per_gpu[a] += count
        per_gpu[b] += count
    assert per_gpu == {gpu: 6 for gpu in range(8)}
    assert sum(DGX1_NVLINKS.values()) == 24


def test_the_three_dgx1_rings_use_every_nvlink_exactly_once() -> None:
    used: Counter[tuple[int, int]] = Counter()
    for ring in DGX1_RINGS:
        assert sorted(ring) == list(range(8))  # Hamiltonian
        for position, gpu in enumerate(ring):
            used[tuple(sorted((gpu, ring[(position + 1) % 8])))] += 1  # type: ignore[index]
    assert used == DGX1_NVLINKS


def test_mesh_channels_cycle_through_six_directed_rings() -> None:
    rings = intra_node_rings(system_preset("8xV100-NVLink-Mesh"), tuple(range(8)))
    assert len(rings) == 6
    assert rings[0] == DGX1_RINGS[0]
    assert rings[1] == (0, 3, 2, 6, 7, 4, 5, 1)  # the same cycle, the other way
    assert intra_node_rings(system_preset("8xH100-NVSwitch"), (0, 1, 2)) == [(0, 1, 2)]


def test_the_mesh_topology_needs_six_nvlinks_per_gpu() -> None:
    with pytest.raises(ValueError, match=r"^gpu\.nvlink\.links: the nvlink_mesh topology"):
        system_preset("8xV100-NVLink-Mesh").with_overrides({"gpu.nvlink.links": 4})
