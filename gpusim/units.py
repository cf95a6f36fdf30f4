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


def ns_to_cycles(duration_ns: float, clock_hz: float) -> float:
    """Number of ``clock_hz`` cycles in ``duration_ns`` nanoseconds."""
    return duration_ns * clock_hz / NS_PER_S


def s_to_ns(seconds: float) -> float:
    """Seconds to nanoseconds."""
    return seconds * NS_PER_S


def ns_to_s(duration_ns: float) -> float:
    """Nanoseconds to seconds."""
    return duration_ns / NS_PER_S


def bytes_per_s_to_bytes_per_ns(bandwidth_bytes_per_s: float) -> float:
    """A bandwidth in bytes per second, as bytes per nanosecond."""
    return bandwidth_bytes_per_s / NS_PER_S
