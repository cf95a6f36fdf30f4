"""The HTML writers: one self-contained file (plotly.js embedded once, nothing fetched),
written whole."""

from __future__ import annotations

import re
from pathlib import Path

from gpusim.api import simulate_scenario
from gpusim.report import write_report, write_sweep_report
from gpusim.scenario import scenario_from_dict
from tests.report.conftest import collective_result, kernel_sweep

SMALL_GEMM = scenario_from_dict(
    {
        "schema_version": 1,
        "name": "small",
        "gpu": {"preset": "H100-SXM5-80GB"},
        "workload": {"kind": "gemm", "kernel": "gemm_smem_tiled_16", "m": 256, "n": 256, "k": 256},
    }
)
ALLREDUCE = scenario_from_dict(
    {
        "schema_version": 1,
        "name": "ring",
        "system": {"preset": "8xH100-NVSwitch"},
        "workload": {"kind": "allreduce", "size_bytes": 1_000_000, "ranks": 4},
    }
)


def figures(page: str) -> int:
    return page.count("Plotly.newPlot(")


def assert_self_contained(page: str) -> None:
    assert len(re.findall(r"plotly\.js v\d", page)) == 1, "plotly.js embedded exactly once"
    assert "<script src" not in page
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")


def test_a_kernel_report_holds_its_five_figures(tmp_path: Path) -> None:
    result = simulate_scenario(SMALL_GEMM, timeline=True)
    path = write_report(result, tmp_path / "run.html", scenario=SMALL_GEMM)
    page = path.read_text()
    assert_self_contained(page)
    assert figures(page) == 5
    for title in ("CTA timeline", "stall breakdown", "hierarchical roofline", "cache hit rates"):
        assert title in page
    assert "gemm_smem_tiled_16 256x256x256 (fp32)" in page


def test_without_a_timeline_the_report_says_so(tmp_path: Path) -> None:
    result = simulate_scenario(SMALL_GEMM)
    page = write_report(result, tmp_path / "run.html", scenario=SMALL_GEMM).read_text()
    assert figures(page) == 4
    assert "No CTA timeline: the run was simulated without timeline=True." in page


def test_a_collective_report_shows_time_and_links(tmp_path: Path) -> None:
    page = write_report(collective_result(), tmp_path / "ring.html", scenario=ALLREDUCE).read_text()
    assert_self_contained(page)
    assert figures(page) == 2
    assert "node0.gpu1.nvlink.out 75%" in page


def test_a_sweep_report_has_its_figures_and_a_row_per_point(tmp_path: Path) -> None:
    sweep = kernel_sweep({"workload.m": [256, 512, 1024]}, [1e-6, None, 3e-6])
    page = write_sweep_report(sweep, tmp_path / "sweep.html").read_text()
    assert_self_contained(page)
    assert figures(page) == 4
    points = page.split("<h2>points</h2>")[1]
    assert points.count("<tr><td>") == 3
    assert "<td>it failed</td>" in points


def test_a_report_replaces_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "sweep.html"
    target.write_text("old")
    write_sweep_report(kernel_sweep({"workload.m": [256]}, [1e-6]), target)
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert [path.name for path in tmp_path.iterdir()] == ["sweep.html"]
