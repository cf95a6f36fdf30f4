"""What a collective may be asked to do on a system, checked before it runs.

Every failure is a ``CollectiveError`` whose one-line message names the field at fault.
"""

from __future__ import annotations

from collections.abc import Iterable

from gpusim.collectives.placement import rank_count
from gpusim.collectives.registry import algorithm_candidates
from gpusim.errors import CollectiveError
from gpusim.roofline import DTYPE_BYTES
from gpusim.spec.system import SystemSpec
from gpusim.workload import CollectiveWorkload

PER_RANK_COLLECTIVES = frozenset({"allgather", "reducescatter"})
"""Collectives whose size is a whole array that every rank holds one slice of."""


def check_collective(system: SystemSpec, workload: CollectiveWorkload) -> int:
    """Check that ``workload`` can run on ``system``; return its rank count.

    The algorithm must exist for the collective (or be ``auto``) and suit the system's
    topology, the ranks fit the system (whole nodes across nodes), the root be one of the
    ranks, and all-gather and reduce-scatter sizes hold whole elements per rank. Raises
    ``CollectiveError`` naming the field.
    """
    ranks = rank_count(system, workload.ranks)
    if not algorithm_candidates(system, workload.kind, workload.algo, ranks):
        raise CollectiveError(f"algo: no algorithm of {workload.kind} runs on {system.name}")
    granule = DTYPE_BYTES[workload.dtype] * ranks
    if workload.kind in PER_RANK_COLLECTIVES and workload.size_bytes % granule:
        raise CollectiveError(
            f"size_bytes: a {workload.kind} over {ranks} ranks needs whole {workload.dtype} "
            f"elements per rank (a multiple of {granule} B), got {workload.size_bytes}"
        )
    root = getattr(workload, "root", 0)
    if root >= ranks:
        raise CollectiveError(f"root: ranks are 0 to {ranks - 1}, got {root}")
    return ranks


def sweep_sizes(
    workload: CollectiveWorkload, sizes: Iterable[int], ranks: int, *, field: str = "sizes"
) -> list[int]:
    """``sizes`` made valid for ``workload`` on ``ranks`` ranks, as nccl-tests makes them.

    A size must hold whole elements (else ``CollectiveError`` naming ``field``). All-gather
    and reduce-scatter sizes are rounded down to whole elements per rank; sizes that round
    to nothing, or to a size already listed, are dropped.
    """
    element_bytes = DTYPE_BYTES[workload.dtype]
    per_rank = workload.kind in PER_RANK_COLLECTIVES
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
