"""The accuracy ratchet, its logic on the synthetic file, and every committed measurement file.

The committed-files test uses the real simulator (``gpusim.api.simulate_kernel``); every
other test here drives compare with the stand-in of conftest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gpusim.errors import MeasurementError
from gpusim.validate.published import published_files
from gpusim.validate.ratchet import (
    AccuracyRecord,
    check,
    compare_file,
    current_mapes,
    family_mapes,
    limited_to,
    load_accuracy,
    measurement_files,
    published_file_mapes,
    published_mapes,
    published_record_names,
    ratcheted,
    regressions,
    save_accuracy,
)
from tests.validate.conftest import fake_simulate

REPO = Path(__file__).resolve().parents[2]
MEASUREMENTS = REPO / "validation" / "measurements"
ACCURACY = REPO / "validation" / "accuracy.json"
PUBLISHED = REPO / "validation" / "published"


def test_worse_by_more_than_one_point_fails_and_within_one_point_passes() -> None:
    recorded = {"gemm_naive": 10.0, "copy": 5.0}
    assert regressions("f.json", {"gemm_naive": 11.0, "copy": 4.0}, recorded, 1.0) == []
    (problem,) = regressions("f.json", {"gemm_naive": 11.01, "copy": 5.0}, recorded, 1.0)
    assert problem.kind == "worse"
    assert problem.message.startswith("f.json: gemm_naive MAPE 11.01% is worse than the recorded")


def test_unrecorded_files_and_families_and_stale_ones_are_reported() -> None:
    (missing_file,) = regressions("new.json", {"copy": 3.0}, None, 1.0)
    assert missing_file.kind == "missing"
    kinds = [
        p.kind
        for p in regressions(
            "f.json", {"copy": 3.0, "allreduce": 1.0}, {"copy": 3.0, "gemm_naive": 2.0}, 1.0
        )
    ]
    assert kinds == ["missing", "stale"]
    record = AccuracyRecord(files={"gone.json": {"copy": 1.0}})
    assert [p.kind for p in check(record, {})] == ["stale"]


def test_the_ratchet_only_moves_down_and_always_takes_new_data() -> None:
    record = AccuracyRecord(files={"a.json": {"copy": 5.0, "gemm_naive": 10.0}, "gone.json": {}})
    updated = ratcheted(
        record, {"a.json": {"copy": 4.0, "gemm_naive": 12.0}, "b.json": {"copy": 80.0}}
    )
    assert updated.files == {
        "a.json": {"copy": 4.0, "gemm_naive": 10.0},  # improvement kept, regression not recorded
        "b.json": {"copy": 80.0},  # real data lands whatever its error
    }


def test_a_ratchet_of_some_files_moves_only_their_entries() -> None:
    record = AccuracyRecord(
        files={"a.json": {"copy": 5.0, "gemm_naive": 10.0}, "b.json": {"copy": 9.0}, "c.json": {}}
    )
    updated = ratcheted(record, {"a.json": {"copy": 4.0, "gemm_naive": 12.0}}, only=["a.json"])
    assert updated.files == {
        "a.json": {"copy": 4.0, "gemm_naive": 10.0},  # improvement kept, regression not recorded
        "b.json": {"copy": 9.0},  # not named: as recorded, though not compared
        "c.json": {},
    }
    assert limited_to(record, ["b.json", "d.json"]).files == {"b.json": {"copy": 9.0}}
    assert (
        check(limited_to(record, ["a.json"]), {"a.json": {"copy": 4.0, "gemm_naive": 10.0}}) == []
    )


def test_the_ratchet_over_the_synthetic_file(synthetic_file: Path, tmp_path: Path) -> None:
    directory = tmp_path / "measurements"
    directory.mkdir()
    shutil.copy(synthetic_file, directory / synthetic_file.name)
    current = current_mapes(measurement_files(directory), simulate=fake_simulate)
    assert current == {
        "synthetic-h100.json": {
            "gemm_naive": 20.0,
            "gemm_smem_tiled": 5.0,
            "copy": 25.0,
            "allreduce": 10.0,
        }
    }
    accuracy = tmp_path / "accuracy.json"
    assert [p.kind for p in check(load_accuracy(accuracy), current)] == ["missing"]
    save_accuracy(ratcheted(load_accuracy(accuracy), current), accuracy)
    assert check(load_accuracy(accuracy), current) == []
    worse = {"synthetic-h100.json": {**current["synthetic-h100.json"], "copy": 26.5}}
    assert [p.kind for p in check(load_accuracy(accuracy), worse)] == ["worse"]


def test_a_corrupt_accuracy_record_is_named(tmp_path: Path) -> None:
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps({"files": {}}))
    with pytest.raises(MeasurementError, match=r"accuracy\.json: not a valid accuracy record"):
        load_accuracy(path)


def test_the_committed_accuracy_record_is_valid_and_matches_the_files() -> None:
    record = load_accuracy(ACCURACY)
    names = {path.name for path in measurement_files(MEASUREMENTS)}
    assert set(record.files) == names | set(published_record_names(PUBLISHED))
    assert record.tolerance_pp == 1.0


@pytest.mark.parametrize("path", measurement_files(MEASUREMENTS), ids=lambda path: path.name)
def test_committed_measurements_keep_their_accuracy(path: Path) -> None:
    """Real simulator on real data: no family may get worse by more than the tolerance."""
    record = load_accuracy(ACCURACY)
    mapes = family_mapes(compare_file(path))
    problems = regressions(path.name, mapes, record.files.get(path.name), record.tolerance_pp)
    assert [problem.message for problem in problems] == []


def test_published_files_are_ratcheted_per_family_and_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in simulators: every group of a published file with simulated cases has a MAPE;
    files whose cases are all "not simulated" have no entry."""
    monkeypatch.setattr(
        "gpusim.validate.published_compare.engine_simulate_mode",
        lambda gpu, kernel, params, mode: (
            1e-3 * (1 + getattr(params, "steps", 0)) + 1e-3 * getattr(params, "passes", 1)
        ),
    )
    current = published_mapes(
        published_files(PUBLISHED),
        simulate=lambda gpu, kernel, params: 0.05,
        simulate_allreduce=lambda system, size_bytes, algo: 1e-3,
    )
    assert sorted(current) == published_record_names(PUBLISHED)
    assert set(current["published/siboehm-sgemm-rtx-a6000.json"]) == {"sgemm on RTX-A6000"}
    assert set(current["published/azure-nccl-allreduce-nd-h100-v5.json"]) == {
        "nccl_allreduce on 8xH100-NVSwitch"
    }
    assert set(current["published/gpu-benches-latency.json"]) == {
        "pointer_chase_latency on V100-SXM2-32GB",
        "pointer_chase_latency on A100-SXM4-80GB",
        "pointer_chase_latency on H100-PCIe-80GB",
    }
    assert "published/mt4g-h100.json" not in current


def _published_param(name: str) -> object:
    """SGEMM at 4096^3 and the microbenchmarks' full-GPU grids take minutes in the engine:
    slow; the collectives take seconds."""
    marks = [pytest.mark.slow] if "sgemm" in name or "gpu-benches" in name else []
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_published_param(n) for n in published_record_names(PUBLISHED)])
def test_published_files_keep_their_accuracy(name: str) -> None:
    """Real simulator on published data: no family may get worse than the record allows."""
    record = load_accuracy(ACCURACY)
    mapes = published_file_mapes(PUBLISHED / name.removeprefix("published/"))
    problems = regressions(name, mapes, record.files.get(name), record.tolerance_pp)
    assert [problem.message for problem in problems] == []
