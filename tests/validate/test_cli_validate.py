"""``gpusim validate`` as a user runs it (compare through the stand-in simulator)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gpusim.cli import app
from tests.validate.conftest import fake_simulate


@pytest.fixture(autouse=True)
def stand_in_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gpusim.validate.compare.engine_simulate", fake_simulate)


def gpusim(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


def test_compare_prints_cases_and_families(synthetic_file: Path) -> None:
    result = gpusim("validate", "compare", str(synthetic_file))
    assert result.exit_code == 0, result.output
    assert "NVIDIA H100 80GB HBM3 vs H100-SXM5-80GB" in result.stdout
    assert "gemm_naive/m=512,n=512,k=512" in result.stdout and "-20.0" in result.stdout
    assert "accuracy per family" in result.stdout and "overall" in result.stdout
    assert "excluded: gemm_register_blocked_64/m=256,n=256,k=256" in result.stdout


def test_compare_json_and_html(synthetic_file: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = gpusim("validate", "compare", str(synthetic_file), "--json", "--html", str(html))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["families"]["gemm_naive"]["mape"] == pytest.approx(20.0)
    assert document["mape"] > 0 and document["pearson_r"] is not None
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_compare_with_a_named_preset(synthetic_file: Path) -> None:
    result = gpusim(
        "validate", "compare", str(synthetic_file), "--preset", "H200-SXM-141GB", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["preset"] == "H200-SXM-141GB"


def test_compare_of_a_corrupt_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.json"
    path.write_text("[]")
    result = gpusim("validate", "compare", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: file must be a JSON object")
    assert result.stderr.count("\n") == 1


def test_compare_with_an_unknown_preset_is_a_user_error(synthetic_file: Path) -> None:
    result = gpusim("validate", "compare", str(synthetic_file), "--preset", "B200")
    assert result.exit_code == 2 and "unknown GPU preset 'B200'" in result.stderr


def test_ratchet_check_and_update(synthetic_file: Path, tmp_path: Path) -> None:
    directory = tmp_path / "measurements"
    directory.mkdir()
    shutil.copy(synthetic_file, directory)
    accuracy = tmp_path / "accuracy.json"
    (tmp_path / "published").mkdir()  # the repository's published files take minutes to simulate
    options = ["--measurements", str(directory), "--accuracy", str(accuracy)]
    options += ["--published", str(tmp_path / "published")]
    missing = gpusim("validate", "ratchet", *options)
    assert missing.exit_code == 1 and "missing: synthetic-h100.json" in missing.stdout
    updated = gpusim("validate", "ratchet", "--update", *options)
    assert updated.exit_code == 0, updated.output
    assert json.loads(accuracy.read_text())["files"]["synthetic-h100.json"]["copy"] == 25.0
    assert gpusim("validate", "ratchet", *options).exit_code == 0


def test_ratchet_update_of_one_file_moves_only_its_line(
    synthetic_file: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "measurements"
    directory.mkdir()
    for name in ("a.json", "b.json"):
        shutil.copy(synthetic_file, directory / name)
    (tmp_path / "published").mkdir()
    accuracy = tmp_path / "accuracy.json"
    options = ["--measurements", str(directory), "--accuracy", str(accuracy)]
    options += ["--published", str(tmp_path / "published")]
    stale = {"gemm_naive": 30.0, "gemm_smem_tiled": 30.0, "copy": 30.0, "allreduce": 30.0}
    accuracy.write_text(
        json.dumps({"tolerance_pp": 1.0, "files": {"a.json": stale, "b.json": stale}})
    )
    only_a = ["--only", str(directory / "a.json")]
    updated = gpusim("validate", "ratchet", "--update", *only_a, *options)
    assert updated.exit_code == 0, updated.output
    assert updated.stdout.startswith(f"checked 1 measurement file(s) in {directory} and 0 ")
    files = json.loads(accuracy.read_text())["files"]
    assert files["a.json"] == {
        "gemm_naive": 20.0,
        "gemm_smem_tiled": 5.0,
        "copy": 25.0,
        "allreduce": 10.0,
    }
    assert files["b.json"] == stale
    files["a.json"]["copy"] = 20.0  # a better figure than the simulator's 25%: no update raises it
    accuracy.write_text(json.dumps({"tolerance_pp": 1.0, "files": files}))
    worse = gpusim("validate", "ratchet", "--update", *only_a, *options)
    assert worse.exit_code == 1
    assert "worse: a.json: copy MAPE 25.00% is worse than the recorded 20.00%" in worse.stdout
    assert json.loads(accuracy.read_text())["files"] == files


def test_ratchet_only_a_file_outside_the_folders_is_a_user_error(
    synthetic_file: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "measurements"
    directory.mkdir()
    shutil.copy(synthetic_file, directory)
    (tmp_path / "published").mkdir()
    options = ["--measurements", str(directory), "--published", str(tmp_path / "published")]
    result = gpusim("validate", "ratchet", "--only", str(synthetic_file), *options)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --only: {synthetic_file} is not a measurement file in {directory} "
        f"nor a published file in {tmp_path / 'published'}\n"
    )


def test_record_without_a_gpu_is_a_user_error(tmp_path: Path) -> None:
    from numba import cuda

    if cuda.is_available():
        pytest.skip("a CUDA GPU is present: this test is for machines without one")
    result = gpusim("validate", "record", "--out", str(tmp_path / "m.json"))
    assert result.exit_code == 2
    assert "no CUDA GPU" in result.stderr


def test_record_with_an_unknown_suite_is_a_user_error(tmp_path: Path) -> None:
    result = gpusim("validate", "record", "--out", str(tmp_path / "m.json"), "--suite", "huge")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown suite 'huge' (known: full, quick, smoke)\n"


def test_ratchet_says_what_it_checked(synthetic_file: Path, tmp_path: Path) -> None:
    (tmp_path / "measurements").mkdir()
    (tmp_path / "published").mkdir()
    shutil.copy(synthetic_file, tmp_path / "measurements")
    options = ["--measurements", str(tmp_path / "measurements")]
    options += ["--published", str(tmp_path / "published")]
    options += ["--accuracy", str(tmp_path / "accuracy.json")]
    result = gpusim("validate", "ratchet", "--update", *options)
    assert result.exit_code == 0, result.output
    families = len(
        json.loads((tmp_path / "accuracy.json").read_text())["files"]["synthetic-h100.json"]
    )
    assert result.stdout.startswith(
        f"checked 1 measurement file(s) in {tmp_path / 'measurements'} and 0 published "
        f"file(s) in {tmp_path / 'published'}: {families} family MAPE(s) against "
    ), result.stdout


def test_ratchet_of_a_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    result = gpusim("validate", "ratchet", "--measurements", str(tmp_path / "nonexistent"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --measurements: no folder {tmp_path / 'nonexistent'} "
        "(run from the gpusim repository, or name the folder)\n"
    )


def test_ratchet_outside_the_repository_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = gpusim("validate", "ratchet")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --measurements: no folder validation/measurements")


def test_ratchet_with_no_files_is_a_user_error(tmp_path: Path) -> None:
    for folder in ("measurements", "published"):
        (tmp_path / folder).mkdir()
    result = gpusim(
        "validate",
        "ratchet",
        "--measurements",
        str(tmp_path / "measurements"),
        "--published",
        str(tmp_path / "published"),
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: nothing to check: no measurement file in {tmp_path / 'measurements'} "
        f"and no published file in {tmp_path / 'published'}\n"
    )
