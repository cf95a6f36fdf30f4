"""The report writer reads results; importing it loads neither Numba nor the engine.

Checked in a fresh interpreter, as a script that only writes pages would start.
"""

from __future__ import annotations

import json
import subprocess
import sys

ENGINE = ("numba", "gpusim.api", "gpusim.hw.sm.jit", "gpusim.sweeps.run")


def test_importing_the_report_loads_no_numba_and_no_engine() -> None:
    probe = (
        "import json, sys\nimport gpusim.report\n"
        f"print(json.dumps([m for m in {ENGINE!r} if m in sys.modules]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []


def test_the_sweep_runner_still_loads_on_first_use() -> None:
    probe = (
        "import gpusim.sweeps, sys\nfrom gpusim.sweeps import SchedulerError, sweep\n"
        "assert 'gpusim.sweeps.run' in sys.modules and callable(sweep)\n"
        "assert issubclass(SchedulerError, Exception)"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
