"""``gpusim scenario check|show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, assert_user_error

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = str(REPO / "scenarios" / "quickstart.toml")


def test_check_accepts_the_quickstart(gpusim: Invoke) -> None:
    result = gpusim("scenario", "check", QUICKSTART)
    assert result.exit_code == 0
    assert result.stdout == (
        f"ok: {QUICKSTART}: H100-SXM5-80GB, gemm_smem_tiled_32 1024x1024x1024 (fp32)\n"
    )


def test_show_json_gives_the_resolved_scenario_and_its_bound(gpusim: Invoke) -> None:
    document = json.loads(gpusim("scenario", "show", QUICKSTART, "--json").stdout)
    assert document["name"] == "quickstart"
    assert document["hardware_kind"] == "gpu"
    assert document["hardware"]["name"] == "H100-SXM5-80GB"
    assert document["workload"] == {
        "kind": "gemm",
        "kernel": "gemm_smem_tiled_32",
        "m": 1024,
        "n": 1024,
        "k": 1024,
    }
    assert document["bound"]["limiter"] == "compute"
    assert document["bound"]["time_s"] == pytest.approx(2 * 1024**3 / 66.9e12, rel=1e-3)
    assert document["sweep"] is None


def test_show_for_people_names_the_bound(gpusim: Invoke) -> None:
    result = gpusim("scenario", "show", QUICKSTART)
    assert result.exit_code == 0
    assert "roofline bound" in result.stdout
    assert "32.1 us" in result.stdout


def test_a_broken_scenario_is_one_line_and_exit_2(gpusim: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(Path(QUICKSTART).read_text().replace("m = 1024", "m = -4"))
    for command in ("check", "show"):
        assert_user_error(
            gpusim("scenario", command, str(path)), f"{path}: workload.m: must be > 0, got -4"
        )


def test_a_missing_file_is_one_line_and_exit_2(gpusim: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "none.toml"
    assert_user_error(gpusim("scenario", "check", str(path)), f"{path}: cannot read: No such file")


def test_a_sweep_is_reported_by_check(gpusim: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text(
        Path(QUICKSTART).read_text() + '\n[sweep.axes]\n"workload.m" = [256, 512, 1024]\n'
    )
    result = gpusim("scenario", "check", str(path))
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("sweep of 3 points")


def test_usage_errors_exit_2(gpusim: Invoke) -> None:
    assert gpusim("scenario").exit_code == 2
    assert gpusim("no-such-command").exit_code == 2
