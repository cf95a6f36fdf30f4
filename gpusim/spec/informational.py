"""Spec fields that no simulated time depends on, each with the reason.

Every other numeric field of ``GpuSpec`` and ``SystemSpec`` moves the result of some
workload it should affect; ``tests/spec/test_spec_fields_live.py`` walks them all and holds
both lists to that (docs/presets.md, "Informational fields").
"""

from __future__ import annotations

INFORMATIONAL_GPU_FIELDS: dict[str, str] = {
    "sm.max_warps": "never the binding limit: the spec holds sm.max_threads <= 32 x "
    "sm.max_warps, so sm.max_threads always binds first; it scales the reported "
    "theoretical occupancy (resident warps over this maximum)",
    "dram.capacity_bytes": "no timing model reads it: it bounds what a scenario may ask "
    "(a kernel's operands and a collective's buffers must fit it, checked at load)",
}
"""``GpuSpec`` fields (dotted paths) read by no timing model, and why they are kept."""

INFORMATIONAL_SYSTEM_FIELDS: dict[str, str] = {
    "gpu.nvlink.generation": "the per-link bandwidth and latency are their own fields; the "
    "generation names the part (0 marks a GPU without NVLink, which links = 0 also says)",
    "collective.max_messages": "a cap on the simulator's messages (its cost): it coarsens "
    "the slicing only past that many messages and only while every channel keeps as many "
    "slices as its pipeline is deep (or as it wants, if fewer); a collective whose one "
    "slice sends more, or whose pipeline the cap would leave short, is refused, not timed",
    "nic.gpus_per_port": "a wiring limit: with switch_radix and switch_tiers it bounds the "
    "node count (ports a fat tree wires, checked at load); each GPU's network bandwidth is "
    "nic.bandwidth_bytes_per_s_per_direction, its share of the ports",
    "nic.switch_radix": "a wiring limit: the node count the network's fat tree can wire "
    "(checked at load); the fat tree is non-blocking, so it times nothing",
    "nic.switch_tiers": "a wiring limit: the node count the network's fat tree can wire "
    "(checked at load); the fat tree is non-blocking, so it times nothing",
}
"""``SystemSpec`` fields (dotted paths, the GPU's own excluded) read by no timing model."""
