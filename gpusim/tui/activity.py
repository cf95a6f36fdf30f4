"""Per-SM activity over time, from a kernel's CTA timeline: the data of the heatmap.

Each cell is the share of an SM's CTA slots (``ctas_per_sm``) that were occupied during a
slice of the run, averaged over the slice, so a cell reads 1.0 when the SM was full all
through it. When there are more SMs than rows to draw, neighbouring SMs share a row and
their shares are averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm.result import CtaSpan


@dataclass(frozen=True)
class Activity:
    """Occupancy of CTA slots per row of SMs (rows) and slice of time (columns)."""

    labels: tuple[str, ...]
    """``SM 3`` or ``SM 8-15`` for each row."""
    share: npt.NDArray[np.float64]
    """Rows x columns, each in [0, 1]."""
    end_s: float
    """The time axis runs from 0 (the launch) to ``end_s``."""


def activity(spans: Sequence[CtaSpan], ctas_per_sm: int, *, columns: int, rows: int) -> Activity:
    """The occupancy grid of ``spans`` in at most ``rows`` rows and exactly ``columns``."""
    if not spans or columns < 1 or rows < 1:
        return Activity((), np.zeros((0, max(columns, 0))), 0.0)
    sms = sorted({span.sm for span in spans})
    end_s = max(span.end_s for span in spans)
    edges = np.linspace(0.0, end_s, columns + 1)
    busy = np.zeros((len(sms), columns))
    index = {sm: i for i, sm in enumerate(sms)}
    for span in spans:
        overlap = np.minimum(edges[1:], span.end_s) - np.maximum(edges[:-1], span.start_s)
        busy[index[span.sm]] += np.clip(overlap, 0.0, None)
    share = busy / (np.diff(edges) * max(ctas_per_sm, 1))
    groups = np.array_split(np.arange(len(sms)), min(rows, len(sms)))
    labels = tuple(_label(sms[group[0]], sms[group[-1]]) for group in groups)
    grouped = np.stack([share[group].mean(axis=0) for group in groups])
    return Activity(labels, np.clip(grouped, 0.0, 1.0), end_s)


def _label(first: int, last: int) -> str:
    return f"SM {first}" if first == last else f"SM {first}-{last}"
