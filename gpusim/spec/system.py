"""A system of GPUs: nodes of GPUs joined by NVLink, NVSwitch or a PCIe tree, and NICs."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from gpusim.schema import FrozenModel
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.links import NicSpec, PcieSpec

Topology = Literal["nvswitch", "nvlink_mesh", "pcie_tree"]
"""How the GPUs of one node are joined:

- ``nvswitch``: every GPU's NVLinks go to NVSwitches, all-to-all at the GPU's NVLink bandwidth;
- ``nvlink_mesh``: GPUs are linked point to point (the DGX-1 hybrid cube mesh of 8 GPUs);
- ``pcie_tree``: no NVLink; GPUs sit under PCIe switches whose uplinks meet at the host.
"""


class SystemSpec(FrozenModel):
    """Several identical GPUs in one or more nodes. Build variants with ``with_overrides``."""

    name: str = Field(min_length=1, description="name of the system")
    gpu: GpuSpec
    gpus_per_node: int = Field(gt=0, description="GPUs in each node")
    nodes: int = Field(gt=0, description="nodes joined by the network")
    topology: Topology = Field(description="how the GPUs of one node are joined")
    gpus_per_pcie_switch: int = Field(gt=0, description="GPUs under each PCIe switch")
    host_uplink: PcieSpec = Field(description="each PCIe switch's link to the host")
    nic: NicSpec

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.gpus_per_node % self.gpus_per_pcie_switch:
            raise ValueError(
                f"gpus_per_pcie_switch: must divide gpus_per_node ({self.gpus_per_node}), "
                f"got {self.gpus_per_pcie_switch}"
            )
        if self.topology != "pcie_tree" and self.gpu.nvlink.links == 0:
            raise ValueError(
                f"topology: {self.topology!r} needs NVLink, but gpu.nvlink.links is 0 "
                f"(use 'pcie_tree')"
            )
        if self.topology == "nvlink_mesh" and self.gpus_per_node != 8:
            raise ValueError(
                f"gpus_per_node: the nvlink_mesh topology is the 8-GPU hybrid cube mesh, "
                f"got {self.gpus_per_node}"
            )
        return self

    @property
    def gpu_count(self) -> int:
        """GPUs in the whole system."""
        return self.gpus_per_node * self.nodes
