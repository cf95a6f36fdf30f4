"""A training step's timeline in text cells: the data of the timeline panel.

The bars are the ones the HTML report's Plotly timeline draws (``TrainingResult.timeline``):
one GPU stands for each pipeline stage, since the stage's data-parallel replicas and
tensor-parallel ranks run the same bars at the same times, and it has a compute stream and
a communication stream (``Bar.stream``). Each stage shown gets a row per stream; the time
axis, from 0 to the step's end, is cut into equal slices, one per cell.

A cell holds the kind of bar that covers most of its slice; a cell no bar overlaps is idle.
A bar that would then show in no cell (shorter than a slice, beside a longer bar of another
kind) takes the cell of its midpoint, so every bar is seen: a 15 ms optimizer step after
4 s of backward, a 1 ms send.

When the stages are more than the rows, evenly spaced stages are shown, the first and the
last among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gpusim.training.schedule import Bar, BarKind, Stream

STREAMS: tuple[Stream, ...] = ("compute", "comm")
KINDS: tuple[BarKind, ...] = ("forward", "backward", "optimizer", "send", "dp_allreduce")
"""Every kind of bar; of two covering a cell equally, the first listed is shown."""


@dataclass(frozen=True)
class StreamRow:
    """One stream of one stage's GPU: a kind of bar (or ``None``: idle) per cell."""

    stage: int
    stream: Stream
    cells: tuple[BarKind | None, ...]


def stages_of(bars: Sequence[Bar]) -> int:
    """Pipeline stages in the step (every stage runs forward bars)."""
    return 1 + max((bar.stage for bar in bars), default=-1)


def stages_shown(stages: int, room: int) -> tuple[int, ...]:
    """The stages that get rows when ``room`` stages fit: all of them, else ``room`` evenly
    spaced ones from the first to the last."""
    if stages <= room:
        return tuple(range(stages))
    if room <= 1:
        return (0,)
    return tuple(int(stage) for stage in np.linspace(0, stages - 1, room).round())


def stream_rows(
    bars: Sequence[Bar], end_s: float, stages: Sequence[int], columns: int
) -> tuple[StreamRow, ...]:
    """The compute row and the communication row of each of ``stages``, ``columns`` cells
    from 0 to ``end_s``."""
    edges = np.linspace(0.0, end_s, columns + 1)
    rows = []
    for stage in stages:
        for stream in STREAMS:
            row = [bar for bar in bars if bar.stage == stage and bar.stream == stream]
            rows.append(StreamRow(stage, stream, _cells(row, edges)))
    return tuple(rows)


def _cells(bars: Sequence[Bar], edges: npt.NDArray[np.float64]) -> tuple[BarKind | None, ...]:
    """The kind each cell between ``edges`` shows, for the bars of one row."""
    columns = len(edges) - 1
    cover = np.zeros((len(KINDS), columns))
    spans = []
    for bar in bars:
        overlap = np.minimum(edges[1:], bar.end_s) - np.maximum(edges[:-1], bar.start_s)
        cover[KINDS.index(bar.kind)] += np.clip(overlap, 0.0, None)
        spans.append(np.flatnonzero(overlap > 0))
    top = cover.argmax(axis=0)
    cells: list[BarKind | None] = [
        KINDS[kind] if cover[kind, cell] > 0 else None for cell, kind in enumerate(top)
    ]
    for bar, span in zip(bars, spans, strict=True):
        if len(span) and all(cells[cell] != bar.kind for cell in span):
            middle = int(np.searchsorted(edges, (bar.start_s + bar.end_s) / 2, "right")) - 1
            cells[min(max(middle, 0), columns - 1)] = bar.kind
    return tuple(cells)
