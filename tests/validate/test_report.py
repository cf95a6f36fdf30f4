"""The report's figures, checked through their data, and the self-contained HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from gpusim.spec import gpu_preset
from gpusim.validate.compare import Comparison, compare
from gpusim.validate.report import (
    cases_table,
    families_table,
    family_error_figure,
    library_table,
    scatter_figure,
    write_report,
)
from tests.validate.conftest import fake_simulate, synthetic_measurements


@pytest.fixture
def comparison() -> Comparison:
    return compare(synthetic_measurements(), gpu_preset("H100-SXM5-80GB"), simulate=fake_simulate)


def test_scatter_has_one_trace_per_family_and_the_identity_line(comparison: Comparison) -> None:
    figure = scatter_figure(comparison)
    names = [trace.name for trace in figure.data]
    assert names == [*comparison.families, "simulated = measured"]
    identity = figure.data[-1]
    assert list(identity.x) == list(identity.y)
    everything = [t for case in comparison.cases for t in (case.measured_s, case.simulated_s)]
    assert identity.x[0] < min(everything) and identity.x[1] > max(everything)
    assert figure.layout.xaxis.type == "log" and figure.layout.yaxis.type == "log"
    naive = figure.data[0]
    cases = [case for case in comparison.cases if case.family == "gemm_naive"]
    assert list(naive.x) == [case.measured_s for case in cases]
    assert list(naive.y) == [case.simulated_s for case in cases]


def test_error_bars_per_family(comparison: Comparison) -> None:
    (bars,) = family_error_figure(comparison).data
    assert list(bars.x) == list(comparison.families)
    assert list(bars.y) == pytest.approx([s.mean_error_pct for s in comparison.families.values()])
    assert list(bars.error_y.array) == pytest.approx(
        [s.std_error_pct for s in comparison.families.values()]
    )
    naive = comparison.families["gemm_naive"]
    assert naive.mean_error_pct == pytest.approx(20.0 / 3)


def test_the_html_report_is_self_contained(comparison: Comparison, tmp_path: Path) -> None:
    path = tmp_path / "report" / "h100.html"
    write_report(comparison, path)
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("* plotly.js v") == 1  # inlined once, shared by both figures
    assert "<script src=" not in text  # nothing fetched when the file is opened
    assert "gemm_naive" in text and "overall" in text


def test_tables_list_cases_and_families(comparison: Comparison) -> None:
    console = Console(width=160, record=True)
    console.print(cases_table(comparison))
    console.print(families_table(comparison))
    console.print(library_table(comparison))
    text = console.export_text()
    assert "gemm_naive/m=256,n=256,k=256" in text and "+10.0" in text and "-20.0" in text
    assert "overall" in text and "Spearman" in text
    assert "library_gemm_bf16" in text and "TFLOP/s" in text
