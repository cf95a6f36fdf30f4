"""The PTX front end: parse PTX, emulate it on NumPy arrays, record what it did.

* ``parser`` (with ``lexer``, ``cursor``, ``registers``, ``instructions``, ``ir``,
  ``types``): PTX text to an IR.
* ``cfg``: basic blocks and immediate post-dominators (reconvergence points).
* ``emulator`` (with ``codegen``, ``operands``, ``ops_*``, ``numerics``, ``memory``,
  ``lanes``, ``machine``, ``simt``): lockstep SIMT execution of whole CTAs.
* ``recorder`` (per-CTA records) and ``program_table`` (the trace's instruction table): what
  ``gpusim.cuda.tracegen`` turns into a trace.
"""

from gpusim.cuda.ptx.emulator import EmulatorLaunch, PtxKernel, emulate
from gpusim.cuda.ptx.parser import parse_ptx

__all__ = ["EmulatorLaunch", "PtxKernel", "emulate", "parse_ptx"]
