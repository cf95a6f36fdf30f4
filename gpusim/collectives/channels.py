"""How many channels NCCL opens on a system, as NCCL 2.18.5 (the version of the published
tables) computes them from the node's topology.

1. **The ring search** (``ncclTopoCompute``, src/graph/search.cc) looks for rings that each
   take ``speed`` GB/s of every link they cross, trying the speeds of a fixed array
   (``speedArrayIntra`` on one node, ``speedArrayInter`` across nodes; the ``sm90`` arrays
   on Hopper) from the first that fits the best GPU-to-GPU path (``system->maxBw``; across
   nodes the best GPU-to-NIC path) and one GPU's links (``totalBw``), up to
   ``MAXCHANNELS / 2`` rings (``ringGraph.maxChannels``, src/init.cc). It keeps the speed
   whose rings carry the most (``ncclTopoCompareGraphs``: channels x speed, the first on a
   tie), stops once that reaches ``totalBw``, and tries a lower speed only while it is more
   than 0.49 of the best.
2. **Duplication** at the end of ``ncclTopoCompute``: rings of at least 25 GB/s are
   doubled (to at most ``maxChannels``, each at half the speed), except after compute
   capability 8.0 when more than four rings run below 50 GB/s. The tuner (``ncclTopoTuneModel``,
   src/graph/tuning.cc) sees this graph: channels x speed is its bus bandwidth.
3. **``ncclTopoPostset``** (src/graph/connect.cc) doubles the channels the kernels run on
   (``comm->nChannels``, at most ``MAXCHANNELS``), and on compute capability 9.0 across
   nodes with rings faster than 45 GB/s doubles them again.

A ring costs each GPU ``speed`` on one link out and one link in, so the rings that fit at a
speed are, per GPU, its links' whole multiples of the speed: its NVSwitch port (all its
NVLinks), its PCIe link (and its switch's uplink when the GPUs span several switches), on
the DGX-1 mesh the sum over its NVLink pairs (the three rings of ``DGX1_RINGS`` and the
ring of its double links realise that bound), across nodes also the node's NIC ports,
each at the lesser of the port's datasheet rate (NCCL's ``speed / 8000``, no efficiency,
src/graph/topo.cc) and the GPU's PCIe link. NVLink and PCIe run at NCCL's own rates, which
``system.link_efficiency`` holds (``SM80_NVLINK_BW`` 20 of 25 GB/s, PCIe width x rate / 80).
NCCL's tree graph is searched with the ring's channel count (``treeGraph.minChannels``) and
``comm->nChannels`` is the lesser of the two: gpusim takes the ring's for both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from gpusim.hw.net.topology import DGX1_NVLINKS
from gpusim.spec.system import SystemSpec

SPEEDS_INTRA_GBPS: tuple[float, ...] = (
    40.0,
    30.0,
    20.0,
    18.0,
    15.0,
    12.0,
    10.0,
    9.0,
    7.0,
    6.0,
    5.0,
    4.0,
    3.0,
)
"""``speedArrayIntra`` (src/graph/search.cc): ring speeds tried inside one node."""
SPEEDS_INTER_GBPS: tuple[float, ...] = (
    48.0, 30.0, 28.0, 24.0, 20.0, 18.0, 15.0, 12.0, 10.0, 9.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.4,
    1.2, 0.24, 0.12,
)  # fmt: skip
"""``speedArrayInter``: ring speeds tried when the rings leave the node through NICs."""
SM90_SPEEDS_INTRA_GBPS: tuple[float, ...] = (60.0, 40.0, 30.0, 24.0, 20.0, 15.0, 12.0, 6.0, 3.0)
"""``sm90SpeedArrayIntra``: Hopper's, inside one node."""
SM90_SPEEDS_INTER_GBPS: tuple[float, ...] = (
    48.0, 45.0, 42.0, 40.0, 30.0, 24.0, 20.0, 17.5, 15.0, 12.0, 6.0, 3.0, 2.4, 1.2, 0.24, 0.12,
)  # fmt: skip
"""``sm90SpeedArrayInter``: Hopper's, across nodes."""
MAX_CHANNELS = 32
"""``MAXCHANNELS`` (src/include/devcomm.h): channels a communicator runs at most."""
MAX_SEARCH_CHANNELS = MAX_CHANNELS // 2
"""``ringGraph.maxChannels`` (src/init.cc): rings the search finds at most."""
LOWER_SPEED_RATIO = 0.49
"""A lower speed is searched only while it is more than this share of the best one's."""
DUPLICATE_MIN_GBPS = 25.0
"""Rings slower than this are not duplicated (``ncclTopoCompute``)."""
SM90_NO_DUPLICATE_BELOW_GBPS = 50.0
"""After compute capability 8.0, more than four rings slower than this are not duplicated."""
SM90_INTER_DOUBLE_ABOVE_GBPS = 45.0
"""On compute capability 9.0 across nodes, rings faster than this get twice the channels
(``ncclTopoPostset``: "4 compute channels per search channel")."""
FALLBACK_GBPS = 0.1
"""The one ring of NCCL's fallback ("simple order") when the search finds none."""
NO_LINK_GBPS = 5000.0
"""``LOC_BW``: what a single GPU's own path carries (no link to share)."""
PCIE_LANE_RATE_100MBPS = {3: 60, 4: 120, 5: 240, 6: 480}
"""``kvDictPciGen`` (src/graph/topo.cc): a lane's rate by PCIe generation, in 100 Mb/s; a
link carries lanes x rate / 80 GB/s."""
ROUNDING_DIGITS = 6
"""GB/s figures are rounded to this many decimals, so that a link of exactly n rings'
speed carries n of them (0.8 x 25 GB/s is 20 GB/s, not a hair under)."""


@dataclass(frozen=True)
class RingGraph:
    """NCCL's ring graph of one system and the channels its kernels run on."""

    searched: int
    """``graph->nChannels`` after duplication: the channels NCCL's tuner counts."""
    speed_gbps: float
    """``graph->bwIntra`` (= ``bwInter``) per channel after duplication, GB/s."""
    channels: int
    """``comm->nChannels`` after ``ncclTopoPostset``: the most CTAs a ring or tree runs."""

    @property
    def bus_gbps(self) -> float:
        """The bus bandwidth NCCL's tuner starts from: channels x speed (GB/s)."""
        return self.searched * self.speed_gbps


def ring_graph(system: SystemSpec, ranks: int) -> RingGraph:
    """NCCL 2.18.5's ring graph for a collective of ``ranks`` ranks on ``system``."""
    local = min(ranks, system.gpus_per_node)
    across_nodes = ranks > system.gpus_per_node
    major, minor = system.gpu.compute_capability_tuple
    compute_capability = 10 * major + minor
    hopper = compute_capability >= 90
    total_gbps = _gpu_links_gbps(system, local)
    if across_nodes:
        speeds = SM90_SPEEDS_INTER_GBPS if hopper else SPEEDS_INTER_GBPS
        max_path_gbps = _nic_path_gbps(system)
    else:
        speeds = SM90_SPEEDS_INTRA_GBPS if hopper else SPEEDS_INTRA_GBPS
        max_path_gbps = _best_path_gbps(system, local)

    def rings_at(speed_gbps: float) -> int:
        rings = _intra_rings(system, local, speed_gbps)
        if across_nodes:
            # A ring enters the node at one GPU and leaves from another over the NICs,
            # so of n rings spread over the GPUs each GPU forwards n (local - 1) / local
            # over its links inside the node.
            rings = rings * local // max(1, local - 1)
            ports = system.gpus_per_node // system.nic.gpus_per_port
            rings = min(rings, ports * math.floor(_nic_path_gbps(system) / speed_gbps))
        return min(rings, MAX_SEARCH_CHANNELS)

    found, speed = _search(speeds, max_path_gbps, total_gbps, rings_at)
    found, speed = _duplicate(found, speed, compute_capability)
    channels = min(MAX_CHANNELS, 2 * found)
    fast_hopper_rings = (
        compute_capability == 90 and across_nodes and speed > SM90_INTER_DOUBLE_ABOVE_GBPS
    )
    if fast_hopper_rings and 2 * channels <= MAX_CHANNELS:
        channels *= 2
    return RingGraph(searched=found, speed_gbps=speed, channels=channels)


def _search(
    speeds: tuple[float, ...],
    max_path_gbps: float,
    total_gbps: float,
    rings_at: Callable[[float], int],
) -> tuple[int, float]:
    """``ncclTopoCompute``'s speed descent for rings: (rings, speed) of the best graph."""
    index = 0
    while index < len(speeds) - 1 and (speeds[index] > max_path_gbps or speeds[index] > total_gbps):
        index += 1
    best_rings, best_speed = 0, 0.0
    while True:
        speed = speeds[index]
        rings = rings_at(speed)
        if rings * speed > best_rings * best_speed:
            best_rings, best_speed = rings, speed
        if best_rings == MAX_SEARCH_CHANNELS or best_rings * best_speed >= total_gbps:
            break
        last = index == len(speeds) - 1
        if last or (best_rings and speeds[index + 1] / best_speed <= LOWER_SPEED_RATIO):
            break
        index += 1
    if best_rings == 0:
        return 1, FALLBACK_GBPS
    return best_rings, best_speed


def _duplicate(rings: int, speed_gbps: float, compute_capability: int) -> tuple[int, float]:
    """The end of ``ncclTopoCompute``: fast rings doubled, each at a share of the speed
    (``ccMin > 80``: after Ampere's 8.0, more than four rings under 50 GB/s are not)."""
    if speed_gbps < DUPLICATE_MIN_GBPS:
        return rings, speed_gbps
    slow_many = speed_gbps < SM90_NO_DUPLICATE_BELOW_GBPS and rings > 4
    if compute_capability > 80 and slow_many:
        return rings, speed_gbps
    doubled = min(2 * rings, MAX_SEARCH_CHANNELS)
    return doubled, speed_gbps / math.ceil(doubled / rings)


def _gpu_links_gbps(system: SystemSpec, local: int) -> float:
    """``totalBw``: one GPU's NVLinks together, or its PCIe link (the larger)."""
    if local == 1:
        return NO_LINK_GBPS
    if system.topology == "nvlink_mesh":
        nvlink_gbps = _nvlink_gbps(system) * max(_mesh_links(local))
    else:
        nvlink_gbps = _nvlink_gbps(system) * system.gpu.nvlink.links
    return max(nvlink_gbps, _pcie_gbps(system))


def _best_path_gbps(system: SystemSpec, local: int) -> float:
    """``maxBw`` inside a node: the best GPU-to-GPU path's bottleneck."""
    if local == 1:
        return NO_LINK_GBPS
    if system.topology == "nvswitch":
        return _nvlink_gbps(system) * system.gpu.nvlink.links
    if system.topology == "nvlink_mesh":
        pairs = [count for (a, b), count in DGX1_NVLINKS.items() if a < local and b < local]
        return _nvlink_gbps(system) * max(pairs)
    return _pcie_ring_gbps(system, local)


def _intra_rings(system: SystemSpec, local: int, speed_gbps: float) -> int:
    """Rings of ``speed_gbps`` the node's links carry, each taking one link out per GPU."""
    if local == 1:
        return MAX_SEARCH_CHANNELS
    if system.topology == "nvswitch":
        return math.floor(_nvlink_gbps(system) * system.gpu.nvlink.links / speed_gbps)
    if system.topology == "pcie_tree":
        return math.floor(_pcie_ring_gbps(system, local) / speed_gbps)
    per_link_gbps = _nvlink_gbps(system)
    out_rings = [0] * local
    for (a, b), count in DGX1_NVLINKS.items():
        if a < local and b < local:
            fit = math.floor(round(count * per_link_gbps, ROUNDING_DIGITS) / speed_gbps)
            out_rings[a] += fit
            out_rings[b] += fit
    return min(out_rings)


def _mesh_links(local: int) -> list[int]:
    """NVLinks of each of the first ``local`` GPUs of the mesh to the others of them (NCCL
    trims the topology to the communicator's GPUs)."""
    links = [0] * local
    for (a, b), count in DGX1_NVLINKS.items():
        if a < local and b < local:
            links[a] += count
            links[b] += count
    return links


def _pcie_ring_gbps(system: SystemSpec, local: int) -> float:
    """A PCIe ring's bottleneck: the GPU's link, and its switch's uplink when the ring
    leaves the switch (GPUs under several switches)."""
    gpu_gbps = _pcie_gbps(system)
    if local <= system.gpus_per_pcie_switch:
        return gpu_gbps
    return min(gpu_gbps, _nccl_pcie_gbps(system.host_uplink.generation, system.host_uplink.lanes))


def _nic_path_gbps(system: SystemSpec) -> float:
    """A GPU-to-NIC path: the NIC port at its datasheet rate (NCCL's ``speed / 8000``) and
    the GPU's PCIe link."""
    nic = system.nic
    port_gbps = nic.bandwidth_bytes_per_s_per_direction * nic.gpus_per_port / 1e9
    return min(round(port_gbps, ROUNDING_DIGITS), _pcie_gbps(system))


def _nvlink_gbps(system: SystemSpec) -> float:
    """One NVLink at NCCL's rate (``SM*_NVLINK_BW``), GB/s."""
    per_link = system.gpu.nvlink.bandwidth_bytes_per_s_per_link_per_direction
    return round(per_link * system.link_efficiency.nvlink / 1e9, ROUNDING_DIGITS)


def _pcie_gbps(system: SystemSpec) -> float:
    """The GPU's PCIe link at NCCL's rate, GB/s."""
    return _nccl_pcie_gbps(system.gpu.pcie.generation, system.gpu.pcie.lanes)


def _nccl_pcie_gbps(generation: int, lanes: int) -> float:
    """A PCIe link as NCCL rates it: lanes x ``kvDictPciGen`` rate / 80 GB/s."""
    return lanes * PCIE_LANE_RATE_100MBPS[generation] / 80
