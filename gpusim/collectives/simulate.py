"""Simulating a collective workload on a system: the entry points of ``gpusim.collectives``.

Each simulation builds its own SimPy environment and network, so runs share no state and
the same inputs give the same numbers. Time starts at the protocol's base latency (the
fixed cost of launching a collective); the algorithm then runs until its last message has
arrived.

With ``collective.protocol = "auto"`` the system runs each collective with the fastest of
NCCL's protocols at that size, as NCCL's tuner aims to: the protocols are simulated in the
order of their alpha-beta lower bounds, and one whose bound is no better than the best time
found is not simulated at all (at large sizes LL and LL128 are never run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import get_args

import simpy

from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import channels_for, place, rank_count
from gpusim.collectives.reduction import MemoryBoundReduction, ReductionModel, ReductionUnits
from gpusim.collectives.registry import algorithm
from gpusim.collectives.result import CollectiveResult, LinkOccupancy, LinkUsage
from gpusim.collectives.run import Algorithm, CollectiveRun
from gpusim.errors import CollectiveError
from gpusim.hw.links import LinkInterval
from gpusim.hw.topology import build_network
from gpusim.roofline import DTYPE_BYTES, collective_terms
from gpusim.spec.system import ProtocolName, SystemSpec
from gpusim.units import ns_to_s, s_to_ns
from gpusim.workload import CollectiveWorkload

PROTOCOLS: tuple[ProtocolName, ...] = get_args(ProtocolName)


def simulate_collective(
    system: SystemSpec,
    workload: CollectiveWorkload,
    *,
    timeline: bool = False,
    reduction: ReductionModel | None = None,
) -> CollectiveResult:
    """Simulate ``workload`` on ``system``; ``timeline``: record every link's occupancy.

    ``reduction`` times the reductions on each GPU (default: memory-bound at the GPU's
    sustained DRAM bandwidth). Raises ``CollectiveError`` for ranks, sizes, roots or
    algorithms that do not fit the system.
    """
    ranks = check_collective(system, workload)
    run_algorithm = algorithm(workload.kind, workload.algo)
    model = reduction or MemoryBoundReduction.for_gpu(system.gpu)
    best: CollectiveResult | None = None
    for protocol, lower_bound_s in _candidates(system, workload, ranks):
        if best is not None and lower_bound_s >= best.time_s:
            continue
        result = _simulate(system, workload, run_algorithm, ranks, protocol, model, timeline)
        if best is None or result.time_s < best.time_s:
            best = result
    assert best is not None  # the first candidate is always simulated
    return best


def sweep_collective(
    system: SystemSpec,
    workload: CollectiveWorkload,
    sizes: Iterable[int],
    *,
    on_result: Callable[[CollectiveResult], None] | None = None,
) -> list[CollectiveResult]:
    """``workload`` at each of ``sizes`` (its own ``size_bytes`` is replaced), in order.

    ``on_result`` is called after each size, for progress reporting.
    """
    results = []
    for size_bytes in sizes:
        result = simulate_collective(system, workload.with_overrides({"size_bytes": size_bytes}))
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def sweep_sizes(
    workload: CollectiveWorkload, sizes: Iterable[int], ranks: int, *, field: str = "sizes"
) -> list[int]:
    """``sizes`` made valid for ``workload`` on ``ranks`` ranks, as nccl-tests makes them.

    A size must hold whole elements (else ``CollectiveError`` naming ``field``). All-gather
    and reduce-scatter sizes are rounded down to whole elements per rank; sizes that round
    to nothing, or to a size already listed, are dropped.
    """
    element_bytes = DTYPE_BYTES[workload.dtype]
    per_rank = workload.kind in ("allgather", "reducescatter")
    granule = element_bytes * ranks if per_rank else element_bytes
    valid: list[int] = []
    for size_bytes in sizes:
        if size_bytes % element_bytes:
            raise CollectiveError(
                f"{field}: {size_bytes} B is not a whole number of {workload.dtype} elements "
                f"({element_bytes} B each)"
            )
        rounded = size_bytes - size_bytes % granule
        if rounded and rounded not in valid:
            valid.append(rounded)
    if not valid:
        raise CollectiveError(
            f"{field}: no size holds one {workload.dtype} element per rank ({granule} B)"
        )
    return valid


def check_collective(system: SystemSpec, workload: CollectiveWorkload) -> int:
    """Check that ``workload`` can run on ``system``; return its rank count.

    The algorithm must exist for the collective, the ranks fit the system (whole nodes
    across nodes), the root be one of the ranks, and all-gather and reduce-scatter sizes
    hold whole elements per rank. Raises ``CollectiveError`` naming the field.
    """
    algorithm(workload.kind, workload.algo)
    ranks = rank_count(system, workload.ranks)
    granule = DTYPE_BYTES[workload.dtype] * ranks
    if workload.kind in ("allgather", "reducescatter") and workload.size_bytes % granule:
        raise CollectiveError(
            f"size_bytes: a {workload.kind} over {ranks} ranks needs whole {workload.dtype} "
            f"elements per rank (a multiple of {granule} B), got {workload.size_bytes}"
        )
    root = getattr(workload, "root", 0)
    if root >= ranks:
        raise CollectiveError(f"root: ranks are 0 to {ranks - 1}, got {root}")
    return ranks


def _candidates(
    system: SystemSpec, workload: CollectiveWorkload, ranks: int
) -> list[tuple[ProtocolName, float]]:
    """The protocols to try with their lower bounds (s), best bound first."""
    choice = system.collective.protocol
    names: tuple[ProtocolName, ...] = PROTOCOLS if choice == "auto" else (choice,)
    terms = collective_terms(system, workload.kind, workload.algo, workload.size_bytes, ranks)
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


def _simulate(
    system: SystemSpec,
    workload: CollectiveWorkload,
    run_algorithm: Algorithm,
    ranks: int,
    protocol_name: ProtocolName,
    reduction: ReductionModel,
    timeline: bool,
) -> CollectiveResult:
    protocol = system.collective.protocol_spec(protocol_name)
    channels = channels_for(workload.size_bytes, protocol, system.collective.channels)
    env = simpy.Environment(initial_time=s_to_ns(protocol.base_latency_s))
    intervals: list[LinkInterval] | None = [] if timeline else None
    network = build_network(env, system, timeline=intervals)
    comm = Communicator(env, network, protocol, ReductionUnits(reduction, system.gpu_count))
    run_algorithm(
        CollectiveRun(
            env=env,
            comm=comm,
            placement=place(system, ranks, channels),
            size_bytes=workload.size_bytes,
            channels=channels,
            protocol=protocol,
            max_messages=system.collective.max_messages,
            root=getattr(workload, "root", 0),
        )
    )
    env.run()
    time_ns = env.now
    links = tuple(
        LinkUsage(link.name, link.carried_bytes, ns_to_s(link.busy_ns), link.busy_ns / time_ns)
        for link in sorted(network.links.values(), key=lambda link: link.name)
        if link.carried_bytes > 0
    )
    return CollectiveResult(
        system=system.name,
        collective=workload.kind,
        algo=workload.algo,
        protocol=protocol_name,
        dtype=workload.dtype,
        size_bytes=workload.size_bytes,
        ranks=ranks,
        channels=channels,
        time_s=ns_to_s(time_ns),
        bound=workload.bound(system),
        links=links,
        messages=comm.messages,
        timeline=None if intervals is None else _timeline(intervals),
    )


def _timeline(intervals: list[LinkInterval]) -> tuple[LinkOccupancy, ...]:
    ordered = sorted(intervals, key=lambda entry: (entry.start_ns, entry.link))
    return tuple(
        LinkOccupancy(entry.link, ns_to_s(entry.start_ns), ns_to_s(entry.end_ns), entry.size_bytes)
        for entry in ordered
    )
