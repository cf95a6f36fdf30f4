"""Issue 15's rows for run, trace, scenario check, validate compare and presets show: bad
input is one line and exit 2, refused before any work, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.cli.output import spec_rows
from gpusim.spec import system_preset
from tests.cli.conftest import Invoke, assert_user_error
from tests.store.conftest import read_only_folder

COPY = """
schema_version = 1
[gpu]
preset = "H100-SXM5-80GB"
{overrides}
[workload]
kind = "copy"
size_bytes = {size}
"""


def copy(tmp_path: Path, overrides: str = "", size: int = 1024) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(COPY.format(overrides=overrides, size=size))
    return path


def refused_everywhere(gpusim: Invoke, tmp_path: Path, path: Path, message: str) -> None:
    """``scenario check`` and ``run`` say the same line; run stores and writes nothing."""
    store, report = tmp_path / "store.sqlite", tmp_path / "r.html"
    assert_user_error(gpusim("scenario", "check", str(path)), f"{path}: {message}")
    run = gpusim("run", str(path), "--store", str(store), "--html", str(report))
    assert_user_error(run, f"{path}: {message}")
    assert not store.exists() and not report.exists()


def test_row2_an_infinite_override_is_refused_at_check(gpusim: Invoke, tmp_path: Path) -> None:
    path = copy(tmp_path, 'overrides = { "dram.bandwidth_bytes_per_s" = inf }')
    message = "gpu.overrides.dram.bandwidth_bytes_per_s: must be a finite number, got inf"
    refused_everywhere(gpusim, tmp_path, path, message)


def test_row4_a_gemm_too_big_for_the_gpu_names_the_field(gpusim: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n'
        '[workload]\nkind = "gemm"\nkernel = "gemm_naive"\nm = 2000000000\nn = 64\nk = 64\n'
    )
    message = (
        "workload.m: gemm_naive's operands take 953.7 GiB, more than the H100-SXM5-80GB's "
        "memory (dram.capacity_bytes), 79.65 GiB"
    )
    refused_everywhere(gpusim, tmp_path, path, message)


def test_row4_a_huge_sm_count_is_refused(gpusim: Invoke, tmp_path: Path) -> None:
    path = copy(tmp_path, 'overrides = { "sm.count" = 100000000 }')
    refused_everywhere(
        gpusim, tmp_path, path, "gpu.overrides.sm.count: must be <= 2_048, got 100000000"
    )


def test_row4_trace_refuses_operands_beyond_the_gpu(gpusim: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "t.npz"
    assert_user_error(
        gpusim("trace", "gemm_naive", "--size", "2000000000x64x64", "--out", str(out)),
        "--size 2000000000x64x64: m: gemm_naive's operands take 953.7 GiB, more than the "
        "H100-SXM5-80GB's memory (dram.capacity_bytes), 79.65 GiB",
    )
    assert not out.exists()


def test_row5_a_clock_beyond_its_range_is_refused(gpusim: Invoke, tmp_path: Path) -> None:
    path = copy(tmp_path, 'overrides = { "sm.clock_hz" = 1e30 }')
    refused_everywhere(
        gpusim, tmp_path, path, "gpu.overrides.sm.clock_hz: must be <= 2e10, got 1e+30"
    )


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        (
            'kind = "copy"\nsize_bytes = 4',
            "workload.size_bytes: must be a multiple of 16 (copy), got 4",
        ),
        (
            'kind = "gemm"\nkernel = "gemm_tensor_core"\nm = 7\nn = 13\nk = 3',
            "workload.m: must be a multiple of 64 (gemm_tensor_core), got 7",
        ),
    ],
)
def test_row13_an_alignment_rule_names_file_and_field(
    gpusim: Invoke, tmp_path: Path, workload: str, message: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        f'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n[workload]\n{workload}\n'
    )
    refused_everywhere(gpusim, tmp_path, path, message)


def test_a_collective_whose_buffers_exceed_the_gpu_is_refused(
    gpusim: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        'schema_version = 1\n[system]\npreset = "8xH100-NVSwitch"\n'
        '[workload]\nkind = "allreduce"\nsize_bytes = 60000000000\n'
    )
    message = (
        "workload.size_bytes: each rank's buffers take 111.8 GiB, more than the "
        "H100-SXM5-80GB's memory (gpu.dram.capacity_bytes), 79.65 GiB"
    )
    refused_everywhere(gpusim, tmp_path, path, message)


def test_a_sweep_point_the_kernel_cannot_run_is_refused_at_check(
    gpusim: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n[workload]\nkind = "gemm"\n'
        'kernel = "gemm_tensor_core"\nm = 64\nn = 64\nk = 64\n[sweep.axes]\n'
        '"gpu.preset" = ["H100-SXM5-80GB", "V100-SXM2-32GB"]\n'
    )
    assert_user_error(
        gpusim("scenario", "check", str(path)),
        f"{path}: sweep.axes.gpu.preset = 'V100-SXM2-32GB': workload.kernel: gemm_tensor_core "
        "needs compute capability 8.0 or newer, V100-SXM2-32GB has 7.0",
    )


def test_row1_run_html_onto_a_directory_is_refused_before_simulating(
    gpusim: Invoke, tmp_path: Path
) -> None:
    store = tmp_path / "store.sqlite"
    result = gpusim("run", str(copy(tmp_path)), "--store", str(store), "--html", str(tmp_path))
    assert_user_error(result, f"--html: {tmp_path} is a directory, not a file")
    assert not store.exists()


def test_row1_run_html_under_a_file_is_refused(gpusim: Invoke, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = gpusim("run", str(copy(tmp_path)), "--html", str(blocker / "r.html"))
    assert_user_error(result, f"--html: cannot write {blocker / 'r.html'}: {blocker} is not a")


def test_row1_a_report_that_fails_still_shows_and_stores_the_run(
    gpusim: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gpusim.cli.run.write_report", full_disk)
    store, report = tmp_path / "store.sqlite", tmp_path / "r.html"
    result = gpusim("run", str(copy(tmp_path)), "--store", str(store), "--html", str(report))
    assert result.exit_code == 2
    assert "time" in result.stdout and "bottleneck" in result.stdout
    assert f"error: --html: cannot write {report}: No space left on device\n" in result.stderr
    assert "stored as record" in result.stderr and store.exists()


def test_row1_trace_out_onto_a_directory_is_refused(gpusim: Invoke, tmp_path: Path) -> None:
    result = gpusim("trace", "gemm_naive", "--size", "64x64x64", "--out", str(tmp_path))
    assert_user_error(result, f"--out: {tmp_path} is a directory, not a file")


def test_row1_validate_compare_html_onto_a_directory_is_refused_first(
    gpusim: Invoke, tmp_path: Path
) -> None:
    result = gpusim("validate", "compare", str(tmp_path / "none.json"), "--html", str(tmp_path))
    assert_user_error(result, f"--html: {tmp_path} is a directory, not a file")


def test_row1_trace_out_into_a_read_only_folder_is_refused_before_tracing(
    gpusim: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_trace(*args: object) -> None:
        raise AssertionError("traced although --out cannot be written")

    monkeypatch.setattr("gpusim.api.kernel_trace", no_trace)
    out = read_only_folder(tmp_path) / "t.npz"
    result = gpusim("trace", "gemm_naive", "--size", "64x64x64", "--out", str(out))
    assert_user_error(result, f"--out: cannot write {out}: {out.parent}: Permission denied")
    assert not out.exists()


def test_row1_trace_out_into_a_missing_folder_creates_it(gpusim: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "t.npz"
    result = gpusim("trace", "gemm_naive", "--size", "64x64x64", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert gpusim("trace", "show", str(out), "--json").stdout == result.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["t.npz"]  # no temporary left


def test_row1_validate_compare_html_into_a_read_only_folder_is_refused_first(
    gpusim: Invoke, tmp_path: Path
) -> None:
    report = read_only_folder(tmp_path) / "r.html"
    result = gpusim("validate", "compare", str(tmp_path / "none.json"), "--html", str(report))
    assert_user_error(result, f"--html: cannot write {report}: {report.parent}: Permission denied")


def test_row1_run_html_into_a_read_only_folder_is_refused_before_simulating(
    gpusim: Invoke, tmp_path: Path
) -> None:
    store, report = tmp_path / "store.sqlite", read_only_folder(tmp_path) / "r.html"
    result = gpusim("run", str(copy(tmp_path)), "--store", str(store), "--html", str(report))
    assert_user_error(result, f"--html: cannot write {report}: {report.parent}: Permission denied")
    assert not store.exists() and not report.exists()


def test_presets_show_keeps_every_field_path_whole_at_80_columns() -> None:
    result = CliRunner().invoke(app, ["presets", "show", "8xH100-NVSwitch"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    words = set(result.stdout.replace("│", " ").split())
    for path, _, _ in spec_rows(system_preset("8xH100-NVSwitch")):
        assert path in words, path
