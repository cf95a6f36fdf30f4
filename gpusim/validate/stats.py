"""Accuracy statistics of simulated against measured times (NumPy only, no SciPy).

Errors are signed percentages of the measurement, ``100 (sim - measured) / measured``.
Pearson's r is taken over log10 times: the cases span four orders of magnitude, and on raw
times the largest case alone would decide r. Spearman's rho is rank-based (ties share
their average rank), so logarithms do not change it. Both are None where undefined: fewer
than two cases, or a side with no variation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def error_pct(simulated_s: float, measured_s: float) -> float:
    """Signed error of the simulation in percent of the measurement."""
    return 100.0 * (simulated_s - measured_s) / measured_s


def mape(errors_pct: Sequence[float]) -> float:
    """Mean absolute percentage error."""
    return float(np.mean(np.abs(np.asarray(errors_pct, dtype=np.float64))))


def median_abs_error_pct(errors_pct: Sequence[float]) -> float:
    """Median of the absolute percentage errors."""
    return float(np.median(np.abs(np.asarray(errors_pct, dtype=np.float64))))


def pearson_r(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient; None for fewer than two points or a constant side."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.size != ys.size:
        raise ValueError(f"pearson_r: {xs.size} x values but {ys.size} y values")
    if xs.size < 2:
        return None
    dx, dy = xs - xs.mean(), ys - ys.mean()
    norm = float(np.sqrt(np.sum(dx * dx) * np.sum(dy * dy)))
    if norm == 0.0:
        return None
    return float(np.clip(np.sum(dx * dy) / norm, -1.0, 1.0))


def average_ranks(values: Sequence[float]) -> FloatArray:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    data = np.asarray(values, dtype=np.float64)
    order = np.argsort(data, kind="stable")
    ranks = np.empty(data.size, dtype=np.float64)
    ranks[order] = np.arange(1, data.size + 1, dtype=np.float64)
    _, inverse, counts = np.unique(data, return_inverse=True, return_counts=True)
    rank_sums = np.bincount(inverse, weights=ranks)
    averaged: FloatArray = rank_sums[inverse] / counts[inverse]
    return averaged


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation: Pearson's r of the average ranks."""
    if len(x) != len(y):
        raise ValueError(f"spearman_rho: {len(x)} x values but {len(y)} y values")
    return pearson_r(list(average_ranks(x)), list(average_ranks(y)))


@dataclass(frozen=True)
class AccuracyStats:
    """How well a set of simulated times matches the measured ones."""

    cases: int
    mape: float
    median_abs_error_pct: float
    mean_error_pct: float
    """Signed: positive when the simulator is slow on average."""
    std_error_pct: float
    pearson_r: float | None
    """Over log10 times."""
    spearman_rho: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def accuracy(measured_s: Sequence[float], simulated_s: Sequence[float]) -> AccuracyStats:
    """Every statistic for paired measured and simulated times (at least one pair)."""
    if not measured_s or len(measured_s) != len(simulated_s):
        raise ValueError("accuracy: needs as many simulated as measured times, at least one")
    errors = [error_pct(sim, meas) for meas, sim in zip(measured_s, simulated_s, strict=True)]
    return AccuracyStats(
        cases=len(errors),
        mape=mape(errors),
        median_abs_error_pct=median_abs_error_pct(errors),
        mean_error_pct=float(np.mean(errors)),
        std_error_pct=float(np.std(errors)),
        pearson_r=pearson_r(np.log10(measured_s).tolist(), np.log10(simulated_s).tolist()),
        spearman_rho=spearman_rho(measured_s, simulated_s),
    )
