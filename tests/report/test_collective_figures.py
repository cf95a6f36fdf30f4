"""A collective's figures: links busiest first, time beside the bound; and the size sweep
of a collective as busbw and time against size."""

from __future__ import annotations

import dataclasses

import pytest

from gpusim.report import link_figure, sweep_figures, time_figure
from tests.report.conftest import collective_result, kernel_sweep


def test_links_are_shown_busiest_first_in_percent() -> None:
    (bars,) = link_figure(collective_result()).data
    assert bars.x == ("node0.gpu1.nvlink.out", "node0.gpu0.nvlink.out")
    assert bars.y == (75.0, 50.0)


def test_time_stands_beside_its_bound() -> None:
    (bars,) = time_figure(collective_result()).data
    assert bars.x == ("simulated", "bound")
    assert bars.y == pytest.approx((100.0, 50.0))


def test_a_collective_size_sweep_plots_time_and_busbw_against_size_on_log_axes() -> None:
    sizes = [1024, 1 << 20, 1 << 30]
    base = kernel_sweep({"workload.size_bytes": sizes}, [1e-5, 2e-5, 1e-2])
    records = tuple(
        dataclasses.replace(
            record,
            metrics={
                "time_s": record.metrics["time_s"],
                "busbw_bytes_per_s": 1.5 * size / record.metrics["time_s"],
                "algbw_bytes_per_s": size / record.metrics["time_s"],
            },
        )
        for record, size in zip(base.records, sizes, strict=True)
    )
    sweep = dataclasses.replace(base, family="collective", records=records)
    figures = sweep_figures(sweep)
    assert [figure.layout.title.text for figure in figures] == [
        "time vs workload.size_bytes",
        "bus bandwidth vs workload.size_bytes",
        "algorithm bandwidth vs workload.size_bytes",
    ]
    busbw = figures[1].data[0]
    assert busbw.x == tuple(sizes)
    assert busbw.y == pytest.approx(
        (1.5 * 1024 / 1e-5 / 1e9, 1.5 * (1 << 20) / 2e-5 / 1e9, 1.5 * (1 << 30) / 1e-2 / 1e9)
    )
    assert figures[1].layout.xaxis.type == "log"
