"""``gpusim sweep``: a table or JSON of the records, exit codes that say what happened,
resuming, reports, interruption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.cli import sweep as sweep_cli
from gpusim.sweeps import SweepRecord, SweepResult
from tests.cli.conftest import Invoke, assert_user_error
from tests.store.conftest import read_only_folder

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


def test_html_writes_a_report_creating_its_folder(gpusim: Invoke, tmp_path: Path) -> None:
    report = tmp_path / "reports" / "sweep.html"
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


def test_an_html_path_that_cannot_be_written_is_refused_before_the_sweep(
    gpusim: Invoke, store_path: Path, tmp_path: Path
) -> None:
    path = str(write(tmp_path, '"gpu.dram.latency_cycles" = [600]'))
    assert_user_error(
        gpusim("sweep", path, "--html", str(tmp_path)),
        f"--html: {tmp_path} is a directory, not a file",
    )
    folder = read_only_folder(tmp_path)
    assert_user_error(
        gpusim("sweep", path, "--html", str(folder / "r.html")),
        f"--html: cannot write {folder / 'r.html'}: {folder}: Permission denied",
    )
    assert not store_path.exists(), "nothing ran"


NARROW_RESULT = SweepResult(
    scenario="small",
    source="small.toml",
    family="kernel",
    sweep_mode="grid",
    axes={"gpu.dram.latency_cycles": [600], "gpu.l2.size_bytes": [1000]},
    mode="fast",
    store="results.sqlite",
    records=(
        SweepRecord(
            index=0,
            point={"gpu.dram.latency_cycles": 600, "gpu.l2.size_bytes": 1000},
            status="error",
            error="small.toml: gpu.overrides.l2.size_bytes: must be a whole number of sets",
            metrics={},
            run_id=1234,
            reused=False,
        ),
    ),
)


def test_an_80_column_terminal_keeps_the_key_columns_and_says_what_it_left_out() -> None:
    terminal = Console(width=80, force_terminal=True, color_system=None, highlight=False)
    with terminal.capture() as captured:
        terminal.print(sweep_cli._table(NARROW_RESULT, 80))
    lines = captured.get().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert all(name in lines[2] for name in ("#", "latency_cycles", "time", "id", "bottleneck"))
    assert "1234" in lines[4]
    assert lines[-1].rstrip() == "TFLOP/s, DRAM, L2 hits left out to fit; --json shows all"


def test_in_a_pipe_every_column_is_whole_whatever_the_width(tmp_path: Path) -> None:
    path = write(tmp_path, '"gpu.dram.latency_cycles" = [600]\n"gpu.l2.size_bytes" = [1000]')
    piped = CliRunner().invoke(
        app, ["sweep", str(path), "-j", "1"], env={"COLUMNS": "80", "NO_COLOR": "1"}
    )
    assert piped.exit_code == 1, piped.output
    row = next(line for line in piped.stdout.splitlines() if line.lstrip().startswith("0 "))
    assert "L2 hits" in piped.stdout
    assert row.rstrip().endswith(
        "error: "
        f"{path}: gpu.overrides.l2.size_bytes: must be a whole number of sets (slices x "
        "associativity x line_bytes = 163840 bytes), got 1000"
    )


def test_help_names_the_sweep_table(gpusim: Invoke) -> None:
    assert "a scenario file with a [sweep] table" in gpusim("sweep", "--help").stdout
