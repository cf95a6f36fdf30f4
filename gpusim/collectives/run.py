"""The contract between the simulator and a collective algorithm.

An algorithm is a function of a ``CollectiveRun``: it starts SimPy processes that exchange
messages through ``run.comm`` (send bytes from GPU a to GPU b, wait on arrivals) and
returns. The simulation ends when every process has received what it waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import Placement, Slicing, slicing
from gpusim.spec.system import ProtocolSpec

RankProcess = Generator[simpy.Event, Any, None]
"""What one rank does on one channel: a SimPy process body."""


@dataclass(frozen=True)
class CollectiveRun:
    """One collective to run: where, how much, and over how many channels."""

    env: simpy.Environment
    comm: Communicator
    placement: Placement
    size_bytes: float
    """nccl-tests' size: a rank's buffer, or the whole array for all-gather/reduce-scatter."""
    channels: int
    protocol: ProtocolSpec
    max_messages: int
    root: int
    """Rank index of the root of a broadcast or reduce."""

    @property
    def rank_count(self) -> int:
        """Ranks taking part."""
        return len(self.placement.ranks)

    def slices(self, step_bytes: float, messages_per_slice: int) -> Slicing:
        """How each channel pipelines ``step_bytes``, when every slice costs the collective
        ``messages_per_slice`` messages (over all channels and ranks)."""
        return slicing(step_bytes, self.protocol, messages_per_slice, self.max_messages)

    def start(self, process: RankProcess) -> None:
        """Run ``process`` from now on."""
        self.env.process(process)


Algorithm = Callable[[CollectiveRun], None]
"""Starts the processes of one collective algorithm."""
