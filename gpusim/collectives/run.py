"""The contract between the simulator and a collective algorithm.

An algorithm is a ``CollectiveAlgorithm``: a function of a ``CollectiveRun`` that starts
SimPy processes exchanging messages through ``run.comm`` (send bytes from one endpoint to
another, wait on arrivals) and returns, together with the facts the rest of gpusim asks of
it: its alpha-beta lower bound and the node topologies it runs on. The simulation ends when
every process has received what it waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, get_args

import simpy

from gpusim.collectives.bounds import BoundTerms
from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import Placement, Slicing, StepSlices
from gpusim.errors import CollectiveError
from gpusim.roofline import CollectiveKind
from gpusim.spec.system import ProtocolSpec, SystemSpec, Topology

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
    cut: Slicing
    """How each channel pipelines its step (``CollectiveAlgorithm.slicing``)."""
    root: int
    """Rank index of the root of a broadcast or reduce."""
    nvswitch_reduce_efficiency: float
    """Share of a port's payload rate the switch's multimem traffic reaches (NVLS)."""

    @property
    def rank_count(self) -> int:
        """Ranks taking part."""
        return len(self.placement.ranks)

    def start(self, process: RankProcess) -> None:
        """Run ``process`` from now on."""
        self.env.process(process)


RunAlgorithm = Callable[[CollectiveRun], None]
"""Starts the processes of one collective algorithm."""
SliceMessages = Callable[[int, int], int]
"""Messages (SimPy events) the simulator sends per slice of every channel, as a function of
the ranks and channels: the fewest a collective can cost it is this, at one slice."""
SliceSteps = Callable[[float, int, int, ProtocolSpec], StepSlices]
"""The step each channel pipelines and the slices NCCL cuts it into, as a function of the
size (bytes), ranks, channels and protocol, before ``collective.max_messages`` caps them."""
PipelineDepth = Callable[[int], int]
"""The slices one channel needs in flight for every stage of its pipeline to be busy, as a
function of the ranks: fewer, and the coarsened slices cross the stages one at a time."""

ANY_TOPOLOGY: frozenset[Topology] = frozenset(get_args(Topology))
"""Every node topology gpusim builds."""


@dataclass(frozen=True)
class CollectiveAlgorithm:
    """One algorithm of one collective, and the facts it carries.

    ``terms`` gives its alpha-beta bound (the bound beside every result, and the bound that
    decides which protocols are worth simulating); ``slice_messages`` its cost to the
    simulator per slice (``slice_messages(ranks, channels)``, checked against
    ``collective.max_messages`` before it runs); ``step_slices`` how it cuts each channel's
    step; ``pipeline_depth`` the slices a channel needs in flight, below which the cap may
    not coarsen it; ``topologies`` the node topologies it can run on (an algorithm that
    needs a reducing switch names ``nvswitch`` only, and sets ``needs_reducing_switch``).
    """

    collective: CollectiveKind
    name: str
    run: RunAlgorithm
    terms: BoundTerms
    slice_messages: SliceMessages
    step_slices: SliceSteps
    pipeline_depth: PipelineDepth
    topologies: frozenset[Topology] = ANY_TOPOLOGY
    needs_reducing_switch: bool = False
    """Runs only inside one node whose NVSwitch reduces (NVLS)."""

    def runs_on(self, system: SystemSpec, ranks: int) -> bool:
        """Whether it can run over ``ranks`` ranks of ``system``."""
        try:
            self.check_placement(system, ranks)
        except CollectiveError:
            return False
        return True

    def check_placement(self, system: SystemSpec, ranks: int) -> None:
        """``check_topology``, and an NVLS collective stays inside one node (NCCL runs NVLS
        across nodes only with CollNet/SHARP switches, not modelled)."""
        self.check_topology(system)
        if self.needs_reducing_switch and ranks > system.gpus_per_node:
            raise CollectiveError(
                f"algo: {self.name} runs inside one node ({system.gpus_per_node} GPUs); "
                f"across nodes it needs CollNet, got {ranks} ranks"
            )

    def check_topology(self, system: SystemSpec) -> None:
        """Raise ``CollectiveError`` (naming ``algo``) if ``system``'s nodes do not suit it."""
        if self.needs_reducing_switch and not system.nvswitch_reduces:
            raise CollectiveError(
                f"algo: {self.name} needs an NVSwitch that reduces (NVLink SHARP), and "
                f"{system.name}'s does not (nvswitch_reduces = false)"
            )
        if system.topology not in self.topologies:
            suited = ", ".join(sorted(self.topologies))
            raise CollectiveError(
                f"algo: {self.name} {self.collective} runs on {suited} nodes, "
                f"but {system.name} is {system.topology}"
            )

    def slicing(
        self,
        system: SystemSpec,
        size_bytes: float,
        ranks: int,
        channels: int,
        protocol: ProtocolSpec,
    ) -> Slicing:
        """Each channel's slices of ``size_bytes``, coarsened to ``collective.max_messages``."""
        wanted = self.step_slices(size_bytes, ranks, channels, protocol)
        return wanted.capped(self.slice_messages(ranks, channels), system.collective.max_messages)

    def check_budget(
        self,
        system: SystemSpec,
        size_bytes: int,
        ranks: int,
        channels: int,
        protocol: ProtocolSpec,
    ) -> None:
        """Raise ``CollectiveError`` (naming ``ranks``) if ``collective.max_messages`` cannot
        pay for ``size_bytes`` over ``ranks`` ranks and ``channels`` channels: even one slice
        per channel sends more messages, or the slices it leaves a channel are fewer than
        both the slices wanted and ``pipeline_depth`` (coarsening may merge slices only while
        every stage of the pipeline still holds one; past that the time is the cap's)."""
        max_messages = system.collective.max_messages
        fewest = self.slice_messages(ranks, channels)
        if fewest > max_messages:
            raise CollectiveError(
                f"ranks: {self.name} {self.collective} over {ranks} ranks at {size_bytes} B "
                f"sends at least {fewest} messages, over collective.max_messages "
                f"({max_messages}); use fewer ranks, another algorithm (--algo), or raise "
                "collective.max_messages"
            )
        left = max_messages // fewest
        wanted = self.step_slices(size_bytes, ranks, channels, protocol).wanted
        depth = self.pipeline_depth(ranks)
        if left < min(wanted, depth):
            raise CollectiveError(
                f"ranks: {self.name} {self.collective} over {ranks} ranks at {size_bytes} B "
                f"gets {left} slices per channel under collective.max_messages "
                f"({max_messages}), too few to fill its pipeline (needs {min(wanted, depth)}: "
                f"depth {depth}, {wanted} wanted); use fewer ranks, "
                "another algorithm (--algo), smaller sizes (--sizes), or raise "
                "collective.max_messages"
            )
