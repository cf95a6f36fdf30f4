"""What sends and receives on a system's network: GPUs and switches, named hierarchically.

A message goes from one endpoint to another over a route of links. A GPU (``node1.gpu3``)
is where collectives run; a switch (``node0.nvswitch``) is an endpoint too, so that an
algorithm can send data to the switch itself and have it act there (NVLink SHARP reduces
and multicasts inside the NVSwitch). A link's name starts with the name of the endpoint it
leaves or enters (``node0.gpu3.nvlink.out``).

Endpoints are named tuples, not dataclasses: every message hashes and compares its two
endpoints several times (edge queues, route cache), and tuples do that in C. The second
field keeps the two kinds apart (a GPU's is an int, a switch's a string), and a system's
router refuses endpoints it does not have.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

SwitchKind = Literal["nvswitch"]
"""Switches that can be addressed: the NVSwitch fabric of a node."""


class Gpu(NamedTuple):
    """GPU ``local`` of node ``node``."""

    node: int
    local: int

    @property
    def name(self) -> str:
        """Its hierarchical name, e.g. ``node0.gpu3``."""
        return f"node{self.node}.gpu{self.local}"


class Switch(NamedTuple):
    """The switch fabric of node ``node`` (all its NVSwitch chips, as one non-blocking
    switch)."""

    node: int
    kind: SwitchKind = "nvswitch"

    @property
    def name(self) -> str:
        """Its hierarchical name, e.g. ``node0.nvswitch``."""
        return f"node{self.node}.{self.kind}"


Endpoint = Gpu | Switch
"""Anything a message can be sent from or to."""
