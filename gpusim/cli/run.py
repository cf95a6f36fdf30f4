"""``gpusim run``: simulate a scenario and say how long it takes and why."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gpusim.api import simulate_scenario
from gpusim.cli.collective import print_nccl_table
from gpusim.cli.output import console, print_json
from gpusim.cli.progress import progress_line
from gpusim.collectives import CollectiveResult
from gpusim.files import check_writable, reporting_write_errors
from gpusim.hw.sm.result import KernelResult, Mode
from gpusim.report import write_report
from gpusim.roofline import Bound
from gpusim.scenario import Scenario, load_scenario
from gpusim.spec.system import SystemSpec
from gpusim.store import NewRecord, ResultStore, result_metrics
from gpusim.training.result import TrainingResult
from gpusim.training.summary import summary_rows
from gpusim.units import format_bytes, format_decimal, format_seconds
from gpusim.workload import CollectiveWorkload, KernelWorkload

stderr = Console(stderr=True)


def run(
    path: Annotated[Path, typer.Argument(help="a scenario file (TOML)")],
    detailed: Annotated[
        bool, typer.Option("--detailed", help="simulate every SM and warp (slow; checks fast mode)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="write a self-contained HTML report here")
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="results store (default: $GPUSIM_STORE or the cache)"),
    ] = None,
) -> None:
    """Simulate a scenario: its time, throughput, bottleneck and roofline bound.

    The run is kept in the results store (``gpusim results``).
    """
    scenario = load_scenario(path)
    if html is not None:
        check_writable(html, "--html")
    with ResultStore(store) as results:
        results.check_writable()  # before the simulation, whose result would be lost
    mode: Mode = "detailed" if detailed else "fast"
    timeline = html is not None and not isinstance(scenario.workload, CollectiveWorkload)
    start_s = time.perf_counter()
    kernel = isinstance(scenario.workload, KernelWorkload)  # the others report no fraction
    with progress_line(f"simulating {scenario.name} ({mode})", fraction=kernel) as line:
        result = simulate_scenario(
            scenario, mode=mode, timeline=timeline, progress=line.fraction if kernel else None
        )
    wall_s = time.perf_counter() - start_s
    bound = scenario.bound()
    metrics = result_metrics(result, bound)
    with ResultStore(store) as results:
        record = NewRecord.of_scenario(
            scenario, kind="run", mode=mode, wall_s=wall_s, metrics=metrics
        )
        run_id = results.add(record)
        stderr.print(f"stored as record {run_id} in {results.path}", style="dim", markup=False)
    if as_json:
        print_json({**_document(scenario, result, bound, mode), "run_id": run_id})
    elif isinstance(result, CollectiveResult):
        assert isinstance(scenario.hardware, SystemSpec)  # a collective runs on a system
        print_nccl_table(scenario.hardware, [result])
    elif isinstance(result, TrainingResult):
        _print_training(scenario, result)
    else:
        _print_kernel(scenario, result, bound)
    if html is not None:  # after the summary: a report that fails to write loses nothing
        with reporting_write_errors(html, "--html"):
            write_report(result, html, scenario=scenario, bound=bound)
        stderr.print(f"report: {html}", style="dim", markup=False)


def _document(
    scenario: Scenario,
    result: KernelResult | CollectiveResult | TrainingResult,
    bound: Bound,
    mode: str,
) -> dict[str, Any]:
    document: dict[str, Any] = {"scenario": scenario.name, "mode": mode}
    if isinstance(result, CollectiveResult):
        return {**document, **result.to_dict(), "time_s": result.time_s}
    if isinstance(result, TrainingResult):
        return {**document, **result.to_dict(), "bound": bound.to_dict()}
    data = result.to_dict()
    data.pop("timeline")
    return {
        **document,
        **data,
        "dram_bytes": result.dram_read_bytes + result.dram_write_bytes,
        "bound": bound.to_dict(),
        "fraction_of_bound": bound.time_s / result.time_s,
    }


def _print_training(scenario: Scenario, result: TrainingResult) -> None:
    console.print(
        f"[bold]{scenario.name}[/bold]: {scenario.workload.describe()} on {result.system}",
        soft_wrap=True,
    )
    console.print(_summary_table(summary_rows(result)))


def _print_kernel(scenario: Scenario, result: KernelResult, bound: Bound) -> None:
    console.print(
        f"[bold]{scenario.name}[/bold]: {scenario.workload.describe()} on {result.gpu} "
        f"({result.mode} mode)",
        soft_wrap=True,
    )
    rows = [
        (
            "time",
            format_seconds(result.time_s),
            f"launch {format_seconds(result.launch_overhead_s)}"
            f" + execution {format_seconds(result.execution_s)}",
        ),
        (
            "throughput",
            format_decimal(result.flops_per_s, "FLOP/s"),
            f"{format_decimal(result.flops, 'FLOP')} in all",
        ),
        (
            "DRAM",
            format_decimal(result.dram_bandwidth_bytes_per_s, "B/s"),
            f"{format_bytes(result.dram_read_bytes)} read, "
            f"{format_bytes(result.dram_write_bytes)} written",
        ),
        (
            "roofline bound",
            format_seconds(bound.time_s),
            f"{bound.time_s / result.time_s:.0%} of the simulated time ({bound.limiter})",
        ),
        (
            "occupancy",
            f"{result.achieved_occupancy:.0%}",
            f"theoretical {result.theoretical_occupancy:.0%}, {result.ctas_per_sm} CTAs/SM "
            f"({result.occupancy_limiter}), {result.waves:.2f} waves",
        ),
        ("IPC", f"{result.ipc:.2f}", f"issue slots {result.issue_slot_utilisation:.0%} used"),
        ("cache hits", f"L1 {result.l1_hit_rate:.0%}", f"L2 {result.l2_hit_rate:.0%}"),
    ]
    console.print(_summary_table(rows))
    stalls = sorted(result.stall_fractions.items(), key=lambda item: -item[1])
    shown = ", ".join(
        f"{name.replace('_', ' ')} {share:.0%}" for name, share in stalls if share >= 0.01
    )
    console.print(f"[cyan]bottleneck[/cyan] {result.bottleneck}", soft_wrap=True)
    console.print(f"[cyan]stalls[/cyan] {shown}", soft_wrap=True)


def _summary_table(rows: Iterable[tuple[str, str, str]]) -> Table:
    """A run's summary: name (cyan), figure (right-aligned), detail (dim), no header."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="cyan")
    table.add_column(justify="right")
    table.add_column(style="dim")
    for row in rows:
        table.add_row(*row)
    return table
