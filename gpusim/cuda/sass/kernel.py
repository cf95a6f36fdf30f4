"""The SASS cost table of a traced launch of a registered kernel.

The trace names its kernel, parameters and target; the kernel is compiled again (a cache
hit in practice: ``gpusim.cuda.compile``), its cubin disassembled (cached too) and its PTX
parsed for the control-flow graph whose blocks the trace's are.
"""

from __future__ import annotations

import numpy as np

from gpusim.cuda.compile import compile_ptx, sass_listing
from gpusim.cuda.kernels import KERNEL_NAMES, get_kernel
from gpusim.cuda.ptx import parse_ptx
from gpusim.cuda.ptx.cfg import build_cfg
from gpusim.cuda.sass.listing import parse_listing
from gpusim.cuda.sass.mapping import SassCosting, map_to_sass
from gpusim.cuda.trace import KernelTrace


def sass_costing(trace: KernelTrace) -> SassCosting | None:
    """The SASS each PTX instruction of ``trace`` stands for, or None where there is no
    SASS to read: a kernel not registered here, no cubin (no nvJitLink), or a PTX whose
    blocks are not the trace's."""
    launch = trace.launch
    if launch.kernel not in KERNEL_NAMES:
        return None
    kernel = get_kernel(launch.kernel)
    compiled = compile_ptx(kernel, kernel.params_type(**launch.params), launch.cc)
    if compiled.cubin is None:
        return None
    cfg = build_cfg(parse_ptx(compiled.ptx).entry())
    program = trace.program
    if len(cfg.blocks) != program.n_blocks:
        return None
    visits = np.zeros(program.n_blocks)
    for cta_class in trace.classes:
        visits += cta_class.n_ctas * np.bincount(
            cta_class.record.visit_block, minlength=program.n_blocks
        )
    sass = parse_listing(sass_listing(compiled), f"{launch.kernel} (cc {launch.cc})")
    return map_to_sass(program, [b.successors for b in cfg.blocks], visits, sass)
