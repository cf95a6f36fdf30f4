"""KernelTrace: the per-warp SIMT streams of one kernel launch, the contract with the engine.

A trace is ISA-neutral columnar data (NumPy arrays), stored as a versioned ``.npz``. It
holds the launch, the static program (one row per instruction), and the dynamic behaviour
of the grid in compressed form:

* CTAs are grouped into *classes*: boxes of the grid whose CTAs run the same per-warp
  streams and whose memory addresses shift by a constant per unit of CTA index. Each
  class stores one representative CTA (its box's low corner) in full.
* A warp's stream is its sequence of basic-block visits with the 32-bit active mask at
  each visit (a block is entered and left by all its active lanes together).
* Memory addresses are *runs*: per (warp, static memory instruction), maximal sequences
  of consecutive executions whose 32 lane addresses advance by one common stride. A loop
  costs one run per memory instruction, not one row per iteration.

The modules: ``kinds`` (op classes, state spaces), ``program`` (the launch, the instruction
table, the memory map), ``ctas`` (CTA records and classes), ``kernel_trace`` (the whole),
``summary`` (whole-grid totals), ``npz`` (the file). docs/trace-format.md documents every
array, its dtype and meaning.
"""

from gpusim.cuda.trace.ctas import CtaClass, CtaRecord
from gpusim.cuda.trace.kernel_trace import KernelTrace
from gpusim.cuda.trace.kinds import MemSpace, OpClass
from gpusim.cuda.trace.npz import FORMAT_TAG, FORMAT_VERSION
from gpusim.cuda.trace.program import WARP_SIZE, Dim3, InstructionTable, Segment, TracedLaunch
from gpusim.cuda.trace.summary import TraceSummary

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "WARP_SIZE",
    "CtaClass",
    "CtaRecord",
    "Dim3",
    "InstructionTable",
    "KernelTrace",
    "MemSpace",
    "OpClass",
    "Segment",
    "TraceSummary",
    "TracedLaunch",
]
