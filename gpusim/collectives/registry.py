"""Collective algorithms by collective and by name; an unknown name lists the known ones."""

from __future__ import annotations

from collections.abc import Mapping

from gpusim.collectives.ring import (
    ring_allgather,
    ring_allreduce,
    ring_broadcast,
    ring_reduce,
    ring_reducescatter,
)
from gpusim.collectives.run import Algorithm
from gpusim.collectives.tree import tree_allreduce
from gpusim.errors import CollectiveError

ALGORITHMS: Mapping[str, Mapping[str, Algorithm]] = {
    "allreduce": {"ring": ring_allreduce, "tree": tree_allreduce},
    "allgather": {"ring": ring_allgather},
    "reducescatter": {"ring": ring_reducescatter},
    "broadcast": {"ring": ring_broadcast},
    "reduce": {"ring": ring_reduce},
}
"""Algorithms of each collective (nccl-tests' names), by name."""


def algorithm(collective: str, name: str) -> Algorithm:
    """The algorithm ``name`` of ``collective``."""
    if collective not in ALGORITHMS:
        known = ", ".join(ALGORITHMS)
        raise CollectiveError(f"collective: unknown collective {collective!r} (known: {known})")
    algorithms = ALGORITHMS[collective]
    if name not in algorithms:
        known = ", ".join(algorithms)
        raise CollectiveError(f"algo: unknown algorithm {name!r} for {collective} (known: {known})")
    return algorithms[name]
