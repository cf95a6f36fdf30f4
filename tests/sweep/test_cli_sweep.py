"""``gpusim sweep``: a table or JSON of the records, exit codes that say what happened,
resuming, reports, interruption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gpusim.cli import sweep as sweep_cli
from tests.cli.conftest import Invoke, assert_user_error

SCENARIO = """
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
[sweep.axes]
"""


def write(tmp_path: Path, axes: str) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SCENARIO + axes)
    return path


def test_a_sweep_prints_a_row_per_point_and_exits_0(gpusim: Invoke, tmp_path: Path) -> None:
    result = gpusim(
        "sweep", str(write(tmp_path, '"gpu.dram.latency_cycles" = [600, 834]')), "-j", "1"
    )
    assert result.exit_code == 0, result.output
    assert "small: grid of gpu.dram.latency_cycles" in result.stdout
    assert "2 points: 2 ok, 0 failed; 0 found in the store" in result.stdout
    assert "Traceback" not in result.output


def test_json_holds_every_record(gpusim: Invoke, tmp_path: Path) -> None:
    path = write(tmp_path, '"gpu.dram.latency_cycles" = [600, 834]')
    document = json.loads(gpusim("sweep", str(path), "--jobs", "1", "--json").stdout)
    assert set(document) == {
        "scenario", "source", "family", "sweep_mode", "axes", "mode", "store", "points",
        "failed", "reused", "records",
    }  # fmt: skip
    assert (document["points"], document["failed"], document["family"]) == (2, 0, "kernel")
    record = document["records"][1]
    assert set(record) == {"index", "point", "status", "error", "metrics", "run_id", "reused"}
    assert record["point"] == {"gpu.dram.latency_cycles": 834}
    assert {"time_s", "tflops", "dram_bandwidth_bytes_per_s", "bottleneck"} <= set(
        record["metrics"]
    )


def test_a_rerun_says_what_it_found_in_the_store(gpusim: Invoke, tmp_path: Path) -> None:
    path = str(write(tmp_path, '"gpu.dram.latency_cycles" = [600, 834]'))
    gpusim("sweep", path, "-j", "1")
    again = gpusim("sweep", path, "-j", "1")
    assert again.exit_code == 0
    assert "2 points: 2 ok, 0 failed; 2 found in the store (* in the id column), 0 run now" in (
        again.stdout
    )


def test_failed_points_exit_1_and_are_reported(gpusim: Invoke, tmp_path: Path) -> None:
    result = gpusim(
        "sweep", str(write(tmp_path, '"gpu.l2.size_bytes" = [52428800, 1000]')), "-j", "1"
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"point 1 (gpu.l2.size_bytes=1000): {tmp_path / 'small.toml'}: gpu.overrides.l2.size_bytes:"
    )
    assert "2 points: 1 ok, 1 failed" in result.stdout
    assert "error: " in result.stdout
    assert "Traceback" not in result.output


def test_a_bad_axis_exits_2_with_one_line(gpusim: Invoke, tmp_path: Path) -> None:
    path = write(tmp_path, '"gpu.l2.sise_bytes" = [1]')
    assert_user_error(gpusim("sweep", str(path)), f"{path}: sweep.axes.gpu.l2.sise_bytes: unknown")


def test_no_sweep_table_exits_2(gpusim: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(SCENARIO.replace("[sweep.axes]\n", ""))
    assert_user_error(gpusim("sweep", str(path)), f"{path}: sweep: the scenario has no [sweep]")


def test_html_writes_a_report(gpusim: Invoke, tmp_path: Path) -> None:
    report = tmp_path / "sweep.html"
    path = write(tmp_path, '"gpu.dram.latency_cycles" = [600, 834]')
    result = gpusim("sweep", str(path), "-j", "1", "--html", str(report))
    assert result.exit_code == 0, result.output
    assert f"report: {report}" in result.stderr
    assert "gpusim sweep: small" in report.read_text()


def test_an_interrupt_exits_130_and_says_how_to_resume(
    gpusim: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_cli, "sweep", interrupted)
    result = gpusim("sweep", str(write(tmp_path, '"gpu.dram.latency_cycles" = [600]')))
    assert result.exit_code == 130
    assert result.stderr == (
        "interrupted: 0 points finished and stored; run the same command again to resume\n"
    )
