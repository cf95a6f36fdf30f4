"""The results' first tab: the run's figures, each with its change against the baseline."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import KernelResult
from gpusim.spec.system import SystemSpec
from gpusim.training.result import TrainingResult
from gpusim.training.summary import summary_rows
from gpusim.tui.history import RunRecord
from gpusim.tui.metrics import Delta, delta, metrics_of
from gpusim.units import format_bytes, format_decimal, format_seconds

VERDICT_STYLES = {"better": "bold green", "worse": "bold red", "same": "dim", "changed": "yellow"}

NO_RUN = (
    "No run yet.\n\nPress r to simulate the scenario as edited; its figures appear here, "
    "compared with the baseline (by default the same workload on the unmodified preset), "
    "and beside them a kernel's stalls, per-SM activity and roofline, a collective's busbw "
    "curve, or a training step's timeline."
)


def delta_text(change: Delta) -> Text:
    """A change in its colour, with its arrow and word (it reads without colour too)."""
    return Text(change.text(), style=VERDICT_STYLES[change.verdict])


def baseline_line(record: RunRecord, baseline: RunRecord | None) -> Text:
    """Which run the changes are measured against."""
    if baseline is None:
        return Text("no baseline yet: the unmodified preset's run, or b on any run", style="dim")
    if baseline.number == record.number:
        return Text("this run is the baseline", style="dim")
    return Text(f"vs baseline {baseline.title}", style="dim")


def summary(record: RunRecord, baseline: RunRecord | None) -> RenderableType:
    """The run's heading, figures with changes, bound and bottleneck."""
    heading = Text.assemble(
        (record.scenario.name, "bold"), f"  run #{record.number}, {record.mode} mode"
    )
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("figure", style="cyan", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("change", no_wrap=True)
    compare = baseline is not None and baseline.number != record.number
    for metric in metrics_of(record.result):
        value = metric.read(record.result)
        change = Text("")
        if compare and baseline is not None:
            change = delta_text(delta(metric, value, metric.read(baseline.result)))
        table.add_row(metric.label, metric.show(value), change)
    details = Table(show_header=False, box=None, pad_edge=False, expand=True)
    details.add_column("figure", style="cyan", no_wrap=True)
    details.add_column("value", ratio=1)
    for label, text in _details(record):
        details.add_row(label, text)
    return Group(
        heading,
        Text(record.describe(), style="italic"),
        baseline_line(record, baseline),
        Text(""),
        table,
        Text(""),
        details,
    )


def _details(record: RunRecord) -> list[tuple[str, str]]:
    result, bound = record.result, record.bound
    share = f"{bound.time_s / result.time_s:.0%}"
    rows = [("bound", f"{format_seconds(bound.time_s)} ({bound.limiter}), {share} of the run")]
    if isinstance(result, KernelResult):
        rows.append(("bottleneck", result.bottleneck))
        rows.append(
            (
                "launch",
                f"{result.ctas} CTAs, {result.ctas_per_sm} per SM ({result.occupancy_limiter}), "
                f"{result.waves:.2f} waves",
            )
        )
    elif isinstance(result, CollectiveResult):
        busiest = result.busiest_link
        rows.append(
            ("protocol", f"{result.protocol}, {result.channels} channels, {result.ranks} ranks")
        )
        if busiest is not None:
            rows.append(
                (
                    "busiest link",
                    f"{busiest.name}: {busiest.utilisation:.0%} busy, "
                    f"{format_decimal(busiest.carried_bytes, 'B')} carried",
                )
            )
    elif isinstance(result, TrainingResult):
        rows += [(what, detail) for what, _, detail in summary_rows(result) if detail]
        rows.append(("HBM", _fit(record, result)))
    return rows


def _fit(record: RunRecord, result: TrainingResult) -> str:
    """The fullest GPU's memory against its HBM (a step that does not fit is refused before
    it runs, naming the field)."""
    system = record.scenario.hardware
    assert isinstance(system, SystemSpec)  # a training step runs on a system
    capacity_bytes = system.gpu.dram.capacity_bytes
    used_bytes = result.memory.total_bytes
    return (
        f"fits: {format_bytes(used_bytes)} of {format_bytes(capacity_bytes)} "
        f"({used_bytes / capacity_bytes:.0%}) on the fullest GPU"
    )


class SummaryView(Static):
    """The summary of the run shown (or how to make one)."""

    DEFAULT_CSS = """
    SummaryView {
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(NO_RUN, id=id)

    def show(self, record: RunRecord, baseline: RunRecord | None) -> None:
        """Show ``record`` against ``baseline``."""
        self.update(summary(record, baseline))
