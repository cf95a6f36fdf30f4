"""compare on the synthetic file: every built-in error comes back exactly, per family too."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusim.errors import MeasurementError
from gpusim.spec import gpu_preset
from gpusim.validate.compare import compare
from gpusim.validate.device_presets import preset_for_device, resolve_gpu, spec_mismatches
from gpusim.validate.measurements import load_measurements
from gpusim.validate.stats import mape
from tests.validate.conftest import SYNTHETIC_ERRORS, fake_simulate, synthetic_measurements

H100 = gpu_preset("H100-SXM5-80GB")


def test_every_case_error_is_the_one_built_into_the_file() -> None:
    comparison = compare(synthetic_measurements(), H100, simulate=fake_simulate)
    errors = {case.case_id: case.error_pct for case in comparison.cases}
    assert errors == pytest.approx({case.case_id: 100 * e for case, e in SYNTHETIC_ERRORS})


def test_families_and_overall_statistics() -> None:
    comparison = compare(synthetic_measurements(), H100, simulate=fake_simulate)
    assert list(comparison.families) == ["gemm_naive", "gemm_smem_tiled", "copy", "allreduce"]
    naive = comparison.families["gemm_naive"]
    assert naive.cases == 3 and naive.mape == pytest.approx(20.0)
    assert naive.median_abs_error_pct == pytest.approx(20.0)
    assert comparison.families["copy"].mape == pytest.approx(25.0)
    assert comparison.families["allreduce"].mape == pytest.approx(10.0)
    all_errors = [100 * e for _, e in SYNTHETIC_ERRORS]
    assert comparison.mape == pytest.approx(mape(all_errors))
    assert comparison.overall is not None and comparison.overall.cases == len(SYNTHETIC_ERRORS)
    assert comparison.pearson_r is not None and comparison.pearson_r > 0.9


def test_library_and_failed_cases_are_kept_apart() -> None:
    comparison = compare(synthetic_measurements(), H100, simulate=fake_simulate)
    assert comparison.excluded == (
        ("gemm_register_blocked_64/m=256,n=256,k=256", "its output failed the check"),
    )
    (library,) = comparison.library
    assert library.case_id == "library_gemm_bf16/m=4096,n=4096,k=4096"
    assert library.flops_per_s == pytest.approx(2 * 4096**3 / 2e-4)


def test_the_ring_is_simulated_as_the_sum_of_its_steps() -> None:
    calls: list[tuple[str, int]] = []

    def counting(gpu, kernel, params):  # type: ignore[no-untyped-def]
        calls.append((kernel, params.step))
        return 1e-6

    measurements = synthetic_measurements()
    ring_only = measurements.__class__(
        suite="s",
        status="complete",
        provenance=measurements.provenance,
        cases=tuple(case for case in measurements.cases if case.kind == "ring_allreduce")[:1],
    )
    comparison = compare(ring_only, H100, simulate=counting)
    assert calls == [("allreduce_ring_single_device", step) for step in range(6)]
    assert comparison.cases[0].simulated_s == pytest.approx(6e-6)


def test_json_figures_have_the_issue_keys() -> None:
    document = compare(synthetic_measurements(), H100, simulate=fake_simulate).to_dict()
    assert set(document) >= {"mape", "pearson_r", "families", "cases", "library", "excluded"}
    for stats in document["families"].values():
        assert {"mape", "pearson_r", "spearman_rho", "median_abs_error_pct"} <= set(stats)
    assert document["preset"] == "H100-SXM5-80GB"


def test_a_simulator_recording_is_refused() -> None:
    measurements = synthetic_measurements()
    provenance = {"device": {"name": "CUDA simulator", "simulator": True}}
    fake = measurements.__class__(suite="s", status="complete", provenance=provenance)
    with pytest.raises(MeasurementError, match="CUDA simulator"):
        compare(fake, H100, simulate=fake_simulate)


def test_a_partial_recording_is_compared_with_a_note() -> None:
    measurements = synthetic_measurements()
    partial = measurements.__class__(
        suite="s", status="partial", provenance=measurements.provenance, cases=measurements.cases
    )
    comparison = compare(partial, H100, simulate=fake_simulate)
    assert any("did not finish" in note for note in comparison.notes)


@pytest.mark.parametrize(
    ("device", "preset"),
    [
        ("NVIDIA H100 80GB HBM3", "H100-SXM5-80GB"),
        ("NVIDIA H200", "H200-SXM-141GB"),
        ("NVIDIA A100-SXM4-80GB", "A100-SXM4-80GB"),
        ("NVIDIA H100 PCIe", "H100-PCIe-80GB"),
    ],
)
def test_devices_map_to_presets(device: str, preset: str) -> None:
    assert preset_for_device(device) == preset
    assert resolve_gpu(device).name == preset


def test_an_unknown_device_lists_the_known_ones() -> None:
    with pytest.raises(MeasurementError, match=r"no preset for device 'NVIDIA B200'.*H200"):
        preset_for_device("NVIDIA B200")
    assert resolve_gpu("NVIDIA B200", "H200-SXM-141GB").name == "H200-SXM-141GB"


def test_device_attributes_that_differ_from_the_preset_are_noted() -> None:
    assert spec_mismatches({"sm_count": 132, "l2_size_bytes": 52428800}, H100) == []
    (note,) = spec_mismatches({"sm_count": 114}, H100)
    assert note.startswith("SMs: the device reports 114")


def test_the_synthetic_file_round_trips_through_compare(synthetic_file: Path) -> None:
    measurements = load_measurements(synthetic_file)
    comparison = compare(
        measurements, resolve_gpu(measurements.device_name), simulate=fake_simulate
    )
    assert len(comparison.cases) == len(SYNTHETIC_ERRORS)
