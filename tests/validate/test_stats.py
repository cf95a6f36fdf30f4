"""Accuracy statistics on hand-computed examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpusim.validate.stats import (
    accuracy,
    average_ranks,
    error_pct,
    mape,
    median_abs_error_pct,
    pearson_r,
    spearman_rho,
)


def test_error_is_signed_percent_of_the_measurement() -> None:
    assert error_pct(simulated_s=1.1, measured_s=1.0) == pytest.approx(10.0)
    assert error_pct(simulated_s=0.5, measured_s=2.0) == pytest.approx(-75.0)


def test_mape_and_median_of_known_errors() -> None:
    errors = [10.0, -20.0, 30.0, -40.0]
    assert mape(errors) == 25.0
    assert median_abs_error_pct(errors) == 25.0
    assert median_abs_error_pct([5.0, -1.0, 100.0]) == 5.0


def test_pearson_of_perfectly_linear_data_is_one() -> None:
    assert pearson_r([1, 2, 3, 4], [3, 5, 7, 9]) == pytest.approx(1.0)
    assert pearson_r([1, 2, 3, 4], [-1, -2, -3, -4]) == pytest.approx(-1.0)


def test_pearson_of_a_hand_computed_example() -> None:
    # x - mean = (-1, 0, 1), y - mean = (-1, 1, 0): r = 1 / sqrt(2 * 2)
    assert pearson_r([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)


def test_pearson_is_undefined_for_one_point_or_a_constant_side() -> None:
    assert pearson_r([1.0], [2.0]) is None
    assert pearson_r([1, 2, 3], [5, 5, 5]) is None


def test_spearman_of_reversed_ranks_is_minus_one() -> None:
    assert spearman_rho([1, 2, 3, 4, 5], [50, 40, 30, 20, 10]) == pytest.approx(-1.0)
    # monotone but not linear: ranks agree perfectly
    assert spearman_rho([1, 2, 3, 4], [1, 8, 27, 1000]) == pytest.approx(1.0)


def test_tied_values_share_their_average_rank() -> None:
    assert list(average_ranks([10, 20, 20, 30])) == [1.0, 2.5, 2.5, 4.0]
    # ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): hand-computed r = 4.5 / sqrt(4.5 * 5)
    assert spearman_rho([10, 20, 20, 30], [1, 2, 3, 4]) == pytest.approx(4.5 / math.sqrt(22.5))


def test_accuracy_combines_every_figure() -> None:
    stats = accuracy(measured_s=[1.0, 2.0, 4.0], simulated_s=[1.1, 1.8, 4.4])
    assert stats.cases == 3
    assert stats.mape == pytest.approx(10.0)
    assert stats.median_abs_error_pct == pytest.approx(10.0)
    assert stats.mean_error_pct == pytest.approx(10.0 / 3)
    assert stats.spearman_rho == pytest.approx(1.0)
    assert stats.pearson_r is not None and 0.98 < stats.pearson_r < 1.0


def test_pearson_is_taken_on_log_times() -> None:
    # simulated = 2 x measured over four decades: linear in log space, r = 1 exactly
    measured = [1e-6, 1e-4, 1e-2]
    stats = accuracy(measured, [2 * t for t in measured])
    assert stats.pearson_r == pytest.approx(1.0)
    assert stats.mape == pytest.approx(100.0)


def test_accuracy_needs_paired_times() -> None:
    with pytest.raises(ValueError, match="as many"):
        accuracy([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one"):
        accuracy([], [])


@given(st.lists(st.tuples(st.floats(1e-6, 1e3), st.floats(1e-6, 1e3)), min_size=2, max_size=30))
def test_correlations_stay_within_minus_one_and_one(pairs: list[tuple[float, float]]) -> None:
    x, y = [p[0] for p in pairs], [p[1] for p in pairs]
    for value in (pearson_r(x, y), spearman_rho(x, y)):
        assert value is None or -1.0 <= value <= 1.0
    assert mape([error_pct(s, m) for m, s in pairs]) >= 0.0
