"""Simulating a collective workload on a system: the entry points of ``gpusim.collectives``.

Each simulation builds its own SimPy environment and network, so runs share no state and
the same inputs give the same numbers. Time starts at the protocol's base latency (the
fixed cost of launching a collective); the algorithm then runs until its last message has
arrived. The time reported is that, or the host thread's launches of it when they take
longer (``gpusim.collectives.host``: collectives run back to back, as nccl-tests runs them).

With ``collective.protocol = "auto"`` (and ``algo = "auto"``) each collective runs with the
algorithm and protocol NCCL's tuning model picks at its size (``gpusim.collectives.tuner``),
on the channels NCCL opens for it; ``"oracle"`` simulates every protocol of the algorithm(s)
and keeps the fastest (``gpusim.collectives.protocols``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import simpy

from gpusim.collectives.checks import check_collective
from gpusim.collectives.comm import Communicator
from gpusim.collectives.cta import channel_payload_bytes_per_s
from gpusim.collectives.host import back_to_back_s, host_launch_s
from gpusim.collectives.placement import place
from gpusim.collectives.protocols import protocol_candidates
from gpusim.collectives.reduction import MemoryBoundReduction, ReductionModel, ReductionUnits
from gpusim.collectives.registry import algorithm_candidates
from gpusim.collectives.result import CollectiveResult, LinkOccupancy, LinkUsage
from gpusim.collectives.run import CollectiveAlgorithm, CollectiveRun
from gpusim.collectives.tuner import (
    BASE_LATENCY_US,
    HOP_LATENCY_US,
    check_protocol,
    choose,
    tuned_channels,
)
from gpusim.hw.net.links import LinkInterval
from gpusim.hw.net.topology import build_network
from gpusim.roofline import collective_bound
from gpusim.spec.system import ProtocolName, ProtocolSpec, SystemSpec
from gpusim.units import bytes_per_s_to_bytes_per_ns, ns_to_s, s_to_ns
from gpusim.workload import CollectiveWorkload


def simulate_collective(
    system: SystemSpec,
    workload: CollectiveWorkload,
    *,
    timeline: bool = False,
    reduction: ReductionModel | None = None,
) -> CollectiveResult:
    """Simulate ``workload`` on ``system``; ``timeline``: record every link's occupancy.

    The algorithm (``workload.algo``, or ``auto``) and protocol (``collective.protocol``,
    or ``auto``) are NCCL's tuner's choice where not forced; ``oracle`` simulates every
    protocol and keeps the fastest. ``reduction`` times the reductions on each GPU
    (default: memory-bound at the GPU's sustained DRAM bandwidth). Raises
    ``CollectiveError`` for ranks, sizes, roots, algorithms or protocols that do not fit,
    and, before simulating anything, for a collective that ``collective.max_messages``
    cannot pay for (``CollectiveAlgorithm.check_budget``).
    """
    ranks = check_collective(system, workload)
    _check_budget(system, workload, ranks)
    model = reduction or MemoryBoundReduction.for_gpu(system.gpu)
    if system.collective.protocol != "oracle":
        entry, protocol = _tuned(system, workload, ranks)
        return _simulate(system, workload, entry, ranks, protocol, model, timeline)
    best: CollectiveResult | None = None
    for entry, protocol, lower_bound_s in _oracle_candidates(system, workload, ranks):
        if best is not None and lower_bound_s >= best.time_s:
            continue
        result = _simulate(system, workload, entry, ranks, protocol, model, timeline)
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

    Every size is checked (``collective.max_messages`` included) before any is simulated,
    so a sweep that cannot finish is refused at once. ``on_result`` is called after each
    size, for progress reporting.
    """
    sized = [workload.with_overrides({"size_bytes": size_bytes}) for size_bytes in sizes]
    for each in sized:
        _check_budget(system, each, check_collective(system, each))
    results = []
    for each in sized:
        result = simulate_collective(system, each)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _check_budget(system: SystemSpec, workload: CollectiveWorkload, ranks: int) -> None:
    """Refuse ``workload`` if an algorithm and protocol it would simulate (the tuner's
    choice, or every oracle candidate) costs more than ``collective.max_messages`` pays for
    (``CollectiveAlgorithm.check_budget``)."""
    if system.collective.protocol == "oracle":
        plans = [(entry, name) for entry, name, _ in _oracle_candidates(system, workload, ranks)]
    else:
        plans = [_tuned(system, workload, ranks)]
    for entry, protocol in plans:
        channels = tuned_channels(system, entry.name, protocol, workload.size_bytes, ranks)
        protocol_spec = system.collective.protocol_spec(protocol)
        entry.check_budget(system, workload.size_bytes, ranks, channels, protocol_spec)


def _tuned(
    system: SystemSpec, workload: CollectiveWorkload, ranks: int
) -> tuple[CollectiveAlgorithm, ProtocolName]:
    """The algorithm and protocol NCCL's tuner picks for ``workload`` (either forced where
    the workload or ``collective.protocol`` forces it)."""
    entries = algorithm_candidates(system, workload.kind, workload.algo, ranks)
    setting = system.collective.protocol
    if workload.algo != "auto" and setting != "auto":
        check_protocol(system, workload.algo, setting, ranks)
    choice = choose(system, entries, workload.size_bytes, ranks, setting)
    return next(entry for entry in entries if entry.name == choice.algo), choice.protocol


def _oracle_candidates(
    system: SystemSpec, workload: CollectiveWorkload, ranks: int
) -> list[tuple[CollectiveAlgorithm, ProtocolName, float]]:
    """Every algorithm and protocol the oracle may simulate, each with its lower bound (s),
    algorithm by algorithm, best bound first."""
    entries = algorithm_candidates(system, workload.kind, workload.algo, ranks)
    return [
        (entry, protocol, lower_bound_s)
        for entry in entries
        for protocol, lower_bound_s in protocol_candidates(
            system, entry, workload.size_bytes, ranks
        )
    ]


def _simulate(
    system: SystemSpec,
    workload: CollectiveWorkload,
    entry: CollectiveAlgorithm,
    ranks: int,
    protocol_name: ProtocolName,
    reduction: ReductionModel,
    timeline: bool,
) -> CollectiveResult:
    protocol = system.collective.protocol_spec(protocol_name)
    if entry.needs_reducing_switch:
        protocol = nvls_protocol(protocol)
    channels = tuned_channels(system, entry.name, protocol_name, workload.size_bytes, ranks)
    base_latency_s = protocol.base_latency_s
    env = simpy.Environment(initial_time=s_to_ns(base_latency_s))
    intervals: list[LinkInterval] | None = [] if timeline else None
    network = build_network(system, timeline=intervals)
    comm = Communicator(
        env,
        network,
        protocol,
        ReductionUnits(reduction),
        channel_payload_bytes_per_ns=bytes_per_s_to_bytes_per_ns(
            channel_payload_bytes_per_s(system.gpu, protocol)
        ),
        window=system.collective.steps_per_channel // protocol.slice_steps,
    )
    entry.run(
        CollectiveRun(
            env=env,
            comm=comm,
            placement=place(system, ranks, channels),
            size_bytes=workload.size_bytes,
            channels=channels,
            protocol=protocol,
            cut=entry.slicing(system, workload.size_bytes, ranks, channels, protocol),
            root=getattr(workload, "root", 0),
            nvswitch_reduce_efficiency=system.nvswitch_reduce_efficiency,
        )
    )
    env.run()
    launch_s = host_launch_s(system)
    time_ns = env.now
    links = tuple(
        LinkUsage(link.name, link.carried_bytes, ns_to_s(link.busy_ns), link.busy_ns / time_ns)
        for link in sorted(network.links.values(), key=lambda link: link.name)
        if link.carried_bytes > 0
    )
    return CollectiveResult(
        system=system.name,
        collective=workload.kind,
        algo=entry.name,
        protocol=protocol_name,
        dtype=workload.dtype,
        size_bytes=workload.size_bytes,
        ranks=ranks,
        channels=channels,
        time_s=back_to_back_s(ns_to_s(time_ns), launch_s),
        bound=collective_bound(
            system, workload.kind, entry.name, workload.size_bytes, ranks, workload.dtype
        ),
        links=links,
        messages=comm.messages,
        timeline=None if intervals is None else _timeline(intervals),
        host_launch_s=launch_s,
    )


def nvls_protocol(protocol: ProtocolSpec) -> ProtocolSpec:
    """``protocol`` (Simple) with NCCL 2.18.5's NVLS latencies: ``baseLat`` 23 us and
    ``hwLat`` 0 per NVLink hop (src/graph/tuning.cc); NCCL's model puts NVLS's fixed costs
    in its base, not in its hops, and a message still pays its links' own latency."""
    return protocol.with_overrides(
        {
            "base_latency_s": BASE_LATENCY_US["nvls"]["simple"] * 1e-6,
            "nvlink_hop_latency_s": HOP_LATENCY_US["nvlink"]["nvls"]["simple"] * 1e-6,
        }
    )


def _timeline(intervals: list[LinkInterval]) -> tuple[LinkOccupancy, ...]:
    ordered = sorted(intervals, key=lambda entry: (entry.start_ns, entry.link))
    return tuple(
        LinkOccupancy(entry.link, ns_to_s(entry.start_ns), ns_to_s(entry.end_ns), entry.size_bytes)
        for entry in ordered
    )
