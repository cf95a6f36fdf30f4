"""The bottleneck of a kernel run, in words, from its utilisations and stalls."""

from __future__ import annotations

from collections.abc import Mapping

BUSY = 0.6
"""A resource at or above this utilisation is a candidate bottleneck."""

_PIPE_WORDS = {
    "fp32": "FP32 pipe",
    "fp64": "FP64 pipe",
    "int": "integer pipe",
    "sfu": "special-function pipe",
    "lsu": "load/store pipe",
    "tensor": "tensor cores",
}

_STALL_WORDS = {
    "long_scoreboard": "global-memory latency (long scoreboard)",
    "short_scoreboard": "shared-memory/SFU latency (short scoreboard)",
    "wait": "fixed-latency dependencies",
    "math_pipe_throttle": "arithmetic pipe throughput",
    "lsu_throttle": "load/store throughput",
    "barrier": "barrier synchronisation",
    "not_selected": "issue bandwidth (warps ready but not selected)",
    "async_copy_wait": "cp.async wait (copies not yet landed in shared memory)",
    "mbarrier_wait": "mbarrier wait (arrivals or TMA copies not yet in)",
    "wgmma_wait": "wgmma wait (warpgroup matrix multiplies not yet complete)",
}


def describe_bottleneck(
    pipe_utilisation: Mapping[str, float],
    stall_fractions: Mapping[str, float],
    dram_utilisation: float,
    achieved_occupancy: float,
) -> str:
    """One sentence naming what limits the kernel, with the figure that says so."""
    candidates = {f"DRAM bandwidth ({dram_utilisation:.0%} of sustained peak)": dram_utilisation}
    for pipe, words in _PIPE_WORDS.items():
        busy = pipe_utilisation.get(pipe, 0.0)
        candidates[f"{words} ({busy:.0%} busy)"] = busy
    name, level = max(candidates.items(), key=lambda item: item[1])
    if level >= BUSY:
        return f"throughput-bound: {name}"
    if not any(stall_fractions.values()):
        return "no stalls: the kernel is too short to load the GPU"
    stall, share = max(stall_fractions.items(), key=lambda item: item[1])
    return (
        f"latency-bound: {_STALL_WORDS[stall]} ({share:.0%} of stalls), "
        f"achieved occupancy {achieved_occupancy:.0%}"
    )
