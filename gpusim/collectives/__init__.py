"""Collectives on a system of GPUs: ring and tree algorithms over the link model of
``gpusim.hw.net``, reported in nccl-tests' terms (docs/collectives.md).

Algorithms are registry entries (``ALGORITHMS``, ``CollectiveAlgorithm``) that carry their
own run function, bound terms, messages per slice and topologies.

``simulate_collective(system, workload)`` runs one collective workload and returns a
``CollectiveResult``; ``sweep_collective`` runs it at many sizes;
``simulate_single_device_allreduce`` times the ring all-reduce of N ranks' buffers held by
one GPU, as the project's kernels run it.
"""

from gpusim.collectives.checks import check_collective, sweep_sizes
from gpusim.collectives.reduction import MemoryBoundReduction, ReductionModel
from gpusim.collectives.registry import ALGORITHMS, algorithm
from gpusim.collectives.result import CollectiveResult, LinkOccupancy, LinkUsage, bus_factor
from gpusim.collectives.run import CollectiveAlgorithm
from gpusim.collectives.simulate import simulate_collective, sweep_collective
from gpusim.collectives.single_device import SingleDeviceResult, simulate_single_device_allreduce

__all__ = [
    "ALGORITHMS",
    "CollectiveAlgorithm",
    "CollectiveResult",
    "LinkOccupancy",
    "LinkUsage",
    "MemoryBoundReduction",
    "ReductionModel",
    "SingleDeviceResult",
    "algorithm",
    "bus_factor",
    "check_collective",
    "simulate_collective",
    "simulate_single_device_allreduce",
    "sweep_collective",
    "sweep_sizes",
]
