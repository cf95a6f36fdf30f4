"""Typed problem sizes for each kernel family.

A kernel is compiled once per signature (element types and array ranks), but launched,
checked, timed and emulated per problem size. These frozen dataclasses are those sizes.
They validate what is true of every kernel of the family (sizes are positive integers, a
ring step exists); what one variant demands on top (tile multiples) is checked by that
variant's ``KernelDef.check``, whose message names the kernel. A new family subclasses
``KernelParams`` in its own facts module.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpusim.errors import KernelError


def _require_positive_int(owner: str, field: str, value: object) -> None:
    """Fail fast with a one-line message that names the field, as every spec here does."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise KernelError(f"{owner}: {field} must be an int, got {value!r}")
    if value <= 0:
        raise KernelError(f"{owner}: {field} must be positive, got {value}")


def _require_index(owner: str, field: str, value: object, stop: int) -> None:
    """Require 0 <= value < stop, naming the field and the valid range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise KernelError(f"{owner}: {field} must be an int, got {value!r}")
    if not 0 <= value < stop:
        raise KernelError(f"{owner}: {field} must be in [0, {stop - 1}], got {value}")


@dataclass(frozen=True)
class KernelParams:
    """The base of every family's problem size (a frozen dataclass of integers)."""


@dataclass(frozen=True)
class GemmParams(KernelParams):
    """C[m, n] = A[m, k] @ B[k, n], all row-major."""

    m: int
    n: int
    k: int

    def __post_init__(self) -> None:
        for field in ("m", "n", "k"):
            _require_positive_int("GemmParams", field, getattr(self, field))


@dataclass(frozen=True)
class CopyParams(KernelParams):
    """Copy ``size_bytes`` bytes from one device buffer to another."""

    size_bytes: int

    def __post_init__(self) -> None:
        _require_positive_int("CopyParams", "size_bytes", self.size_bytes)


@dataclass(frozen=True)
class AllreduceStepParams(KernelParams):
    """One ring step of one rank: ``step`` in [0, ranks - 2] of its phase, ``rank`` in [0, ranks).

    ``elements`` is the fp32 length of every rank's buffer. The phase (reduce-scatter or
    all-gather) is the kernel's, not a parameter: each phase has its own kernel.
    """

    elements: int
    ranks: int
    step: int
    rank: int

    def __post_init__(self) -> None:
        _require_positive_int("AllreduceStepParams", "elements", self.elements)
        _require_ranks("AllreduceStepParams", self.ranks)
        _require_index("AllreduceStepParams", "step", self.step, self.ranks - 1)
        _require_index("AllreduceStepParams", "rank", self.rank, self.ranks)


@dataclass(frozen=True)
class AllreduceRingParams(KernelParams):
    """One step of the whole ring on one device: ``step`` in [0, 2 * (ranks - 1) - 1].

    Steps 0 .. ranks - 2 reduce-scatter, steps ranks - 1 .. 2 * ranks - 3 all-gather; the
    2 * (ranks - 1) launches in order complete the all-reduce.
    """

    elements: int
    ranks: int
    step: int

    def __post_init__(self) -> None:
        _require_positive_int("AllreduceRingParams", "elements", self.elements)
        _require_ranks("AllreduceRingParams", self.ranks)
        _require_index("AllreduceRingParams", "step", self.step, 2 * (self.ranks - 1))


def _require_ranks(owner: str, ranks: int) -> None:
    """A ring needs two ranks: with one there is nothing to send and no step to launch."""
    _require_positive_int(owner, "ranks", ranks)
    if ranks < 2:
        raise KernelError(f"{owner}: ranks must be at least 2, got {ranks}")


@dataclass(frozen=True)
class PointerChaseParams(KernelParams):
    """A chase of ``steps`` dependent loads around a chain spread over ``working_set_bytes``."""

    working_set_bytes: int
    steps: int

    def __post_init__(self) -> None:
        _require_positive_int("PointerChaseParams", "working_set_bytes", self.working_set_bytes)
        _require_positive_int("PointerChaseParams", "steps", self.steps)


@dataclass(frozen=True)
class ReadBandwidthParams(KernelParams):
    """``passes`` reads of a ``size_bytes`` buffer by the whole grid."""

    size_bytes: int
    passes: int

    def __post_init__(self) -> None:
        _require_positive_int("ReadBandwidthParams", "size_bytes", self.size_bytes)
        _require_positive_int("ReadBandwidthParams", "passes", self.passes)


@dataclass(frozen=True)
class StreamParams(KernelParams):
    """A stream kernel over arrays of ``size_bytes`` each."""

    size_bytes: int

    def __post_init__(self) -> None:
        _require_positive_int("StreamParams", "size_bytes", self.size_bytes)
