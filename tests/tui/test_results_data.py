"""What the results views are drawn from: per-SM activity, deltas, the history, bars."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.hw.sm.result import CtaSpan
from gpusim.scenario import load_scenario, scenario_from_dict
from gpusim.tui.activity import activity
from gpusim.tui.history import History, unmodified
from gpusim.tui.jobs import Outcome
from gpusim.tui.metrics import KERNEL_METRICS, Delta, delta
from gpusim.tui.widgets.bars import bar
from gpusim.tui.widgets.heatmap import shade
from tests.tui.conftest import SMALL_GEMM

TIME, THROUGHPUT, DRAM = KERNEL_METRICS[:3]


def test_activity_averages_slot_use_over_each_slice() -> None:
    spans = [CtaSpan(0, 0, 0.0, 4.0), CtaSpan(0, 1, 2.0, 4.0), CtaSpan(1, 2, 0.0, 2.0)]
    grid = activity(spans, ctas_per_sm=2, columns=2, rows=8)
    assert grid.labels == ("SM 0", "SM 1")
    assert grid.end_s == 4.0
    np.testing.assert_allclose(grid.share, [[0.5, 1.0], [0.5, 0.0]])


def test_activity_groups_sms_when_rows_are_few() -> None:
    spans = [CtaSpan(sm, sm, 0.0, 1.0) for sm in range(6)]
    grid = activity(spans, ctas_per_sm=1, columns=1, rows=2)
    assert grid.labels == ("SM 0-2", "SM 3-5")
    np.testing.assert_allclose(grid.share, [[1.0], [1.0]])


def test_activity_of_no_timeline_is_empty() -> None:
    assert activity([], ctas_per_sm=1, columns=4, rows=4).labels == ()


@pytest.mark.parametrize(
    ("metric", "value", "baseline", "text", "verdict"),
    [
        (TIME, 0.95, 1.0, "▼ -5.0% better", "better"),
        (TIME, 1.2, 1.0, "▲ +20% worse", "worse"),
        (THROUGHPUT, 1.2, 1.0, "▲ +20% better", "better"),
        (DRAM, 1.2, 1.0, "▲ +20%", "changed"),
        (TIME, 1.0002, 1.0, "= same", "same"),
        (THROUGHPUT, 5.0, 0.0, "▲ from 0 better", "better"),
    ],
)
def test_a_change_reads_without_colour(
    metric: object, value: float, baseline: float, text: str, verdict: str
) -> None:
    change = delta(metric, value, baseline)  # type: ignore[arg-type]
    assert isinstance(change, Delta)
    assert (change.text(), change.verdict) == (text, verdict)


def test_bars_use_eighth_blocks() -> None:
    assert bar(0.5, 4) == "██  "
    assert bar(0.5 + 1 / 32, 4) == "██▏ "
    assert bar(2.0, 3) == "███"
    assert shade(0.0) == (" ", "")
    assert [shade(share)[0] for share in (0.1, 0.3, 0.6, 1.0)] == list("░▒▓█")


def test_the_default_baseline_is_the_unmodified_preset() -> None:
    scenario = load_scenario(SMALL_GEMM)
    document = {
        **scenario.document,
        "gpu": {"preset": "H100-SXM5-80GB", "overrides": {"sm.count": 66}},
    }
    baseline = unmodified(document)
    assert baseline["gpu"] == {"preset": "H100-SXM5-80GB", "overrides": {}}
    assert baseline["name"] == "H100-SXM5-80GB preset"
    assert baseline["workload"] == scenario.document["workload"]


def test_history_finds_a_run_of_the_same_setup() -> None:
    history = History()
    scenario = load_scenario(SMALL_GEMM)
    record = history.add(scenario, "fast", Outcome(result=None))  # type: ignore[arg-type]
    same = scenario_from_dict({**scenario.document, "name": "another name"})
    assert history.find(same, "fast") is record
    assert history.find(same, "detailed") is None
    assert history.get(1) is record and len(history) == 1
