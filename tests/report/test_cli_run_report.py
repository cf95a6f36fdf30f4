"""``gpusim run --html`` writes the report, and every run is kept in the results store."""

from __future__ import annotations

import json
from pathlib import Path

from gpusim.store import ResultStore
from tests.cli.conftest import Invoke

SMALL_GEMM = """
schema_version = 1
name = "small"
[gpu]
preset = "H100-SXM5-80GB"
[workload]
kind = "gemm"
kernel = "gemm_smem_tiled_16"
m = 256
n = 256
k = 256
"""
RING = """
schema_version = 1
name = "ring"
[system]
preset = "8xH100-NVSwitch"
[workload]
kind = "allreduce"
size_bytes = 1048576
"""


def test_a_run_is_stored_and_its_report_written(
    gpusim: Invoke, store_path: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_GEMM)
    report = tmp_path / "run.html"
    result = gpusim("run", str(scenario), "--json", "--html", str(report))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    with ResultStore(store_path) as store:
        stored = store.get(document["run_id"])
    assert (stored.kind, stored.status, stored.scenario, stored.point) == ("run", "ok", "small", {})
    assert stored.metrics is not None and stored.metrics["time_s"] == document["time_s"]
    assert stored.workload == {
        "kind": "gemm",
        "kernel": "gemm_smem_tiled_16",
        "m": 256,
        "n": 256,
        "k": 256,
    }
    assert "CTA timeline" in report.read_text()
    assert f"report: {report}" in result.stderr


def test_a_collective_run_writes_its_report(gpusim: Invoke, tmp_path: Path) -> None:
    scenario = tmp_path / "ring.toml"
    scenario.write_text(RING)
    report = tmp_path / "ring.html"
    result = gpusim("run", str(scenario), "--html", str(report))
    assert result.exit_code == 0, result.output
    assert "link utilisation" in report.read_text()
