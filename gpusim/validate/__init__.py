"""Validation against real GPUs: record the project's kernels on a GPU, compare the simulator.

Two halves that share one file format (``measurements``):

* recording (``record``, ``suite``, ``inputs``, ``timing``, ``checks``, ``runners``,
  ``library``, ``provenance``) runs on a machine with a CUDA GPU, and must import nothing
  beyond NumPy, Numba and the standard library: the lent GPU machines have no pydantic,
  SimPy, Plotly or Textual;
* comparing (``compare``, ``stats``, ``presets``, ``report``, ``ratchet``) runs anywhere,
  with the simulator.

This package initialiser imports nothing, so importing the recorder stays light.
"""
