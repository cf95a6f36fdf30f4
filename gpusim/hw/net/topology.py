"""Builds a system's network from its ``SystemSpec``: links named hierarchically, and routes.

Every node has the same fabric, chosen by ``system.topology``:

- ``nvswitch``: each GPU has one port to the NVSwitch fabric per direction, at all its
  NVLinks' bandwidth (``node0.gpu3.nvlink.out`` / ``.in``); the switches are non-blocking.
  The fabric is an endpoint too (``node0.nvswitch``): a GPU reaches it over its port out,
  and it reaches a GPU over that GPU's port in.
- ``nvlink_mesh``: the DGX-1 hybrid cube mesh (``DGX1_NVLINKS``): one link direction per
  linked GPU pair, at the pair's link count times the per-link bandwidth
  (``node0.gpu0.nvlink.to_gpu3``). Pairs with no NVLink go over PCIe.
- ``pcie_tree``: each GPU has a PCIe link to its switch (``node0.gpu5.pcie.out`` / ``.in``);
  each switch has one uplink to the host bridge (``node0.pcie_switch1.uplink.out`` / ``.in``),
  which GPUs under different switches share.

Nodes are joined by one NIC per GPU (``node1.gpu2.nic.out`` / ``.in``) and a non-blocking
network. A link's bandwidth is its datasheet figure times ``system.link_efficiency``; its
latency (on the sending side of a hop; receiving ports add none) is the spec's.
"""

from __future__ import annotations

from gpusim.hw.net.endpoints import Endpoint, Gpu, Switch
from gpusim.hw.net.links import Link, LinkInterval
from gpusim.hw.net.network import HopKind, Network, Route
from gpusim.spec.system import SystemSpec
from gpusim.units import bytes_per_s_to_bytes_per_ns, s_to_ns

DGX1_NVLINKS: dict[tuple[int, int], int] = {
    (0, 1): 1, (0, 2): 1, (0, 3): 2, (0, 4): 2,
    (1, 2): 2, (1, 3): 1, (1, 5): 2,
    (2, 3): 2, (2, 6): 1,
    (3, 7): 1,
    (4, 5): 1, (4, 6): 1, (4, 7): 2,
    (5, 6): 2, (5, 7): 1,
    (6, 7): 2,
}  # fmt: skip
"""NVLinks between GPU pairs of a DGX-1 with V100s (``nvidia-smi topo -m``: NV1/NV2)."""

DGX1_RINGS: tuple[tuple[int, ...], ...] = (
    (0, 1, 5, 4, 7, 6, 2, 3),
    (0, 4, 6, 5, 7, 3, 1, 2),
    (0, 3, 2, 1, 5, 6, 7, 4),
)
"""Three Hamiltonian cycles of the mesh that together use each NVLink exactly once: the
"three interwoven rings of single NVLink connections" of NVIDIA's DGX-1 description."""


def build_network(system: SystemSpec, *, timeline: list[LinkInterval] | None = None) -> Network:
    """The links and routes of ``system``; link occupancy goes to ``timeline`` if given."""
    return _Builder(system, timeline).network()


def intra_node_rings(system: SystemSpec, local_gpus: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Directed ring orders over ``local_gpus`` (local indices) that collectives cycle through.

    On the mesh: the DGX-1 rings in both directions, so that channels use every NVLink (GPUs
    not taking part are skipped, which can leave hops without an NVLink: those go over PCIe).
    Elsewhere every order is as good: the GPUs in index order, which on a PCIe tree crosses
    each switch uplink once per direction.
    """
    if system.topology != "nvlink_mesh":
        return [local_gpus]
    members = set(local_gpus)
    rings: list[tuple[int, ...]] = []
    for cycle in DGX1_RINGS:
        kept = tuple(gpu for gpu in cycle if gpu in members)
        rings += [kept, (kept[0], *reversed(kept[1:]))]
    return rings


class _Builder:
    """Creates the links of every node and answers route requests between any two GPUs."""

    def __init__(self, system: SystemSpec, timeline: list[LinkInterval] | None) -> None:
        self.system = system
        self.timeline = timeline
        self.links: dict[str, Link] = {}

    def network(self) -> Network:
        for node in range(self.system.nodes):
            self._pcie_fabric(node)
            if self.system.topology == "nvswitch":
                self._nvswitch_ports(node)
            elif self.system.topology == "nvlink_mesh":
                self._mesh_links(node)
            if self.system.nodes > 1:
                self._nics(node)
        return Network(self.links, self.route)

    def route(self, src: Endpoint, dst: Endpoint) -> Route:
        self._check("src", src)
        self._check("dst", dst)
        if isinstance(src, Switch) or isinstance(dst, Switch):
            return self._switch_route(src, dst)
        if src.node != dst.node:
            return self._route([f"{src.name}.nic.out", f"{dst.name}.nic.in"], "net")
        topology = self.system.topology
        if topology == "nvswitch":
            return self._route([f"{src.name}.nvlink.out", f"{dst.name}.nvlink.in"], "nvlink")
        if topology == "nvlink_mesh" and _pair(src.local, dst.local) in DGX1_NVLINKS:
            return self._route([f"{src.name}.nvlink.to_gpu{dst.local}"], "nvlink")
        return self._route(self._pcie_path(f"node{src.node}", src.local, dst.local), "pcie")

    def _check(self, role: str, endpoint: Endpoint) -> None:
        """Raise ``ValueError`` naming ``role`` if the system has no such endpoint."""
        system = self.system
        if not 0 <= endpoint.node < system.nodes:
            raise ValueError(
                f"{role}: {system.name} has {system.nodes} node(s), got {endpoint.name}"
            )
        if isinstance(endpoint, Gpu) and not 0 <= endpoint.local < system.gpus_per_node:
            raise ValueError(f"{role}: a node has {system.gpus_per_node} GPUs, got {endpoint.name}")
        if isinstance(endpoint, Switch) and system.topology != "nvswitch":
            raise ValueError(
                f"{role}: {system.name} has no {endpoint.kind} ({system.topology}), "
                f"got {endpoint.name}"
            )

    def _switch_route(self, src: Endpoint, dst: Endpoint) -> Route:
        """A GPU to its node's switch over its port out, the switch to a GPU over the GPU's
        port in."""
        if isinstance(src, Gpu) and isinstance(dst, Switch) and src.node == dst.node:
            return self._route([f"{src.name}.nvlink.out"], "nvlink")
        if isinstance(src, Switch) and isinstance(dst, Gpu) and src.node == dst.node:
            return self._route([f"{dst.name}.nvlink.in"], "nvlink")
        raise ValueError(
            f"dst: a switch links only the GPUs of its node, got {src.name} -> {dst.name}"
        )

    def _route(self, names: list[str], kind: HopKind) -> Route:
        return Route(tuple(self.links[name] for name in names), kind)

    def _pcie_path(self, prefix: str, src_gpu: int, dst_gpu: int) -> list[str]:
        per_switch = self.system.gpus_per_pcie_switch
        src_switch, dst_switch = src_gpu // per_switch, dst_gpu // per_switch
        uplinks = []
        if src_switch != dst_switch:
            uplinks = [
                f"{prefix}.pcie_switch{src_switch}.uplink.out",
                f"{prefix}.pcie_switch{dst_switch}.uplink.in",
            ]
        return [f"{prefix}.gpu{src_gpu}.pcie.out", *uplinks, f"{prefix}.gpu{dst_gpu}.pcie.in"]

    def _add(self, name: str, bandwidth_bytes_per_s: float, latency_s: float) -> None:
        bandwidth = bytes_per_s_to_bytes_per_ns(bandwidth_bytes_per_s)
        self.links[name] = Link(name, bandwidth, s_to_ns(latency_s), timeline=self.timeline)

    def _duplex(self, name: str, bandwidth_bytes_per_s: float, latency_s: float) -> None:
        """A link's two directions: the sending one carries the hop's latency."""
        self._add(f"{name}.out", bandwidth_bytes_per_s, latency_s)
        self._add(f"{name}.in", bandwidth_bytes_per_s, 0.0)

    def _pcie_fabric(self, node: int) -> None:
        system, efficiency = self.system, self.system.link_efficiency.pcie
        gpu_pcie = system.gpu.pcie
        for gpu in range(system.gpus_per_node):
            bandwidth = gpu_pcie.bandwidth_bytes_per_s_per_direction * efficiency
            self._duplex(f"node{node}.gpu{gpu}.pcie", bandwidth, gpu_pcie.latency_s)
        uplink = system.host_uplink
        for switch in range(system.gpus_per_node // system.gpus_per_pcie_switch):
            bandwidth = uplink.bandwidth_bytes_per_s_per_direction * efficiency
            self._duplex(f"node{node}.pcie_switch{switch}.uplink", bandwidth, uplink.latency_s)

    def _nvswitch_ports(self, node: int) -> None:
        nvlink = self.system.gpu.nvlink
        bandwidth = nvlink.bandwidth_bytes_per_s_per_direction * self.system.link_efficiency.nvlink
        for gpu in range(self.system.gpus_per_node):
            self._duplex(f"node{node}.gpu{gpu}.nvlink", bandwidth, nvlink.latency_s)

    def _mesh_links(self, node: int) -> None:
        nvlink = self.system.gpu.nvlink
        per_link = nvlink.bandwidth_bytes_per_s_per_link_per_direction
        efficiency = self.system.link_efficiency.nvlink
        for (a, b), count in DGX1_NVLINKS.items():
            for src, dst in ((a, b), (b, a)):
                name = f"node{node}.gpu{src}.nvlink.to_gpu{dst}"
                self._add(name, count * per_link * efficiency, nvlink.latency_s)

    def _nics(self, node: int) -> None:
        nic = self.system.nic
        bandwidth = nic.bandwidth_bytes_per_s_per_direction * self.system.link_efficiency.nic
        for gpu in range(self.system.gpus_per_node):
            self._duplex(f"node{node}.gpu{gpu}.nic", bandwidth, nic.latency_s)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)
