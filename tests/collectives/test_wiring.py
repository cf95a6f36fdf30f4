"""The network's fat tree wires a bounded number of NIC ports: the node count is held to it."""

from __future__ import annotations

import pytest

from gpusim.spec import system_preset


@pytest.mark.parametrize(
    ("preset", "most_nodes", "ports_per_node"),
    [
        ("8xH100-NVSwitch", 8192, 8),  # 2 x 32^3 = 65,536 ports of 64-port switches, 8 per node
        ("8xA100-NVSwitch", 2000, 8),  # 2 x 20^3 = 16,000 ports of 40-port switches
        ("8xV100-NVLink-Mesh", 2916, 4),  # 2 x 18^3 = 11,664 ports of 36-port switches, 4 per node
        ("8xH100-PCIe", 32768, 2),  # 65,536 ports, 2 NICs per node
    ],
)
def test_a_fat_tree_wires_so_many_nodes_and_no_more(
    preset: str, most_nodes: int, ports_per_node: int
) -> None:
    system = system_preset(preset)
    assert system.with_overrides({"nodes": most_nodes}).nodes == most_nodes
    needed = (most_nodes + 1) * ports_per_node
    with pytest.raises(ValueError, match=rf"^nodes: {most_nodes + 1} nodes need {needed} NIC "):
        system.with_overrides({"nodes": most_nodes + 1})


def test_fewer_tiers_wire_fewer_nodes() -> None:
    two_levels = system_preset("8xH100-NVSwitch").with_overrides({"nic.switch_tiers": 2})
    assert two_levels.with_overrides({"nodes": 256}).nodes == 256  # 2 x 32^2 = 2048 ports
    with pytest.raises(ValueError, match=r"than a 2-level fat tree of 64-port switches wires"):
        two_levels.with_overrides({"nodes": 257})


def test_one_node_needs_no_network() -> None:
    tiny = system_preset("8xH100-NVSwitch").with_overrides({"nic.switch_radix": 2})
    assert tiny.nic.max_ports == 2 and tiny.nodes == 1


def test_a_port_is_shared_by_a_whole_number_of_a_nodes_gpus() -> None:
    with pytest.raises(ValueError, match=r"^nic.gpus_per_port: must divide gpus_per_node \(8\)"):
        system_preset("8xH100-NVSwitch").with_overrides({"nic.gpus_per_port": 3})
