"""The SASS ptxas produced for a kernel, and what each PTX instruction of its trace stands
for there (``sass_costing``), so the engine charges executed PTX the real instruction mix.

* ``listing``: nvdisasm's output as SASS basic blocks.
* ``loops``: loops of a program-ordered control-flow graph (PTX's and SASS's alike).
* ``classes``: the unit a SASS (or PTX) instruction occupies, and memory access widths.
* ``mapping``: PTX regions paired with SASS regions, and the per-instruction cost table.
* ``kernel``: the table for a registered kernel's trace.
"""

from gpusim.cuda.sass.kernel import sass_costing
from gpusim.cuda.sass.mapping import SassCosting

__all__ = ["SassCosting", "sass_costing"]
