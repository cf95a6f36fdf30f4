"""The PTX front end: parse PTX, emulate it on NumPy arrays, record what it did.

* ``parser`` (with ``lexer``, ``ir``, ``types``): PTX text to an IR.
* ``cfg``: basic blocks and immediate post-dominators (reconvergence points).
* ``emulator`` (with ``codegen``, ``operands``, ``ops_*``, ``numerics``, ``memory``,
  ``lanes``, ``machine``, ``simt``): lockstep SIMT execution of whole CTAs.
* ``recorder`` and ``program_table``: what ``gpusim.cuda.tracegen`` turns into a trace.
"""

from gpusim.cuda.ptx.emulator import Launch, PtxKernel, emulate
from gpusim.cuda.ptx.parser import parse_ptx

__all__ = ["Launch", "PtxKernel", "emulate", "parse_ptx"]
