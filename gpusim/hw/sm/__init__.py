"""The SM/memory engine: a jitted cycle-level model of SMs, caches and HBM under SimPy.

Importing the package loads nothing heavy: ``result`` (what a simulation returns) is read by
the store, the CLI and the TUI without Numba. The jitted modules import ``jit`` for their
decorator, which points Numba's cache at this engine's folder first.
"""
