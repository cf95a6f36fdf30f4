"""Warp-scheduling policies, chosen by name."""

from __future__ import annotations

from gpusim.errors import EngineError
from gpusim.hw.sm.state import SCHEDULER_GTO, SCHEDULER_LRR

SCHEDULERS: dict[str, int] = {
    "gto": SCHEDULER_GTO,
    "lrr": SCHEDULER_LRR,
}
"""``gto``: greedy-then-oldest (keep issuing from the last warp while it can, else the oldest
ready one); ``lrr``: loose round-robin (the next ready warp after the last one issued)."""


def scheduler_code(name: str) -> int:
    """The engine's code for the policy called ``name``."""
    try:
        return SCHEDULERS[name.lower()]
    except KeyError:
        known = ", ".join(SCHEDULERS)
        raise EngineError(f"scheduler: unknown policy {name!r} (known: {known})") from None
