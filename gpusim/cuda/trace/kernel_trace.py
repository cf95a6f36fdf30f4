"""``KernelTrace``: one launch's trace as a whole: launch, instruction table, CTA classes
and the global memory map, with the derivation of any CTA's record from its class."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gpusim.cuda.trace import npz
from gpusim.cuda.trace.ctas import CtaClass, CtaRecord
from gpusim.cuda.trace.program import Dim3, InstructionTable, Segment, TracedLaunch
from gpusim.cuda.trace.summary import TraceSummary, summarize
from gpusim.errors import TraceError


@dataclass(frozen=True, eq=False)
class KernelTrace:
    """One launch's trace: launch, program, CTA classes and the global memory map."""

    launch: TracedLaunch
    program: InstructionTable
    classes: tuple[CtaClass, ...]
    segments: tuple[Segment, ...]

    def class_of(self, cta: Dim3) -> CtaClass:
        for cta_class in self.classes:
            if cta_class.contains(cta):
                return cta_class
        raise TraceError(f"CTA {cta} lies outside the grid {self.launch.grid}")

    def derive_cta(self, cta: Dim3) -> CtaRecord:
        """The full record of any CTA of the grid, derived from its class."""
        cta_class = self.class_of(cta)
        delta = np.subtract(cta, cta_class.lo)
        if not delta.any():
            return cta_class.record
        return cta_class.record.shifted(cta_class.shift_bytes, delta)

    def class_index_grid(self) -> npt.NDArray[np.int32]:
        """[gz, gy, gx] array: the class index of every CTA."""
        gx, gy, gz = self.launch.grid
        index = np.full((gz, gy, gx), -1, dtype=np.int32)
        for k, cta_class in enumerate(self.classes):
            (x0, y0, z0), (x1, y1, z1) = cta_class.lo, cta_class.hi
            index[z0 : z1 + 1, y0 : y1 + 1, x0 : x1 + 1] = k
        return index

    def summary(self) -> TraceSummary:
        """Whole-grid totals: instructions by op class, flops and bytes by kind."""
        return summarize(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the trace as ``.npz`` atomically (temporary file, then rename)."""
        npz.save(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KernelTrace:
        """Read a trace; TraceError naming the file if it is not a valid, supported one."""
        return cls(*npz.load(Path(path)))
