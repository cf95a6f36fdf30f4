"""A kernel's figures: timeline, stalls, cache hits and DRAM, checked through their data."""

from __future__ import annotations

import pytest

from gpusim.report import cache_figure, dram_figure, stall_figure, timeline_figure
from gpusim.spec import gpu_preset
from tests.report.conftest import kernel_result


def test_the_timeline_has_a_bar_per_cta_on_its_sm() -> None:
    figure = timeline_figure(kernel_result())
    (bars,) = figure.data
    assert bars.type == "bar" and bars.orientation == "h"
    assert bars.y == (0, 1, 0)
    assert bars.base == pytest.approx((1.0, 1.0, 5.0))
    assert bars.x == pytest.approx((4.0, 3.0, 4.0))
    assert bars.text == ("CTA 0", "CTA 1", "CTA 2")
    assert figure.layout.xaxis.title.text == "time (us)"
    assert figure.layout.yaxis.title.text == "SM"
    assert figure.layout.title.text == "CTA timeline (2 SMs simulated, fast mode)"


def test_a_timeline_needs_one_recorded() -> None:
    with pytest.raises(ValueError, match="simulate with timeline=True"):
        timeline_figure(kernel_result(timeline=False))


def test_stalls_are_sorted_largest_first_in_percent() -> None:
    (bars,) = stall_figure(kernel_result()).data
    assert bars.x == ("long scoreboard", "barrier", "lsu throttle")
    assert bars.y == (50.0, 25.0, 25.0)


def test_cache_hit_rates_in_percent() -> None:
    figure = cache_figure(kernel_result())
    (bars,) = figure.data
    assert (bars.x, bars.y) == (("L1", "L2"), (50.0, 75.0))
    assert figure.layout.yaxis.range == (0, 100)


def test_dram_bandwidth_beside_the_sustained_and_datasheet_peaks() -> None:
    h100 = gpu_preset("H100-SXM5-80GB")
    figure = dram_figure(kernel_result(), h100)
    (bars,) = figure.data
    assert bars.x == ("achieved", "sustained peak", "datasheet peak")
    assert bars.y == pytest.approx((6.0, 3350.0 * 0.9, 3350.0))
    assert figure.layout.title.text == "DRAM: 3.815 MiB read, 1.907 MiB written"
