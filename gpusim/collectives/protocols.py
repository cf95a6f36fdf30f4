"""The oracle: every protocol NCCL offers for an algorithm, simulated, the fastest kept.

``collective.protocol = "oracle"`` asks for it (``auto`` is NCCL's tuner,
``gpusim.collectives.tuner``). The oracle simulates the protocols in the order of their
lower bounds (base latency plus the busiest rank's bytes, from the algorithm's own bound
terms, at the protocol's efficiency and the best link rate), and skips one whose bound is no
better than the best time already found: at large sizes LL and LL128 are never run.
"""

from __future__ import annotations

from typing import get_args

from gpusim.collectives.run import CollectiveAlgorithm
from gpusim.collectives.tuner import protocols_of
from gpusim.spec.system import ProtocolName, SystemSpec

PROTOCOLS: tuple[ProtocolName, ...] = get_args(ProtocolName)


def protocol_candidates(
    system: SystemSpec, algorithm: CollectiveAlgorithm, size_bytes: int, ranks: int
) -> list[tuple[ProtocolName, float]]:
    """The protocols to try for ``algorithm`` on ``size_bytes`` over ``ranks`` ranks, each
    with a lower bound of its time (s), best bound first."""
    names = protocols_of(system, algorithm.name, ranks)
    terms = algorithm.terms(system, size_bytes, ranks)
    # The datasheet bandwidth of the bound, as the simulated links deliver it at best.
    bandwidth = terms.bandwidth_bytes_per_s * _best_link_efficiency(system, ranks)
    candidates = []
    for name in names:
        spec = system.collective.protocol_spec(name)
        transfer_s = terms.bytes_per_rank / (spec.efficiency * bandwidth)
        candidates.append((name, spec.base_latency_s + transfer_s))
    return sorted(candidates, key=lambda candidate: candidate[1])


def _best_link_efficiency(system: SystemSpec, ranks: int) -> float:
    """The highest payload fraction among the links a collective of ``ranks`` can use."""
    efficiency = system.link_efficiency
    intra = efficiency.pcie if system.topology == "pcie_tree" else efficiency.nvlink
    if ranks > system.gpus_per_node:
        return max(intra, efficiency.nic)
    if system.topology == "nvlink_mesh":
        return max(intra, efficiency.pcie)  # rings over part of the mesh fall back to PCIe
    return intra
