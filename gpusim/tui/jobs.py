"""What the explorer and its simulation process say to each other, through queues.

The explorer sends a ``Job`` (a scenario document, so the process resolves it exactly as a
file would be resolved); the process answers with ``Phase`` and ``Progress`` events while it
works, then one ``Finished`` or ``Failed``. All of it is plain picklable data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import KernelResult, Mode
from gpusim.training.result import TrainingResult

RunResult = KernelResult | CollectiveResult | TrainingResult
"""What a run of any kind comes back with."""


@dataclass(frozen=True)
class Job:
    """Simulate one scenario document."""

    id: int
    document: dict[str, Any]
    source: str
    mode: Mode


@dataclass(frozen=True)
class Outcome:
    """A job's result; a collective brings its busbw sweep over sizes beside it."""

    result: RunResult
    sweep: tuple[CollectiveResult, ...] = ()


@dataclass(frozen=True)
class Phase:
    """The job moved to a new stage (tracing, compiling the engine, simulating)."""

    job: int
    text: str


@dataclass(frozen=True)
class Progress:
    """Fraction (0 to 1) of the current stage done."""

    job: int
    fraction: float


@dataclass(frozen=True)
class Finished:
    """The job's outcome."""

    job: int
    outcome: Outcome


@dataclass(frozen=True)
class Failed:
    """The job failed: a user error's one line, or (``bug``) an unexpected exception."""

    job: int
    message: str
    bug: bool = False


Event = Phase | Progress | Finished | Failed
