"""Whole-grid totals of a trace (instructions by op class, flops, bytes by kind), summed
over CTA classes without expanding the grid."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gpusim.cuda.trace.kinds import OpClass
from gpusim.cuda.trace.program import Dim3

if TYPE_CHECKING:
    from gpusim.cuda.trace.kernel_trace import KernelTrace


@dataclass(frozen=True)
class TraceSummary:
    """Whole-grid totals of a trace, for tables, the CLI and quick checks."""

    kernel: str
    grid: Dim3
    block: Dim3
    ctas: int
    warps: int
    cta_classes: int
    warp_instructions: dict[str, int]
    total_warp_instructions: int
    flops: int
    bytes: dict[str, int] = field(default_factory=dict)
    """Requested bytes by kind: global_load, global_store, shared_load, shared_store,
    local_load, local_store, global_atomic, shared_atomic, tensor_copy (the TMA's boxes,
    global to shared)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_BYTE_KINDS: dict[OpClass, str] = {
    OpClass.LD_GLOBAL: "global_load",
    OpClass.ST_GLOBAL: "global_store",
    OpClass.LD_SHARED: "shared_load",
    OpClass.ST_SHARED: "shared_store",
    OpClass.LD_LOCAL: "local_load",
    OpClass.ST_LOCAL: "local_store",
    OpClass.ATOM_GLOBAL: "global_atomic",
    OpClass.ATOM_SHARED: "shared_atomic",
    OpClass.TENSOR_COPY: "tensor_copy",
}


def summarize(trace: KernelTrace) -> TraceSummary:
    """The totals of ``trace``: each class's recorded CTA counted once per CTA of its box."""
    program = trace.program
    op_class = program.op_class
    by_class = np.zeros(len(OpClass), dtype=np.int64)
    flops = 0
    byte_totals = dict.fromkeys(_BYTE_KINDS.values(), 0)
    for cta_class in trace.classes:
        record, n = cta_class.record, cta_class.n_ctas
        issues = program.issues_per_instruction(record.visit_block)
        by_class += n * np.bincount(op_class, weights=issues, minlength=len(OpClass)).astype(
            np.int64
        )
        lanes = record.active_lanes
        flops += n * int(np.dot(lanes, program.flops_per_lane.astype(np.int64)))
        moved = lanes * program.bytes_per_lane.astype(np.int64)
        for kind, name in _BYTE_KINDS.items():
            byte_totals[name] += n * int(moved[op_class == kind].sum())
    launch = trace.launch
    return TraceSummary(
        kernel=launch.kernel,
        grid=launch.grid,
        block=launch.block,
        ctas=launch.ctas,
        warps=launch.ctas * launch.warps_per_cta,
        cta_classes=len(trace.classes),
        warp_instructions={c.name: int(by_class[c]) for c in OpClass if by_class[c]},
        total_warp_instructions=int(by_class.sum()),
        flops=flops,
        bytes=byte_totals,
    )
