"""gpusim: a discrete-event GPU architecture simulator.

The scripting API is re-exported here (see ``gpusim.api``); names load on first use, so
``import gpusim`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "simulate": "gpusim.api",
    "simulate_kernel": "gpusim.api",
    "simulate_trace": "gpusim.api",
    "simulate_scenario": "gpusim.api",
    "kernel_trace": "gpusim.api",
    "load_scenario": "gpusim.scenario",
    "scenario_from_dict": "gpusim.scenario",
    "gpu_preset": "gpusim.spec",
    "system_preset": "gpusim.spec",
    "presets": "gpusim.spec",
    "GpuSpec": "gpusim.spec",
    "SystemSpec": "gpusim.spec",
    "GemmWorkload": "gpusim.workload",
    "CopyWorkload": "gpusim.workload",
    "AllreduceWorkload": "gpusim.workload",
    "KernelResult": "gpusim.hw.sm.result",
    "GpusimError": "gpusim.errors",
    "sweep": "gpusim.sweeps",
    "SweepResult": "gpusim.sweeps",
    "ResultStore": "gpusim.store",
    "write_report": "gpusim.report",
    "write_sweep_report": "gpusim.report",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'gpusim' has no attribute {name!r}")
