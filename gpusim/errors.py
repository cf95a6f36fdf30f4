"""The errors gpusim reports to its users.

Every error a user can cause (a bad scenario, an unknown preset, a kernel that does not fit,
a corrupt trace file) is a ``GpusimError``: its message is one line that names the field or
file at fault. The CLI prints that line and exits with code 2; anything else is a bug.
"""

from __future__ import annotations


class GpusimError(Exception):
    """A user-facing error whose message is one line naming the field or file at fault."""


class SpecError(GpusimError, ValueError):
    """A hardware spec or override is invalid (message starts with the dotted field path).

    It is a ``ValueError`` too, as a bad value given to a constructor is in Python."""


class ScenarioError(GpusimError):
    """A scenario file is unreadable or invalid (message starts with the file or field path)."""


class KernelError(GpusimError):
    """A kernel cannot be built or launched for the given sizes and parameters."""


class MeasurementError(GpusimError):
    """A GPU measurement cannot be recorded or read (no GPU, a corrupt or foreign file)."""


class PtxError(GpusimError):
    """PTX text could not be parsed or emulated (message names the PTX line)."""


class TraceError(GpusimError):
    """A trace file is corrupt, foreign, or of an unsupported version."""


class CollectiveError(GpusimError):
    """A collective cannot run as asked: ranks, sizes, algorithm or system do not fit."""


class EngineError(GpusimError):
    """The timing engine cannot run as asked (an unknown policy, a trace that deadlocks)."""


class OutputError(GpusimError):
    """An output file cannot be written where asked (a directory, a read-only place)."""
