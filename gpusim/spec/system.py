"""A system of GPUs: nodes of GPUs joined by NVLink, NVSwitch or a PCIe tree, and NICs.

Beside the hardware, a system carries what its collectives library does with it
(``CollectiveSpec``: NCCL's protocols, channels and slicing) and how much of each link's
datasheet bandwidth carries payload (``LinkEfficiencySpec``). Both are calibration data with
sources, read by ``gpusim.hw`` (links) and ``gpusim.collectives`` (algorithms).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from gpusim.schema import FrozenModel
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.links import NicSpec, PcieSpec
from gpusim.units import GIB

Topology = Literal["nvswitch", "nvlink_mesh", "pcie_tree"]
ProtocolName = Literal["simple", "ll128", "ll"]
"""NCCL's three data-movement protocols (Simple, LL128, LL)."""
"""How the GPUs of one node are joined:

- ``nvswitch``: every GPU's NVLinks go to NVSwitches, all-to-all at the GPU's NVLink bandwidth;
- ``nvlink_mesh``: GPUs are linked point to point (the DGX-1 hybrid cube mesh of 8 GPUs);
- ``pcie_tree``: no NVLink; GPUs sit under PCIe switches whose uplinks meet at the host.
"""


class LinkEfficiencySpec(FrozenModel):
    """The fraction of each kind of link's datasheet bandwidth that carries payload.

    Packet headers, flow control and DMA overheads make a link deliver less than its line
    rate; NCCL's topology model uses such effective rates, and so do gpusim's links.
    """

    nvlink: float = Field(ge=0.01, le=1, description="payload fraction of an NVLink's bandwidth")
    pcie: float = Field(ge=0.01, le=1, description="payload fraction of a PCIe link's bandwidth")
    nic: float = Field(ge=0.01, le=1, description="payload fraction of a NIC's bandwidth")


class ProtocolSpec(FrozenModel):
    """One NCCL protocol: its payload efficiency, its latencies and how it slices data.

    A message over a hop costs its links' serialisation and latency; when the protocol's
    per-hop latency (NCCL's ``hwLat``, flag and fence synchronisation included) exceeds the
    route's link latency, the difference is added on arrival.
    """

    efficiency: float = Field(
        ge=0.01, le=1, description="fraction of link bandwidth the protocol turns into payload"
    )
    base_latency_s: float = Field(
        ge=0, le=1e-3, description="fixed cost of one collective (launch)"
    )
    nvlink_hop_latency_s: float = Field(
        ge=0, le=1e-3, description="latency of one step over NVLink"
    )
    pcie_hop_latency_s: float = Field(ge=0, le=1e-3, description="latency of one step over PCIe")
    net_hop_latency_s: float = Field(ge=0, le=1e-3, description="latency of one step between nodes")
    slice_bytes: int = Field(gt=0, le=GIB, description="payload of one pipelined slice, at most")
    min_channel_bytes: int = Field(
        gt=0, le=GIB, description="payload below which a collective opens one channel fewer"
    )
    line_payload_fraction: float = Field(
        ge=0.01,
        le=1,
        description="payload share of what a channel's CTA loads and stores (LL: 8 of 16 "
        "bytes, LL128: 120 of 128, Simple: all)",
    )
    slice_steps: int = Field(
        gt=0, le=64, description="buffer slots (of NCCL_STEPS per channel) one slice occupies"
    )
    slices_per_chunk: int = Field(
        gt=0, le=64, description="slices a ring step's chunk is cut into, at least"
    )


# NCCL's figures (NVIDIA/nccl): hop and base latencies from src/graph/tuning.cc (hwLat and
# baseLat, ring rows); efficiencies from the same file's bandwidth refinements (LL128
# 0.92, LL 1/4 for all-reduce); slices from the buffer sizes (src/init.cc DEFAULT_BUFFSIZE
# 4 MiB, DEFAULT_LL_BUFFSIZE, DEFAULT_LL128_BUFFSIZE over NCCL_STEPS = 8 slots, and
# ALLREDUCE_SLICESTEPS = 2 for Simple); channel thresholds from NCCL_*_THREAD_THRESHOLD
# (src/include/comm.h) times the protocol's threads per channel; slice_steps and
# slices_per_chunk from src/include/collectives.h (ALLREDUCE_SLICESTEPS = NCCL_STEPS/4,
# ALLREDUCE_CHUNKSTEPS = NCCL_STEPS/2 for Simple; src/enqueue.cc uses one step per slice and
# chunk for LL and LL128); line payloads from the LL line (two 4-byte flags beside 8 bytes of
# data in 16) and the LL128 line (NCCL_LL128_DATAELEMS 15 of NCCL_LL128_LINEELEMS 16 u64).
NCCL_SIMPLE = ProtocolSpec(
    efficiency=1.0,
    base_latency_s=8.4e-6,
    nvlink_hop_latency_s=3.4e-6,
    pcie_hop_latency_s=5.7e-6,
    net_hop_latency_s=14.0e-6,
    slice_bytes=1 << 20,  # 2 slots of 4 MiB / 8
    min_channel_bytes=64 * 512,  # 64 B per thread x 512 threads
    line_payload_fraction=1.0,
    slice_steps=2,
    slices_per_chunk=2,
)
NCCL_LL128 = ProtocolSpec(
    efficiency=0.92,
    base_latency_s=14.0e-6,
    nvlink_hop_latency_s=1.9e-6,
    pcie_hop_latency_s=2.5e-6,
    net_hop_latency_s=4.0e-6,
    slice_bytes=120 * 640 * 8 * 15 // 16,  # 120 u64 per thread x 640 threads, 15/16 payload
    min_channel_bytes=8 * 640,  # 8 B per thread x 640 threads
    line_payload_fraction=120 / 128,
    slice_steps=1,
    slices_per_chunk=1,
)
NCCL_LL = ProtocolSpec(
    efficiency=0.25,
    base_latency_s=6.6e-6,
    nvlink_hop_latency_s=0.6e-6,
    pcie_hop_latency_s=1.0e-6,
    net_hop_latency_s=2.7e-6,
    slice_bytes=8 * 512 * 16 // 2,  # 8 16-byte lines per thread x 512 threads, half payload
    min_channel_bytes=8 * 512,  # 8 B per thread x 512 threads
    line_payload_fraction=8 / 16,
    slice_steps=1,
    slices_per_chunk=1,
)


class HostSpec(FrozenModel):
    """The host CPU side of launching work: what one host thread spends per kernel launch.

    A collective is one kernel per GPU; a thread that drives several GPUs (nccl-tests ``-g
    N``: one thread, N GPUs, the launches inside ``ncclGroupStart/End``) launches them one
    after another, so back-to-back collectives can run no faster than that thread launches
    them (``gpusim.collectives.host``).
    """

    kernel_launch_s: float = Field(
        default=4.9e-6,
        ge=0,
        le=1e-3,
        description="host time one thread spends queueing one kernel (cuLaunchKernel): "
        "4.90 us measured for statically compiled C (JuliaGPU/CUDAdrv.jl pull request 15, "
        "2017); no figure per host CPU is published",
    )


class CollectiveSpec(FrozenModel):
    """How the system's collectives library (NCCL-like) runs: protocol, channels, slicing."""

    protocol: Literal["auto", "oracle", "simple", "ll128", "ll"] = Field(
        default="auto",
        description="protocol of every collective; auto: NCCL's tuning model chooses, size "
        "by size; oracle: every protocol is simulated and the fastest kept",
    )
    channels: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="parallel rings or trees the data is split over, at most; unset: as "
        "NCCL opens them on the topology (gpusim/collectives/channels.py), set: forced "
        "(NCCL_MIN_NCHANNELS = NCCL_MAX_NCHANNELS)",
    )
    nvls_channels: int = Field(
        default=16,
        gt=0,
        le=64,
        description="channels of an NVLS collective (NCCL_NVLS_NCHANNELS, src/transport/nvls.cc)",
    )
    steps_per_channel: int = Field(
        default=8,
        gt=0,
        le=64,
        description="buffer slots a channel's receiver offers its sender (NCCL_STEPS, "
        "src/include/collectives.h): a slice waits for a free one",
    )
    gpus_per_thread: int = Field(
        default=1,
        gt=0,
        le=576,
        description="GPUs one host thread launches each collective on (nccl-tests -g; "
        "default one thread or process per GPU)",
    )
    max_messages: int = Field(
        default=1 << 18,
        gt=0,
        le=1 << 22,
        description="simulation resolution: slices grow beyond slice_bytes rather than let "
        "one collective send more messages than this (each message is one event); one whose "
        "single slice already sends more is refused before it runs",
    )
    simple: ProtocolSpec = Field(default=NCCL_SIMPLE, description="NCCL's Simple protocol")
    ll128: ProtocolSpec = Field(default=NCCL_LL128, description="NCCL's LL128 protocol")
    ll: ProtocolSpec = Field(default=NCCL_LL, description="NCCL's LL protocol")

    @model_validator(mode="after")
    def _slices_fit_the_buffer(self) -> Self:
        names: tuple[ProtocolName, ...] = ("simple", "ll128", "ll")
        for name in names:
            slice_steps = self.protocol_spec(name).slice_steps
            if slice_steps > self.steps_per_channel:
                raise ValueError(
                    f"{name}.slice_steps: a slice must fit the "
                    f"{self.steps_per_channel} buffer slots (steps_per_channel), got {slice_steps}"
                )
        return self

    def protocol_spec(self, name: ProtocolName) -> ProtocolSpec:
        """The figures of protocol ``name``."""
        specs: dict[ProtocolName, ProtocolSpec] = {
            "simple": self.simple,
            "ll128": self.ll128,
            "ll": self.ll,
        }
        return specs[name]


class SystemSpec(FrozenModel):
    """Several identical GPUs in one or more nodes. Build variants with ``with_overrides``."""

    name: str = Field(min_length=1, description="name of the system")
    gpu: GpuSpec
    gpus_per_node: int = Field(gt=0, le=576, description="GPUs in each node")
    nodes: int = Field(gt=0, le=65536, description="nodes joined by the network")
    topology: Topology = Field(description="how the GPUs of one node are joined")
    gpus_per_pcie_switch: int = Field(gt=0, le=64, description="GPUs under each PCIe switch")
    host_uplink: PcieSpec = Field(description="each PCIe switch's link to the host")
    nic: NicSpec
    nvswitch_reduces: bool = Field(
        default=False,
        description="the NVSwitch reduces and multicasts (NVLink SHARP, NVLS): H100 and later",
    )
    nvswitch_reduce_efficiency: float = Field(
        default=0.85,
        ge=0.01,
        le=1,
        description="share of an NVLink port's payload rate that the switch's multimem "
        "(NVLS) traffic reaches (NCCL's nvlsEfficiency: 0.85 on Hopper)",
    )
    link_efficiency: LinkEfficiencySpec
    collective: CollectiveSpec
    host: HostSpec = Field(default=HostSpec(), description="the host CPU's launch costs")

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
        if self.nvswitch_reduces and self.topology != "nvswitch":
            raise ValueError(
                f"nvswitch_reduces: only an NVSwitch can reduce, but the topology is "
                f"{self.topology!r}"
            )
        if self.gpus_per_node % self.nic.gpus_per_port:
            raise ValueError(
                f"nic.gpus_per_port: must divide gpus_per_node ({self.gpus_per_node}), "
                f"got {self.nic.gpus_per_port}"
            )
        if self.collective.gpus_per_thread > self.gpus_per_node:
            raise ValueError(
                f"collective.gpus_per_thread: one thread drives GPUs of its own node "
                f"({self.gpus_per_node}), got {self.collective.gpus_per_thread}"
            )
        ports = self.nodes * (self.gpus_per_node // self.nic.gpus_per_port)
        if self.nodes > 1 and ports > self.nic.max_ports:
            raise ValueError(
                f"nodes: {self.nodes} nodes need {ports} NIC ports "
                f"({self.gpus_per_node // self.nic.gpus_per_port} per node), more than a "
                f"{self.nic.switch_tiers}-level fat tree of {self.nic.switch_radix}-port "
                f"switches wires ({self.nic.max_ports}; nic.switch_radix, nic.switch_tiers)"
            )
        if self.topology == "nvlink_mesh" and self.gpus_per_node != 8:
            raise ValueError(
                f"gpus_per_node: the nvlink_mesh topology is the 8-GPU hybrid cube mesh, "
                f"got {self.gpus_per_node}"
            )
        if self.topology == "nvlink_mesh" and self.gpu.nvlink.links != 6:
            raise ValueError(
                f"gpu.nvlink.links: the nvlink_mesh topology is the DGX-1 hybrid cube mesh, "
                f"6 NVLinks per GPU, got {self.gpu.nvlink.links}"
            )
        return self

    @property
    def gpu_count(self) -> int:
        """GPUs in the whole system."""
        return self.gpus_per_node * self.nodes
