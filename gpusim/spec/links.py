"""The links a GPU talks through: PCIe to its host, NVLink to its peers, a NIC to other nodes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gpusim.schema import FrozenModel

PCIE_LANE_BYTES_PER_S: dict[int, float] = {
    3: 8e9 * 128 / 130 / 8,  # 8 GT/s, 128b/130b encoding
    4: 16e9 * 128 / 130 / 8,  # 16 GT/s, 128b/130b
    5: 32e9 * 128 / 130 / 8,  # 32 GT/s, 128b/130b
    6: 64e9 * 242 / 256 / 8,  # 64 GT/s PAM4, FLIT mode (242 of 256 bytes carry data)
}
"""Usable bytes per second per lane per direction, by PCIe generation (PCI-SIG line rates)."""


class PcieSpec(FrozenModel):
    """A PCIe link between a GPU and its switch or root complex."""

    generation: Literal[3, 4, 5, 6] = Field(description="PCIe generation")
    lanes: Literal[1, 2, 4, 8, 16] = Field(description="link width")
    latency_s: float = Field(ge=0, le=1e-3, description="one-way latency of a transfer, per hop")

    @property
    def bandwidth_bytes_per_s_per_direction(self) -> float:
        """Usable bandwidth in each direction: per-lane rate times lanes."""
        return PCIE_LANE_BYTES_PER_S[self.generation] * self.lanes


class NvlinkSpec(FrozenModel):
    """A GPU's NVLink ports (``links = 0``: the GPU has none)."""

    generation: int = Field(ge=0, le=5, description="NVLink generation (0: none)")
    links: int = Field(ge=0, le=256, description="NVLink links per GPU")
    bandwidth_bytes_per_s_per_link_per_direction: float = Field(
        ge=0, le=1e12, description="bandwidth of one link in one direction"
    )
    latency_s: float = Field(ge=0, le=1e-3, description="one-way latency of a transfer, per hop")

    @property
    def bandwidth_bytes_per_s_per_direction(self) -> float:
        """All links together, in one direction."""
        return self.links * self.bandwidth_bytes_per_s_per_link_per_direction


class NicSpec(FrozenModel):
    """The network between nodes, as one GPU sees it (its share of the node's NICs), and the
    switches that wire the NICs together.

    The network is a fat tree (folded Clos) of ``switch_tiers`` levels of
    ``switch_radix``-port switches: each switch below the top gives half its ports to the
    level below and half to the level above, so the tree wires at most
    ``2 x (switch_radix / 2) ** switch_tiers`` NIC ports (Al-Fares, Loukissas and Vahdat,
    "A scalable, commodity data center network architecture", SIGCOMM 2008: a three-level
    fat tree of k-port switches has k^3 / 4 hosts).
    """

    bandwidth_bytes_per_s_per_direction: float = Field(
        ge=1e8, le=1e13, description="inter-node bandwidth per GPU in one direction"
    )
    latency_s: float = Field(
        ge=0, le=1e-2, description="one-way latency of a transfer between nodes"
    )
    gpus_per_port: int = Field(
        gt=0, le=64, description="GPUs sharing one NIC port of the network (1: a NIC per GPU)"
    )
    switch_radix: int = Field(
        ge=2, le=1024, description="ports of each switch of the network between the nodes"
    )
    switch_tiers: int = Field(
        ge=1, le=4, description="levels of switches of the network's fat tree"
    )

    @property
    def max_ports(self) -> int:
        """NIC ports the fat tree wires at most: ``2 x (radix / 2) ** tiers``."""
        return int(2 * (self.switch_radix // 2) ** self.switch_tiers)
