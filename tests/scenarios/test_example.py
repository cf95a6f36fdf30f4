"""The API example in docs/ runs as documented (slow: it simulates 2048^3 GEMMs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "what_if_l2.py"


@pytest.mark.slow
def test_the_what_if_l2_example_runs(tmp_path: Path) -> None:
    environment = {**os.environ, "GPUSIM_STORE": str(tmp_path / "results.sqlite")}
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.count("sweep point") == 4
    assert "L2    10 MiB" in finished.stdout
    assert (tmp_path / "what_if_l2.html").exists()
