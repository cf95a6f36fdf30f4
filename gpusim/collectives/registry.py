"""Collective algorithms by collective and by name; an unknown name lists the known ones.

Each entry is a ``CollectiveAlgorithm`` defined beside its code (run function, bound terms,
messages per slice, topologies); adding an algorithm is its module, one line in
``_ENTRIES``, and a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from gpusim.collectives.nvls import NVLS_ALLREDUCE
from gpusim.collectives.ring import (
    RING_ALLGATHER,
    RING_ALLREDUCE,
    RING_BROADCAST,
    RING_REDUCE,
    RING_REDUCESCATTER,
)
from gpusim.collectives.run import CollectiveAlgorithm
from gpusim.collectives.tree import TREE_ALLREDUCE
from gpusim.errors import CollectiveError
from gpusim.roofline import CollectiveKind
from gpusim.spec.system import SystemSpec

AUTO = "auto"
"""The algorithm name that leaves the choice to NCCL's tuner (``gpusim.collectives.tuner``)."""

_ENTRIES: tuple[CollectiveAlgorithm, ...] = (
    RING_ALLREDUCE,
    TREE_ALLREDUCE,
    NVLS_ALLREDUCE,
    RING_ALLGATHER,
    RING_REDUCESCATTER,
    RING_BROADCAST,
    RING_REDUCE,
)

ALGORITHMS: Mapping[str, Mapping[str, CollectiveAlgorithm]] = {
    collective: {entry.name: entry for entry in _ENTRIES if entry.collective == collective}
    for collective in get_args(CollectiveKind)
}
"""Algorithms of each collective (nccl-tests' names), by name."""


def algorithm_candidates(
    system: SystemSpec, collective: str, name: str, ranks: int
) -> list[CollectiveAlgorithm]:
    """The algorithms the tuner chooses among: ``name`` (checked against ``system`` and
    ``ranks``), or for ``auto`` every algorithm of ``collective`` that can run there."""
    if name != AUTO:
        entry = algorithm(collective, name)
        entry.check_placement(system, ranks)
        return [entry]
    entries = ALGORITHMS[algorithm_collective(collective)].values()
    return [entry for entry in entries if entry.runs_on(system, ranks)]


def algorithm_collective(collective: str) -> str:
    """``collective``, checked to be one gpusim knows."""
    if collective not in ALGORITHMS:
        known = ", ".join(ALGORITHMS)
        raise CollectiveError(f"collective: unknown collective {collective!r} (known: {known})")
    return collective


def algorithm(collective: str, name: str) -> CollectiveAlgorithm:
    """The algorithm ``name`` of ``collective``."""
    if collective not in ALGORITHMS:
        known = ", ".join(ALGORITHMS)
        raise CollectiveError(f"collective: unknown collective {collective!r} (known: {known})")
    algorithms = ALGORITHMS[collective]
    if name not in algorithms:
        known = ", ".join([AUTO, *algorithms])
        raise CollectiveError(f"algo: unknown algorithm {name!r} for {collective} (known: {known})")
    return algorithms[name]
