"""The reduction is work on the GPU: how long adding received data into a buffer takes.

A ``ReductionModel`` answers with a duration; ``ReductionUnits`` books durations on a schedule
per GPU, so reductions that arrive together on one GPU queue behind each other.
The default model is memory-bound, as element-wise sums are: a reduction of ``n`` bytes
reads the received and the local data and writes the result, ``3n`` bytes at the GPU's
sustained DRAM bandwidth; a copy reads and writes ``2n``. These are the DRAM bytes the
project's all-reduce kernels move per step (``gpusim.cuda.kernels.allreduce``). The timing
engine running the kernel itself agrees within 6% at 128 MiB per rank
(tests/collectives/test_single_device.py); from 64 KiB to 16 MiB it is a lower bound of
the engine's time, the gap being Numba's per-thread 64-bit index arithmetic (integer pipe),
1.4x (reduce, 16 MiB) to 10x (1 MiB) slower than this model, which NCCL's reduce-copy does
not pay (docs/collectives.md, "The reduction"). Another ``ReductionModel`` can be swapped in
through the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gpusim.hw.net.endpoints import Endpoint, Switch
from gpusim.hw.net.links import BusySchedule
from gpusim.spec.gpu import GpuSpec
from gpusim.units import bytes_per_s_to_bytes_per_ns


class ReductionModel(Protocol):
    """The time one GPU takes to reduce or copy a buffer of a given size."""

    def reduce_ns(self, size_bytes: float) -> float:
        """Add ``size_bytes`` of received data into a local buffer of the same size."""
        ...

    def copy_ns(self, size_bytes: float) -> float:
        """Copy ``size_bytes`` from one device buffer to another."""
        ...


@dataclass(frozen=True)
class MemoryBoundReduction:
    """Reductions and copies limited by sustained DRAM bandwidth (bytes per ns)."""

    sustained_bytes_per_ns: float

    @classmethod
    def for_gpu(cls, gpu: GpuSpec) -> MemoryBoundReduction:
        """The model for ``gpu``: peak DRAM bandwidth times its sustained efficiency."""
        sustained = gpu.dram.bandwidth_bytes_per_s * gpu.dram.efficiency
        return cls(bytes_per_s_to_bytes_per_ns(sustained))

    def reduce_ns(self, size_bytes: float) -> float:
        """Two reads and one write of ``size_bytes``."""
        return 3.0 * size_bytes / self.sustained_bytes_per_ns

    def copy_ns(self, size_bytes: float) -> float:
        """One read and one write of ``size_bytes``."""
        return 2.0 * size_bytes / self.sustained_bytes_per_ns


class ReductionUnits:
    """Each GPU's reductions (and the copies an algorithm books), one at a time, in the order
    their data arrives.

    Switches do not reduce here: a switch that does (NVLink SHARP) needs its own model.
    """

    def __init__(self, model: ReductionModel) -> None:
        self.model = model
        self._schedules: dict[Endpoint, BusySchedule] = {}
        self.busy_ns: dict[Endpoint, float] = {}
        """Time spent reducing, by endpoint (those that reduced anything)."""

    def reduce(self, at: Endpoint, size_bytes: float, ready_ns: float, now_ns: float) -> float:
        """Reduce ``size_bytes`` at ``at`` once its data is there at ``ready_ns`` (booked at
        ``now_ns``); when it is done."""
        return self._book(at, self.model.reduce_ns(size_bytes), ready_ns, now_ns)

    def copy(self, at: Endpoint, size_bytes: float, ready_ns: float, now_ns: float) -> float:
        """Copy ``size_bytes`` between two buffers of ``at`` once ready; when it is done."""
        return self._book(at, self.model.copy_ns(size_bytes), ready_ns, now_ns)

    def _book(self, at: Endpoint, duration_ns: float, ready_ns: float, now_ns: float) -> float:
        schedule = self._schedules.get(at)
        if schedule is None:
            if isinstance(at, Switch):
                raise ValueError(f"dst: {at.name} cannot reduce in this model")
            schedule = self._schedules[at] = BusySchedule()
            self.busy_ns[at] = 0.0
        start_ns = schedule.book(ready_ns, duration_ns, now_ns)
        self.busy_ns[at] += duration_ns
        return start_ns + duration_ns
