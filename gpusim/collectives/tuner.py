"""NCCL's tuning model: which algorithm and protocol a collective runs with, and how many
channels it opens. gpusim asks the model NCCL asks (NCCL 2.18.5, the version of the
published tables), then simulates that choice; it does not simulate every choice and keep
the fastest (that oracle remains as ``collective.protocol = "oracle"``).

NCCL predicts ``time = latency + bytes / (1000 x bandwidth)`` (us, GB/s) for each algorithm
and protocol (``ncclTopoGetAlgoTime``, src/graph/tuning.cc) and takes the least:

- latency: ``baseLat[algo][proto]`` plus, for a ring, ``nsteps`` hops at ``hwLat`` of the
  intra-node link (NVLink or PCI) of which ``nInterSteps`` at the network's; a tree
  ``2 x ((ranks per node - 1) x intra + log2(nodes) x inter)``; NVLS its base only on one
  node (src/graph/tuning.cc ``ncclTopoTuneModel``);
- bandwidth: the graph's channels x speed (ring and tree: the ring graph of
  ``gpusim.collectives.channels``; NVLS: one GPU's NVLinks at NCCL's rate), refined per
  protocol: ring LL a quarter,
  capped at ``llMaxBw``; ring LL128 x0.92, capped at ``perChMaxRingLL128Bw`` per channel;
  tree x0.92 capped at ``perChMaxTreeBw`` per channel, LL /3.8, LL128 x7/9; then turned into
  algorithm bandwidth by ``nranks / nsteps`` (ring), 5/6 (NVLS) or 1/2 (tree);
- trees' bandwidth times ``treeCorrectionFactor`` by size (NCCL's own correction, part of
  its choice, not of gpusim's timing).

LL128 runs only over NVLink (``typeIntra <= PATH_NVB``); NVLS only on one node with an
NVSwitch that reduces (multi-node NVLS needs CollNet, not modelled), and only with Simple.
Channels: ``getAlgoInfo`` (src/enqueue.cc) starts from the communicator's channels
(``gpusim.collectives.channels``) and lowers the count while
``bytes < channels x threads x threadThreshold`` (ring LL's threshold times the rank count);
NVLS opens ``nvls_channels``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpusim.collectives.channels import ring_graph
from gpusim.collectives.run import CollectiveAlgorithm
from gpusim.errors import CollectiveError
from gpusim.spec.system import ProtocolName, SystemSpec

# src/graph/tuning.cc (v2.18.5): latencies in us, bandwidths in GB/s.
BASE_LATENCY_US: dict[str, dict[ProtocolName, float]] = {
    "tree": {"ll": 6.8, "ll128": 14.0, "simple": 0.0},
    "ring": {"ll": 6.6, "ll128": 14.0, "simple": 8.4},
    "nvls": {"simple": 23.0},
}
"""``baseLat``: the fixed cost of an algorithm and protocol."""
HOP_LATENCY_US: dict[str, dict[str, dict[ProtocolName, float]]] = {
    "nvlink": {
        "tree": {"ll": 0.6, "ll128": 1.25, "simple": 4.0},
        "ring": {"ll": 0.6, "ll128": 1.9, "simple": 3.4},
        "nvls": {"simple": 0.0},
    },
    "pcie": {
        "tree": {"ll": 1.0, "ll128": 1.9, "simple": 6.0},
        "ring": {"ll": 1.0, "ll128": 2.5, "simple": 5.7},
        "nvls": {"simple": 0.0},
    },
    "net": {
        "tree": {"ll": 5.0, "ll128": 8.5, "simple": 14.0},
        "ring": {"ll": 2.7, "ll128": 4.0, "simple": 14.0},
        "nvls": {"simple": 18.0},
    },
}
"""``hwLat``: one hop's latency by link kind, algorithm and protocol."""
LL_MAX_BW_GBPS: dict[str, tuple[float, float, float]] = {
    "volta": (39.0, 39.0, 20.4),
    "ampere": (87.7, 22.5, 19.0),
    "hopper": (87.7, 22.5, 19.0),
}
"""``llMaxBws`` by architecture, for 1, 2 and more nodes (an Intel host assumed across
nodes, NCCL's first column there)."""
PER_CHANNEL_RING_LL128_GBPS = {"volta": 20.0, "ampere": 20.0, "hopper": 36.7}
"""``perChMaxRingLL128Bws`` (the same for any node count)."""
PER_CHANNEL_TREE_GBPS: dict[str, tuple[float, float, float]] = {
    "volta": (26.5, 18.5, 10.0),
    "ampere": (24.0, 23.6, 17.8),
    "hopper": (38.7, 41.4, 36.0),
}
"""``perChMaxTreeBws`` by architecture, for 1, 2 and more nodes."""
PER_CHANNEL_TREE_LL128_GBPS: dict[str, tuple[float, float, float]] = {
    "volta": (20.0, 20.0, 20.0),
    "ampere": (20.0, 20.0, 20.0),
    "hopper": (36.7, 36.7, 29.0),
}
"""``perChMaxTreeLL128Bws``."""
TREE_CORRECTION: dict[ProtocolName, tuple[float, ...]] = {
    "ll": (1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0,
           1.0, 1.0, 1.0),
    "ll128": (1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9,
              .9, .9, 1.0, 1.0),
    "simple": (.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7,
               .8, .9, .9),
}  # fmt: skip
"""``treeCorrectionFactor`` by protocol, for log2(bytes / 64) = 0 to 22."""
NVLS_ALGBW_PER_BUSBW = 5.0 / 6.0
"""NVLS's bus-to-algorithm bandwidth ratio in ``ncclTopoTuneModel``."""
TREE_ALGBW_PER_BUSBW = 0.5
ORDER: tuple[ProtocolName, ...] = ("ll", "ll128", "simple")
"""NCCL's protocol order: on equal times the first wins (``getAlgoInfo``)."""


@dataclass(frozen=True)
class TunedChoice:
    """What NCCL's tuner picks for one collective: algorithm, protocol, predicted time."""

    algo: str
    protocol: ProtocolName
    predicted_s: float


def architecture(system: SystemSpec) -> str:
    """NCCL's table row for the GPU: Volta (7.x), Ampere (8.x) or Hopper (9.x and later)."""
    major = system.gpu.compute_capability_tuple[0]
    return "volta" if major < 8 else "ampere" if major < 9 else "hopper"


def protocols_of(system: SystemSpec, algo: str, ranks: int) -> tuple[ProtocolName, ...]:
    """The protocols NCCL enables for ``algo`` on ``system``: NVLS only Simple; LL128 only
    over NVLink (src/graph/tuning.cc)."""
    if algo == "nvls":
        return ("simple",)
    if system.topology == "pcie_tree":
        return ("ll", "simple")
    return ORDER


def check_protocol(system: SystemSpec, algo: str, protocol: str, ranks: int) -> None:
    """Raise ``CollectiveError`` naming ``protocol`` if NCCL does not run ``algo`` with it."""
    offered = protocols_of(system, algo, ranks)
    if protocol not in offered:
        raise CollectiveError(
            f"protocol: NCCL runs {algo} with {', '.join(offered)} only on {system.name}, "
            f"got {protocol}"
        )


def predicted_s(
    system: SystemSpec,
    entry: CollectiveAlgorithm,
    protocol: ProtocolName,
    size_bytes: int,
    ranks: int,
) -> float:
    """NCCL's predicted time of ``entry`` with ``protocol`` (seconds)."""
    nodes = max(1, ranks // system.gpus_per_node)
    per_node = ranks // nodes
    arch = architecture(system)
    column = min(nodes, 3) - 1
    algo = entry.name
    graph = ring_graph(system, ranks)
    channels = graph.searched
    bus_gbps = _nvls_gbps(system) if algo == "nvls" else graph.bus_gbps
    intra = "pcie" if system.topology == "pcie_tree" else "nvlink"
    intra_us = HOP_LATENCY_US[intra][algo][protocol]
    inter_us = HOP_LATENCY_US["net"][algo][protocol]
    latency_us = BASE_LATENCY_US[algo][protocol]
    if algo == "ring":
        steps = _ring_steps(entry.collective, ranks)
        inter_steps = _ring_inter_steps(entry.collective, nodes)
        latency_us += (steps - inter_steps) * intra_us + inter_steps * inter_us
        if protocol == "ll":
            bus_gbps = min(LL_MAX_BW_GBPS[arch][column], bus_gbps / 4)
        elif protocol == "ll128":
            bus_gbps = min(bus_gbps * 0.92, channels * PER_CHANNEL_RING_LL128_GBPS[arch])
        algbw_gbps = bus_gbps * ranks / steps
    elif algo == "tree":
        latency_us += 2 * ((per_node - 1) * intra_us + math.log2(nodes) * inter_us)
        bus_gbps = min(bus_gbps * 0.92, channels * PER_CHANNEL_TREE_GBPS[arch][column])
        if protocol == "ll":
            bus_gbps = min(bus_gbps / 3.8, LL_MAX_BW_GBPS[arch][column])
        elif protocol == "ll128":
            ll128 = 7.0 / 9.0 if nodes == 1 else 120.0 / 128.0
            cap = channels * PER_CHANNEL_TREE_LL128_GBPS[arch][column]
            bus_gbps = min(bus_gbps * ll128, cap)
        log_size = int(math.log2(max(1, size_bytes >> 6)))
        if log_size < len(TREE_CORRECTION[protocol]):
            bus_gbps *= TREE_CORRECTION[protocol][log_size]
        algbw_gbps = bus_gbps * TREE_ALGBW_PER_BUSBW
    else:
        algbw_gbps = bus_gbps * NVLS_ALGBW_PER_BUSBW
    return (latency_us + size_bytes / (1000 * algbw_gbps)) * 1e-6


def choose(
    system: SystemSpec,
    candidates: list[CollectiveAlgorithm],
    size_bytes: int,
    ranks: int,
    protocol: str,
) -> TunedChoice:
    """NCCL's choice among ``candidates`` (algorithms that can run here), with ``protocol``
    forced unless it is ``auto``: the least predicted time, the first on ties."""
    best: TunedChoice | None = None
    for entry in candidates:
        offered = protocols_of(system, entry.name, ranks)
        for name in offered if protocol == "auto" else ():
            time_s = predicted_s(system, entry, name, size_bytes, ranks)
            if best is None or time_s < best.predicted_s:
                best = TunedChoice(entry.name, name, time_s)
        if protocol != "auto" and protocol in offered:
            time_s = predicted_s(system, entry, protocol, size_bytes, ranks)
            if best is None or time_s < best.predicted_s:
                best = TunedChoice(entry.name, protocol, time_s)
    if best is None:
        names = ", ".join(entry.name for entry in candidates)
        raise CollectiveError(f"protocol: none of {names} runs with {protocol} on {system.name}")
    return best


def tuned_channels(
    system: SystemSpec, algo: str, protocol: ProtocolName, size_bytes: int, ranks: int
) -> int:
    """Channels NCCL opens (``getAlgoInfo``, src/enqueue.cc): NVLS its own count; ring and
    tree start from the communicator's channels (``collective.channels`` where forced,
    else NCCL's rule, ``gpusim.collectives.channels``) and open one fewer while the bytes
    are under channels x threads x threshold (ring LL's threshold times the rank count)."""
    if algo == "nvls":
        return system.collective.nvls_channels
    most = system.collective.channels or ring_graph(system, ranks).channels
    per_channel = system.collective.protocol_spec(protocol).min_channel_bytes
    if algo == "ring" and protocol == "ll":
        per_channel *= ranks
    return max(1, min(most, size_bytes // per_channel))


def _ring_steps(collective: str, ranks: int) -> int:
    """``nsteps`` of a ring: 2(n-1) for all-reduce, n-1 for the gathers, n for the chains."""
    if collective == "allreduce":
        return 2 * (ranks - 1)
    if collective in ("allgather", "reducescatter"):
        return ranks - 1
    return ranks


def _ring_inter_steps(collective: str, nodes: int) -> int:
    """``nInterSteps``: 2 x nodes for all-reduce (over one node: none), nodes - 1 for the
    gathers, nodes for the chains (src/graph/tuning.cc, v2.18.5)."""
    if collective == "allreduce":
        return 2 * nodes if nodes > 1 else 0
    if collective in ("allgather", "reducescatter"):
        return nodes - 1
    return nodes


def _nvls_gbps(system: SystemSpec) -> float:
    """The bandwidth of NVLS's graph (GB/s): one GPU's NVLinks at their payload rate
    (NCCL's ``SM90_NVLINK_BW``, src/graph/topo.h); NVLS runs inside one node."""
    nvlink = system.gpu.nvlink.bandwidth_bytes_per_s_per_direction
    return nvlink * system.link_efficiency.nvlink / 1e9
