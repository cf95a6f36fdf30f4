"""Units: gpusim's one unit of simulated time, and the conversions at its edges.

Simulated time is a float number of **nanoseconds** everywhere inside the engines (SimPy
environments, link models, collectives). Specs carry figures in the units their sources use
(hertz, cycles, seconds, bytes per second); they are converted here, once, when an engine is
built, and results are converted back to seconds for the user.
"""

from __future__ import annotations

NS_PER_S = 1e9
KIB = 1024
MIB = 1024**2
GIB = 1024**3


def cycles_to_ns(cycles: float, clock_hz: float) -> float:
    """Duration of ``cycles`` clock cycles at ``clock_hz``, in nanoseconds."""
    return cycles * NS_PER_S / clock_hz


def s_to_ns(seconds: float) -> float:
    """Seconds to nanoseconds."""
    return seconds * NS_PER_S


def ns_to_s(duration_ns: float) -> float:
    """Nanoseconds to seconds."""
    return duration_ns / NS_PER_S


def bytes_per_s_to_bytes_per_ns(bandwidth_bytes_per_s: float) -> float:
    """A bandwidth in bytes per second, as bytes per nanosecond."""
    return bandwidth_bytes_per_s / NS_PER_S


_DECIMAL_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_BINARY_PREFIXES = ((GIB * 1024, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB"))


def format_decimal(value: float, unit: str, digits: int = 3) -> str:
    """``value`` with an SI prefix: ``format_decimal(3.35e12, "B/s") == "3.35 TB/s"``."""
    for scale, prefix in _DECIMAL_PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"


def format_bytes(size_bytes: float) -> str:
    """A size with a binary prefix: ``format_bytes(52428800) == "50 MiB"``."""
    for scale, unit in _BINARY_PREFIXES:
        if abs(size_bytes) >= scale:
            return f"{size_bytes / scale:.4g} {unit}"
    return f"{size_bytes:.4g} B"


def format_seconds(duration_s: float) -> str:
    """A duration in the unit that reads best: ``format_seconds(2.43e-6) == "2.43 us"``."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if abs(duration_s) >= scale:
            return f"{duration_s / scale:.4g} {unit}"
    return f"{duration_s / 1e-9:.4g} ns"
