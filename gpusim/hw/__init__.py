"""The timing model: a discrete-event simulation of SMs, caches, HBM and links."""

from gpusim.hw.jit import use_engine_cache

use_engine_cache()
