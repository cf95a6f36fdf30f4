"""The measurement file: a round trip, and one-line errors naming the file when it is bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpusim.errors import MeasurementError
from gpusim.validate.measurements import load_measurements, save_measurements
from tests.validate.conftest import synthetic_measurements


def test_a_saved_file_loads_back_equal(tmp_path: Path) -> None:
    measurements = synthetic_measurements()
    path = tmp_path / "m.json"
    save_measurements(measurements, path)
    assert load_measurements(path) == measurements
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary left behind


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    return path


def _document() -> dict[str, object]:
    return json.loads(synthetic_measurements().to_json())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "not a gpusim measurement file"),
        (lambda d: d.update(schema_version=99), "schema_version 99 is not supported"),
        (lambda d: d.update(status="done"), "status must be one of partial, complete"),
        (lambda d: d["cases"][0].pop("median_s"), r"cases\[0\]\.median_s is missing"),
        (lambda d: d["cases"][1].update(repetitions="20"), r"cases\[1\]\.repetitions must be"),
        (lambda d: d["cases"][0]["launch"].update(grid=[1, 2]), "launch.grid must be three"),
        (lambda d: d["provenance"]["device"].pop("name"), "provenance.device.name is missing"),
        (lambda d: d["cases"][0]["correctness"].update(passed=1), "correctness.passed must be"),
    ],
)
def test_a_bad_field_is_named_in_one_line(tmp_path: Path, change, message: str) -> None:
    document = _document()
    change(document)
    path = _write(tmp_path, document)
    with pytest.raises(MeasurementError, match=message) as info:
        load_measurements(path)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "garbage.json"
    path.write_text("{not json")
    with pytest.raises(MeasurementError, match=f"^{path}: not a JSON measurement file"):
        load_measurements(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(MeasurementError, match=r"absent\.json: cannot read"):
        load_measurements(tmp_path / "absent.json")


def test_a_json_array_is_foreign(tmp_path: Path) -> None:
    with pytest.raises(MeasurementError, match="file must be a JSON object"):
        load_measurements(_write(tmp_path, [1, 2]))


@pytest.mark.parametrize("field", ["median_s", "min_s", "max_s", "series_total_s", "wall_s"])
@pytest.mark.parametrize("value", [0, -1e-3])
def test_a_time_must_be_positive(tmp_path: Path, field: str, value: float) -> None:
    document = _document()
    document["cases"][1][field] = value  # type: ignore[index]
    path = _write(tmp_path, document)
    expected = f"{path}: cases[1].{field} must be a positive time in seconds, got {value!r}"
    with pytest.raises(MeasurementError) as info:
        load_measurements(path)
    assert str(info.value) == expected


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_a_time_must_be_finite(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    document = _document()
    document["cases"][0]["samples_s"][2] = "SENTINEL"  # type: ignore[index]
    path.write_text(json.dumps(document).replace('"SENTINEL"', text))
    with pytest.raises(MeasurementError, match=r"cases\[0\]\.samples_s\[2\] must be a finite"):
        load_measurements(path)
