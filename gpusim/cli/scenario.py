"""``gpusim scenario``: check a scenario file, or show what it resolves to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from gpusim.cli.output import console, print_json, spec_table
from gpusim.roofline import Bound
from gpusim.scenario import Scenario, check_sweep_points, load_scenario
from gpusim.units import format_decimal, format_seconds

app = typer.Typer(help="Check or show scenario files.", no_args_is_help=True)

ScenarioPath = Annotated[Path, typer.Argument(help="a scenario file (TOML)")]


@app.command("check")
def check(path: ScenarioPath) -> None:
    """Validate a scenario file and every sweep point; exit code 2 with the reason if not."""
    scenario = load_scenario(path)
    check_sweep_points(scenario)
    points = len(scenario.sweep_points()) if scenario.sweep_axes else 0
    sweep = f", sweep of {points} points" if points else ""
    console.print(f"ok: {path}: {scenario.hardware.name}, {scenario.workload.describe()}{sweep}")


@app.command("show")
def show(
    path: ScenarioPath,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show the resolved hardware, the workload and its roofline bound."""
    scenario = load_scenario(path)
    bound = scenario.bound()
    if as_json:
        print_json(_document(scenario, bound))
        return
    console.print(f"[bold]{scenario.name}[/bold]  ({scenario.source})")
    if description := scenario.document.get("description"):
        console.print(description)
    overrides = scenario.document.get("gpu", scenario.document.get("system", {}))["overrides"]
    if overrides:
        changed = ", ".join(f"{path} = {value!r}" for path, value in overrides.items())
        console.print(f"overrides: {changed}")
    console.print(spec_table(scenario.hardware, scenario.hardware.name, console.width))
    console.print(f"workload: {scenario.workload.describe()}")
    console.print(_bound_table(bound))
    if scenario.sweep_axes:
        console.print(
            f"sweep ({scenario.sweep_mode}, {len(scenario.sweep_points())} points): "
            + "; ".join(f"{p} = {v}" for p, v in scenario.sweep_axes.items())
        )


def _document(scenario: Scenario, bound: Bound) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "source": scenario.source,
        "hardware_kind": "gpu" if "gpu" in scenario.document else "system",
        "hardware": scenario.hardware.model_dump(),
        "workload": scenario.workload.model_dump(),
        "bound": bound.to_dict(),
        "sweep": {"mode": scenario.sweep_mode, "axes": dict(scenario.sweep_axes)}
        if scenario.sweep_axes
        else None,
    }


def _bound_table(bound: Bound) -> Table:
    table = Table(title="roofline bound", title_justify="left")
    table.add_column("quantity", style="cyan")
    table.add_column("value", justify="right")
    table.add_row("time", format_seconds(bound.time_s))
    table.add_row("limited by", bound.limiter)
    table.add_row("compute time", format_seconds(bound.compute_time_s))
    table.add_row("data-movement time", format_seconds(bound.movement_time_s))
    table.add_row("FLOPs", format_decimal(bound.flops, "FLOP"))
    table.add_row("bytes moved", format_decimal(bound.bytes_moved, "B"))
    if bound.time_s > 0 and bound.flops > 0:
        table.add_row("FLOP/s at the bound", format_decimal(bound.flops / bound.time_s, "FLOP/s"))
    return table
