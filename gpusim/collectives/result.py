"""What a simulated collective returns, in nccl-tests' terms.

nccl-tests report, for each size S, the time t, the algorithm bandwidth ``algbw = S / t``
and the bus bandwidth ``busbw = algbw x factor``, the factor making the figure comparable
with a link's bandwidth whatever the rank count (NVIDIA/nccl-tests doc/PERFORMANCE.md):
2(n-1)/n for all-reduce, (n-1)/n for all-gather and reduce-scatter, 1 for broadcast and
reduce. Bandwidths in GB/s are 1e9 bytes per second, as nccl-tests prints them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpusim.roofline import DTYPE_BYTES, Bound

NCCL_TYPE_NAMES: dict[str, str] = {"fp32": "float", "fp16": "half", "bf16": "bfloat16"}
"""nccl-tests' names of gpusim's collective element types."""

REDUCTION_OPS: dict[str, str] = {
    "allreduce": "sum",
    "reducescatter": "sum",
    "reduce": "sum",
    "allgather": "none",
    "broadcast": "none",
}
"""nccl-tests' ``redop`` column of each collective."""


def bus_factor(collective: str, ranks: int) -> float:
    """busbw / algbw for ``collective`` over ``ranks`` ranks."""
    if collective == "allreduce":
        return 2 * (ranks - 1) / ranks
    if collective in ("allgather", "reducescatter"):
        return (ranks - 1) / ranks
    return 1.0


@dataclass(frozen=True)
class LinkUsage:
    """What one link direction carried during a collective."""

    name: str
    carried_bytes: float
    """Bytes on the wire, protocol overhead included."""
    busy_s: float
    utilisation: float
    """Busy time over the collective's time."""


@dataclass(frozen=True)
class LinkOccupancy:
    """One transfer's hold on one link (the optional timeline)."""

    link: str
    start_s: float
    end_s: float
    size_bytes: float


@dataclass(frozen=True)
class CollectiveResult:
    """One simulated collective: its time and bandwidths, bound, and link usage."""

    system: str
    collective: str
    algo: str
    protocol: str
    dtype: str
    size_bytes: int
    ranks: int
    channels: int
    time_s: float
    bound: Bound
    links: tuple[LinkUsage, ...]
    """Every link direction that carried data, by name."""
    messages: int
    timeline: tuple[LinkOccupancy, ...] | None = None
    """Link occupancy in time order, when asked for."""
    host_launch_s: float = 0.0
    """CPU time of the host thread that launches it (``collective.gpus_per_thread``
    kernels); ``time_s`` is the longer of the GPUs' time and this (back-to-back loop)."""

    @property
    def count(self) -> int:
        """Elements of ``dtype`` in ``size_bytes`` (nccl-tests' count column)."""
        return self.size_bytes // DTYPE_BYTES[self.dtype]

    @property
    def algbw_bytes_per_s(self) -> float:
        """S / t."""
        return self.size_bytes / self.time_s

    @property
    def busbw_bytes_per_s(self) -> float:
        """algbw times the collective's bus factor."""
        return self.algbw_bytes_per_s * bus_factor(self.collective, self.ranks)

    @property
    def busiest_link(self) -> LinkUsage | None:
        """The most utilised link direction (the first by name among equals)."""
        return max(self.links, key=lambda link: link.utilisation, default=None)

    def row(self) -> dict[str, Any]:
        """One line of an nccl-tests table, as plain data (the alpha-beta bound beside it)."""
        return {
            "size_bytes": self.size_bytes,
            "count": self.count,
            "type": NCCL_TYPE_NAMES[self.dtype],
            "redop": REDUCTION_OPS[self.collective],
            "time_us": self.time_s * 1e6,
            "algbw_gbps": self.algbw_bytes_per_s / 1e9,
            "busbw_gbps": self.busbw_bytes_per_s / 1e9,
            "bound_us": self.bound.time_s * 1e6,
            "protocol": self.protocol,
            "algo": self.algo,
            "ranks": self.ranks,
            "channels": self.channels,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain data for JSON."""
        document: dict[str, Any] = {
            "system": self.system,
            "collective": self.collective,
            **self.row(),
            "bound": self.bound.to_dict(),
            "messages": self.messages,
            "host_launch_us": self.host_launch_s * 1e6,
            "links": [asdict(link) for link in self.links],
        }
        if self.timeline is not None:
            document["timeline"] = [asdict(entry) for entry in self.timeline]
        return document
