"""Terminal plots (textual-plot's ``PlotWidget``): the roofline and busbw against size.

``PlotWidget`` draws linear axes, so both plots draw the logarithm of their data and label
the ticks with the numbers themselves (``1T``, ``64M``). The plots take no focus, so keys
(``r`` above all) stay the explorer's; the mouse still zooms and pans them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plot import AxisFormatter, HiResMode, PlotWidget

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import KernelResult
from gpusim.roofline import simt_flops_per_s, tensor_flops_per_s
from gpusim.tui.history import RunRecord
from gpusim.units import format_bytes, format_decimal
from gpusim.workload import GemmWorkload

RUN_STYLE = "bold yellow"
BASELINE_STYLE = "magenta"
ROOF_STYLE = "bright_blue"
ROOF_POINTS = 240
TICK_STEPS = (1, 2, 5, 10, 20, 50)
"""Ticks fall on powers whose exponent is a multiple of the first step that fits."""
SUBDIVIDE_BELOW_DECADES = 2
"""An axis spanning fewer powers of its base than this gets intermediate ticks."""


class LogAxisFormatter(AxisFormatter):
    """Ticks at whole powers of ``base`` along an axis that holds log(value)."""

    def __init__(
        self, base: float, label: Callable[[float], str], subdivisions: Sequence[float] = (1,)
    ) -> None:
        self._base = base
        self._label = label
        self._subdivisions = subdivisions

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        first, last = math.floor(min_), math.ceil(max_)
        if last - first <= SUBDIVIDE_BELOW_DECADES:
            # A narrow axis gets ticks at 1, 2 and 5 times each power as well.
            ticks = [
                power + math.log(m, self._base)
                for power in range(first, last + 1)
                for m in self._subdivisions
            ]
        else:
            for step in TICK_STEPS:
                start = math.ceil(first / step) * step
                ticks = [float(power) for power in range(start, last + 1, step)]
                if len(ticks) <= max(max_ticks, 2):
                    break
        return [tick for tick in ticks if min_ <= tick <= max_]

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [self._label(self._base**tick) for tick in ticks]


def decimal_tick(value: float) -> str:
    """``1e12 -> '1T'``."""
    return format_decimal(value, "", digits=3).replace(" ", "")


def binary_tick(value: float) -> str:
    """``1048576 -> '1M'`` (sizes in powers of 1024, as nccl-tests' sizes go)."""
    return format_bytes(value).replace(" ", "").replace("iB", "").removesuffix("B")


class Plot(PlotWidget, can_focus=False):
    """A ``PlotWidget`` that leaves the keyboard to the explorer."""

    DEFAULT_CSS = """
    Plot {
        height: 1fr;
        min-height: 8;
    }
    """


class RooflineView(Vertical):
    """The kernel's point (and the baseline's) under the GPU's DRAM and compute roofs."""

    DEFAULT_CSS = """
    RooflineView #roofline-caption {
        height: auto;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("The roofline of a kernel run appears here.", id="roofline-caption")
        yield Plot(id="roofline-plot")

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Place ``record`` (and ``baseline``, if a kernel run) on its GPU's roofline."""
        result, plot = record.result, self.query_one(Plot)
        caption = self.query_one("#roofline-caption", Static)
        plot.clear()
        workload = record.scenario.workload
        if not isinstance(result, KernelResult) or not isinstance(workload, GemmWorkload):
            plot.display = False
            caption.update(
                "A copy does no arithmetic: the roofline does not place it. Its DRAM "
                "bandwidth (summary) is the figure to read against the datasheet's."
            )
            return
        plot.display = True
        gpu = record.scenario.gpu
        if workload.tensor_cores:
            peak, roof = tensor_flops_per_s(gpu, workload.dtype), f"{workload.dtype} tensor"
        else:
            peak, roof = simt_flops_per_s(gpu, workload.dtype), f"{workload.dtype} SIMT"
        bandwidth = gpu.dram.bandwidth_bytes_per_s
        points = [_Point(result, "this run", RUN_STYLE, "●")]
        if (
            baseline is not None
            and baseline.number != record.number
            and isinstance(baseline.result, KernelResult)
            and baseline.result.flops > 0
        ):  # drawn first, so the run's own point stays on top
            points.insert(
                0, _Point(baseline.result, f"baseline {baseline.title}", BASELINE_STYLE, "○")
            )
        xs = [_intensity(point.result) for point in points] + [peak / bandwidth]
        low, high = math.log10(min(xs)) - 1, math.log10(max(xs)) + 1
        x = np.linspace(low, high, ROOF_POINTS)
        plot.plot(x, np.log10(np.minimum(peak, bandwidth * 10**x)), ROOF_STYLE, HiResMode.BRAILLE)
        for point in points:
            position = _intensity(point.result), point.result.flops_per_s
            plot.scatter(
                [math.log10(position[0])],
                [math.log10(position[1])],
                marker=point.marker,
                marker_style=point.style,
            )
        plot.set_x_formatter(LogAxisFormatter(10, decimal_tick, (1, 2, 5)))
        plot.set_y_formatter(LogAxisFormatter(10, decimal_tick, (1, 2, 5)))
        plot.set_xlabel("FLOP per DRAM byte")
        plot.set_ylabel("FLOP/s")
        caption.update(_roofline_caption(points, peak, bandwidth, roof))


class BusbwView(Vertical):
    """A collective's bus bandwidth against message size (and the baseline's)."""

    DEFAULT_CSS = """
    BusbwView #busbw-caption {
        height: auto;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("busbw against size appears here for a collective.", id="busbw-caption")
        yield Plot(id="busbw-plot")

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Plot ``record``'s sweep (and ``baseline``'s, if it is a collective run)."""
        result, plot = record.result, self.query_one(Plot)
        plot.clear()
        if not isinstance(result, CollectiveResult):
            return
        runs = [(record, RUN_STYLE)]
        if baseline is not None and baseline.number != record.number and baseline.outcome.sweep:
            runs.append((baseline, BASELINE_STYLE))
        for run, style in runs:
            sizes = [point.size_bytes for point in run.outcome.sweep]
            busbw = [point.busbw_bytes_per_s / 1e9 for point in run.outcome.sweep]
            plot.plot(np.log2(sizes), busbw, style, HiResMode.BRAILLE)
        plot.add_v_line(math.log2(result.size_bytes), "dim")
        plot.set_x_formatter(LogAxisFormatter(2, binary_tick))
        plot.set_ylimits(0, None)
        plot.set_xlabel("size (bytes)")
        plot.set_ylabel("busbw GB/s")
        self.query_one("#busbw-caption", Static).update(_busbw_caption(runs))


@dataclass(frozen=True)
class _Point:
    """A kernel run placed on the roofline."""

    result: KernelResult
    label: str
    style: str
    marker: str


def _intensity(result: KernelResult) -> float:
    """FLOP per byte of DRAM traffic (a run that never touched DRAM sits far right)."""
    dram_bytes = result.dram_read_bytes + result.dram_write_bytes
    return result.flops / max(dram_bytes, 1.0)


def _roofline_caption(points: list[_Point], peak: float, bandwidth: float, roof: str) -> Text:
    caption = Text()
    for point in reversed(points):
        intensity = _intensity(point.result)
        achieved = point.result.flops_per_s
        share = achieved / min(peak, bandwidth * intensity)
        caption.append(f"{point.marker} ", style=point.style)
        caption.append(
            f"{point.label}: {intensity:.3g} FLOP/B, {format_decimal(achieved, 'FLOP/s')}, "
            f"{share:.0%} of the roof\n"
        )
    caption.append(
        f"roofs: DRAM {format_decimal(bandwidth, 'B/s')}, {roof} "
        f"{format_decimal(peak, 'FLOP/s')}, ridge at {peak / bandwidth:.3g} FLOP/B",
        style="dim",
    )
    return caption


def _busbw_caption(runs: list[tuple[RunRecord, str]]) -> Text:
    caption = Text()
    for run, style in runs:
        result = run.result
        assert isinstance(result, CollectiveResult)  # only collective runs are plotted
        best = max(run.outcome.sweep, key=lambda point: point.busbw_bytes_per_s)
        who = "this run" if style == RUN_STYLE else f"baseline {run.title}"
        caption.append("━ ", style=style)
        caption.append(
            f"{who}: {format_decimal(result.busbw_bytes_per_s, 'B/s')} at "
            f"{format_bytes(result.size_bytes)} (dotted line); best "
            f"{format_decimal(best.busbw_bytes_per_s, 'B/s')} at {format_bytes(best.size_bytes)}\n"
        )
    caption.rstrip()
    return caption
