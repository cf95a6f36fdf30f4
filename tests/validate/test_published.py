"""Published measurement files: the schema refuses bad files whole, rates become seconds,
and compare scores what it can simulate and lists the rest (stand-in simulators here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gpusim.cuda.kernels import GemmParams, KernelParams, PointerChaseParams
from gpusim.errors import MeasurementError
from gpusim.spec import GpuSpec, SystemSpec
from gpusim.validate.published import (
    PublishedFile,
    is_published,
    load_published,
    measured_seconds,
    published_files,
)
from gpusim.validate.published_compare import compare_published

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "validation" / "published"
SGEMM = PUBLISHED / "siboehm-sgemm-rtx-a6000.json"
NCCL_A100 = PUBLISHED / "azure-nccl-allreduce-nd-a100-v4.json"


def test_every_committed_file_loads_and_is_recognised() -> None:
    files = published_files(PUBLISHED)
    assert len(files) == 8
    for path in files:
        assert is_published(path)
        assert load_published(path).cases


def test_a_recording_is_not_a_published_file(tmp_path: Path) -> None:
    other = tmp_path / "recording.json"
    other.write_text(json.dumps({"format": "gpusim-measurements"}))
    assert not is_published(other)


def raw_sgemm() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SGEMM.read_text())
    return document


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["cases"][1]["figure"].update(value=1986.6), "cases.1.figure.value: "),
        (lambda d: d["cases"][1]["figure"].update(printed="about 2k"), "cases.1.figure.printed: "),
        (lambda d: d["cases"][2].update(preset="RTX-A7000"), "cases.2.preset: no preset named"),
        (lambda d: d["cases"][3].update(case_id=d["cases"][0]["case_id"]), "cases.3.case_id: "),
        (lambda d: d["cases"][0]["params"].update(m=4096.0), "cases.0.params.m"),
        (lambda d: d["cases"][0].pop("device"), "cases.0.device: "),
        (lambda d: d["cases"][0]["conditions"].update(clock="fast"), "cases.0.conditions.clock"),
        (lambda d: d.update(schema_version=2), "schema_version: "),
        (lambda d: d["source"].update(files=[]), "source.files: "),
        (lambda d: d["cases"][1]["figure"].update(printed="0", value=0), "cases.1.figure.value: "),
        (
            lambda d: d["cases"][1]["figure"].update(printed="9-3", value=9, value_high=3),
            "cases.1.figure.value_high: the range '9-3' must rise",
        ),
    ],
)
def test_a_malformed_file_is_refused_in_one_line_naming_file_and_field(
    tmp_path: Path, edit: Any, message: str
) -> None:
    document = raw_sgemm()
    edit(document)
    path = write(tmp_path, document)
    with pytest.raises(MeasurementError) as raised:
        load_published(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: {message}"), text
    assert "\n" not in text


def test_a_file_that_is_not_json_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"format": "gpusim-published-measurements",\n "cases": [')
    with pytest.raises(MeasurementError, match=r"cut\.json: not a JSON file") as raised:
        load_published(path)
    assert "\n" not in str(raised.value)


def test_rates_become_seconds_per_repetition() -> None:
    sgemm = load_published(SGEMM)
    coalesced = next(case for case in sgemm.cases if case.gpusim_kernel == "gemm_naive")
    assert measured_seconds(coalesced) == pytest.approx(2 * 4096**3 / 1986.5e9)
    nccl = load_published(NCCL_A100)
    one_gib = next(case for case in nccl.cases if case.case_id == "allreduce/1G")
    assert measured_seconds(one_gib) == pytest.approx(2**30 * 2 * 7 / 8 / 228.10e9)
    latency = load_published(PUBLISHED / "gpu-benches-latency.json").cases[0]
    assert measured_seconds(latency) is None


GEMM_SECONDS = {
    "gemm_naive_uncoalesced": 0.4,
    "gemm_naive": 0.05,
    "gemm_smem_tiled_32": 0.04,
    "gemm_register_blocked_128": 0.01,
    "gemm_1d_blocktiled_64": 0.02,
    "gemm_vectorized_128": 0.009,
}


def gemm_stand_in(gpu: GpuSpec, kernel: str, params: KernelParams) -> float:
    assert gpu.name == "RTX-A6000" and params == GemmParams(4096, 4096, 4096)
    return GEMM_SECONDS[kernel]


def test_compare_scores_the_simulated_rungs_and_lists_the_others() -> None:
    sgemm = load_published(SGEMM)
    result = compare_published(sgemm, source=SGEMM.name, simulate=gemm_stand_in)
    simulated = {r.case_id: r for r in result.results}
    assert sorted(simulated) == [
        "sgemm/kernel-1-naive",
        "sgemm/kernel-2-gmem-coalescing",
        "sgemm/kernel-3-smem-blocking",
        "sgemm/kernel-4-1d-blocktiling",
        "sgemm/kernel-5-2d-blocktiling",
        "sgemm/kernel-6-vectorized",
    ]
    coalesced = simulated["sgemm/kernel-2-gmem-coalescing"]
    measured_s = 2 * 4096**3 / 1986.5e9
    assert coalesced.error_pct == pytest.approx(100 * (0.05 - measured_s) / measured_s)
    assert coalesced.simulated_figure == pytest.approx(2 * 4096**3 / 0.05 / 1e9)
    assert coalesced.published == "1986.5" and coalesced.unit == "GFLOP/s"
    reasons = dict(result.not_simulated)
    assert reasons["sgemm/kernel-10-warptiling"] == "not simulated: no kernel yet"
    assert reasons["sgemm/kernel-0-cublas"] == "not simulated: no simulator model of cuBLAS"
    assert len(reasons) + len(simulated) == len(sgemm.cases)
    document = result.to_dict()
    assert list(document["families"]) == ["sgemm on RTX-A6000"]
    assert document["mape"] == pytest.approx(sum(abs(r.error_pct) for r in result.results) / 6)
    assert document["pearson_r"] is not None
    assert any("clock not stated" in note for note in document["notes"])
    assert any(note.startswith("warm L2: simulated with cold caches") for note in document["notes"])


def test_compare_runs_allreduce_at_every_published_size() -> None:
    sizes: list[int] = []

    def allreduce(system: SystemSpec, size_bytes: int, algo: str) -> float:
        assert system.name == "8xA100-NVSwitch"
        assert system.collective.gpus_per_thread == 8  # nccl-tests -g 8, as the source ran
        assert algo == "auto"  # the stated NVLS cannot run on an A100 NVSwitch
        sizes.append(size_bytes)
        return size_bytes * 2 * 7 / 8 / 200e9  # 200 GB/s of bus bandwidth

    nccl: PublishedFile = load_published(NCCL_A100)
    result = compare_published(nccl, simulate_allreduce=allreduce)
    assert sizes == [case.params["size_bytes"] for case in nccl.cases]
    assert result.not_simulated == ()
    assert all(r.simulated_figure == pytest.approx(200.0) for r in result.results)
    stated = [note for note in result.comparison.notes if note.startswith("NCCL_ALGO=NVLS")]
    assert len(stated) == 1 and "cannot run on 8xA100-NVSwitch" in stated[0]
    assert "simulated with the tuner's choice" in stated[0]


def test_compare_runs_the_algorithm_and_threads_the_source_states() -> None:
    runs: set[tuple[str, int, str]] = set()

    def allreduce(system: SystemSpec, size_bytes: int, algo: str) -> float:
        runs.add((system.name, system.collective.gpus_per_thread, algo))
        return 1e-3

    nccl = load_published(NCCL_A100.with_name("azure-nccl-allreduce-nd-h100-v5.json"))
    result = compare_published(nccl, simulate_allreduce=allreduce)
    assert runs == {("8xH100-NVSwitch", 8, "nvls")}
    assert not any(note.startswith("NCCL_ALGO=") for note in result.comparison.notes)
    unstated = nccl.model_copy(
        update={
            "cases": tuple(
                case.model_copy(
                    update={
                        "conditions": case.conditions.model_copy(
                            update={"algorithm": None, "gpus_per_thread": None}
                        )
                    }
                )
                for case in nccl.cases
            )
        }
    )
    runs.clear()
    compare_published(unstated, simulate_allreduce=allreduce)
    assert runs == {("8xH100-NVSwitch", 1, "auto")}


def microbenchmark_stand_in(gpu: GpuSpec, kernel: str, params: KernelParams, mode: str) -> float:
    """1 ns per chase step in detailed mode; 1 ms per pass or stream launch in fast mode."""
    if kernel == "pointer_chase":
        assert mode == "detailed" and isinstance(params, PointerChaseParams)
        return params.steps * 1e-9
    assert mode == "fast"
    return getattr(params, "passes", 1) * 1e-3


def test_microbenchmarks_report_their_sources_figures_from_two_launches() -> None:
    latency = load_published(PUBLISHED / "gpu-benches-latency.json")
    result = compare_published(latency, simulate_microbenchmark_launch=microbenchmark_stand_in)
    # The extra traversal's 1 ns per step at 1380 MHz is 1.38 cycles per access.
    v100_l1 = next(r for r in result.results if r.case_id == "latency/v100/l1")
    assert v100_l1.simulated_figure == pytest.approx(1.38)
    reasons = dict(result.not_simulated)
    assert reasons["latency/a100-80gb/l2-far"].startswith("not simulated: pointer_chase:")
    assert len(result.results) == len(latency.cases) - 1
    stream = compare_published(
        load_published(PUBLISHED / "gpu-benches-stream.json"),
        simulate_microbenchmark_launch=microbenchmark_stand_in,
    )
    assert ("stream-scale/a100-40gb", "not simulated: no preset for A100-40GB") in (
        stream.not_simulated
    )
    # 2 x 256 MiB moved in 1 ms.
    assert stream.results[0].simulated_figure == pytest.approx(2 * 2**28 / 1e-3 / 1e9)


def test_the_cli_compares_a_published_file_with_json_and_html(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from gpusim.cli.validate import app

    monkeypatch.setattr("gpusim.validate.published_compare.engine_simulate", gemm_stand_in)
    runner = CliRunner()
    html = tmp_path / "report.html"
    result = runner.invoke(app, ["compare", str(SGEMM), "--json", "--html", str(html)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["mape"] > 0 and document["pearson_r"] is not None
    assert len(document["not_simulated"]) == 2
    assert html.read_text().startswith("<!DOCTYPE html>")
    table = runner.invoke(app, ["compare", str(SGEMM)], env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    assert "1986.5 GFLOP/s" in table.stdout
    assert "sgemm/kernel-10-warptiling: not simulated: no kernel yet" in table.stdout
    refused = runner.invoke(app, ["compare", str(SGEMM), "--preset", "H100-SXM5-80GB"])
    assert refused.exit_code != 0


def test_the_accuracy_table_has_a_row_per_family_and_gpu_and_per_unsimulated_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from gpusim.cli.validate import app

    monkeypatch.setattr("gpusim.validate.published_compare.engine_simulate", gemm_stand_in)
    monkeypatch.setattr(
        "gpusim.validate.published_compare.engine_allreduce", lambda system, size, algo: 1e-3
    )
    monkeypatch.setattr(
        "gpusim.validate.published_compare.engine_simulate_mode", microbenchmark_stand_in
    )
    result = CliRunner().invoke(app, ["accuracy-table", "--commit", "0123456789abc"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "commit 0123456" in lines[0] and "`gpusim validate accuracy-table`" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| source")]
    # sgemm, two nccl-tests systems, 3 latency, 3 bandwidth and 4 stream GPUs; mt4g and
    # BabelStream not simulated yet.
    assert len(rows) == 15
    sgemm = next(row for row in rows if "sgemm on RTX-A6000" in row)
    assert sgemm.split("|")[3].strip() == "6" and sgemm.split("|")[-2].strip() == "2"
    assert sum("(none simulated yet)" in row for row in rows) == 2


def test_a_microbenchmark_report_draws_both_curves_against_size(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from gpusim.cli.validate import app
    from gpusim.validate.report import curve_figures

    latency = load_published(PUBLISHED / "gpu-benches-latency.json")
    result = compare_published(latency, simulate_microbenchmark_launch=microbenchmark_stand_in)
    figures = curve_figures(result.results)
    assert len(figures) == len({r.group for r in result.results})
    v100 = next(f for f in figures if "on V100" in f.layout.title.text)
    published, simulated = v100.data
    members = sorted(
        (r for r in result.results if "on V100" in r.group), key=lambda r: r.size_bytes or 0
    )
    assert list(published.x) == list(simulated.x) == [r.size_bytes for r in members]
    assert list(published.y) == [r.published_figure for r in members]
    assert list(simulated.y) == [r.simulated_figure for r in members]
    assert v100.layout.xaxis.type == "log"
    monkeypatch.setattr(
        "gpusim.validate.published_compare.engine_simulate_mode", microbenchmark_stand_in
    )
    html = tmp_path / "latency.html"
    cli = CliRunner().invoke(
        app, ["compare", str(PUBLISHED / "gpu-benches-latency.json"), "--html", str(html)]
    )
    assert cli.exit_code == 0, cli.output
    text = html.read_text()
    assert text.count("published and simulated curves") == len(figures)
    assert text.count("* plotly.js v") == 1 and "<script src=" not in text


def test_unmapped_microbenchmark_families_say_why_they_are_not_simulated() -> None:
    for name, family in (("mt4g-h100.json", "mt4g"), ("azure-babelstream-copy.json", "copy")):
        result = compare_published(load_published(PUBLISHED / name))
        assert result.results == ()
        for _, reason in result.not_simulated:
            assert reason.startswith("not simulated: ") and "no kernel yet" not in reason
            assert family in reason
