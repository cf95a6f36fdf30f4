"""The SM/memory engine: a jitted cycle-level model of SMs, caches and HBM under SimPy."""

from gpusim.hw.sm.jit import use_engine_cache

use_engine_cache()
