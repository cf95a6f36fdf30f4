"""``gpusim collective NAME``: a collective swept over sizes, printed as nccl-tests prints it.

One command per collective (``allreduce``, ``allgather``, ``reducescatter``, ``broadcast``,
``reduce``), each a thin front over ``gpusim.collectives.sweep_collective``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from gpusim.cli.output import print_json
from gpusim.cli.progress import progress_line
from gpusim.collectives import (
    CollectiveResult,
    check_collective,
    simulate_collective,
    sweep_collective,
    sweep_sizes,
)
from gpusim.collectives.placement import rank_count
from gpusim.collectives.registry import ALGORITHMS
from gpusim.collectives.sizes import parse_size_range
from gpusim.collectives.tuner import check_protocol
from gpusim.errors import CollectiveError
from gpusim.roofline import DTYPE_BYTES
from gpusim.schema import validate_model
from gpusim.spec import SystemSpec, system_preset
from gpusim.units import format_bytes
from gpusim.workload import COLLECTIVE_KINDS, CollectiveWorkload

app = typer.Typer(
    help="Simulate a collective over message sizes (nccl-tests' table, alpha-beta bound beside)."
)

SystemOption = Annotated[str, typer.Option("--system", help="system preset (gpusim presets)")]
SizesOption = Annotated[
    str, typer.Option("--sizes", help="MIN:MAX doubling, or one size; K, M, G are 1024^n")
]
_ALGORITHM_NAMES = sorted({name for by_name in ALGORITHMS.values() for name in by_name})
AlgoOption = Annotated[
    str,
    typer.Option(
        "--algo",
        help=f"algorithm: auto (NCCL's tuner), {', '.join(_ALGORITHM_NAMES)} (not every one "
        "runs every collective)",
    ),
]
DtypeOption = Annotated[str, typer.Option("--dtype", help="element type: fp32, fp16 or bf16")]
RanksOption = Annotated[int | None, typer.Option("--ranks", help="GPUs taking part [all]")]
NodesOption = Annotated[int | None, typer.Option("--nodes", help="nodes of the system [preset]")]
ProtocolOption = Annotated[
    str | None,
    typer.Option(
        "--protocol",
        help="auto (NCCL's tuner), oracle (fastest of all), simple, ll128 or ll [preset]",
    ),
]
RootOption = Annotated[int, typer.Option("--root", help="root rank (broadcast, reduce)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON rows")]
TimelineOption = Annotated[
    Path | None,
    typer.Option("--timeline", help="write the link occupancy as a Chrome trace (one size)"),
]

_COLUMNS = (
    ("size", "(B)", 12),
    ("count", "(elements)", 12),
    ("type", "", 8),
    ("redop", "", 6),
    ("time", "(us)", 11),
    ("algbw", "(GB/s)", 7),
    ("busbw", "(GB/s)", 7),
    ("bound", "(us)", 11),
    ("algo", "", 5),
    ("proto", "", 6),
    ("ch", "", 3),
)
"""nccl-tests' columns (title, unit, width), and beside them the alpha-beta bound and the
algorithm, protocol and channels the collective ran with."""


def _command(collective: str) -> Callable[..., None]:
    """The command of one collective (typer reads its signature)."""

    def command(
        system: SystemOption,
        sizes: SizesOption = "8:8G",
        algo: AlgoOption = "auto",
        dtype: DtypeOption = "fp32",
        ranks: RanksOption = None,
        nodes: NodesOption = None,
        protocol: ProtocolOption = None,
        root: RootOption = 0,
        as_json: JsonOption = False,
        timeline: TimelineOption = None,
    ) -> None:
        hardware = _system(system, nodes, protocol)
        workload, count = _workload(hardware, collective, dtype, algo, ranks, root)
        sizes_bytes = sweep_sizes(
            workload, parse_size_range(sizes, field="--sizes"), count, field="--sizes"
        )
        if timeline is None:
            results = _sweep(hardware, workload, sizes_bytes)
        else:
            results = [_with_timeline(hardware, workload, sizes_bytes, timeline)]
        if as_json:
            print_json([result.row() for result in results])
        else:
            print_nccl_table(hardware, results, algo)

    command.__doc__ = f"Simulate {collective} over sizes on a system, as nccl-tests reports it."
    return command


for _name in ALGORITHMS:
    app.command(_name)(_command(_name))


def _system(name: str, nodes: int | None, protocol: str | None) -> SystemSpec:
    system = system_preset(name)
    overrides: dict[str, Any] = {}
    if nodes is not None:
        overrides["nodes"] = nodes
    if protocol is not None:
        overrides["collective.protocol"] = protocol
    try:
        return system.with_overrides(overrides)
    except ValueError as err:
        option = {"nodes": "--nodes", "collective.protocol": "--protocol"}
        field, _, message = str(err).partition(": ")
        raise CollectiveError(f"{option.get(field, field)}: {message}") from None


def _workload(
    system: SystemSpec, collective: str, dtype: str, algo: str, ranks: int | None, root: int
) -> tuple[CollectiveWorkload, int]:
    """The workload, checked against ``system``, at a placeholder size (the sweep replaces
    it), and its rank count; errors name the option at fault."""
    model = COLLECTIVE_KINDS[collective]
    fields: dict[str, Any] = {"dtype": dtype, "algo": algo, "ranks": ranks}
    if "root" in model.model_fields:
        fields["root"] = root
    try:
        count = rank_count(system, ranks)
        placeholder_bytes = DTYPE_BYTES.get(dtype, 1) * count
        workload = validate_model(model, {"size_bytes": placeholder_bytes, **fields})
        check_collective(system, workload)
        protocol = system.collective.protocol
        if algo != "auto" and protocol not in ("auto", "oracle"):
            check_protocol(system, algo, protocol, count)
    except (ValueError, CollectiveError) as err:
        raise CollectiveError(f"--{err}") from None
    return workload, count


def _sweep(
    system: SystemSpec, workload: CollectiveWorkload, sizes: list[int]
) -> list[CollectiveResult]:
    with progress_line(f"{workload.kind} on {system.name}", steps=len(sizes)) as line:
        return sweep_collective(system, workload, sizes, on_result=lambda _: line.step())


def print_nccl_table(
    system: SystemSpec, results: list[CollectiveResult], algo: str | None = None
) -> None:
    """The nccl-tests table of ``results`` (one collective at several sizes) on ``system``,
    asked for with ``algo`` (default: the one the first result ran)."""
    first = results[0]
    typer.echo(
        f"# gpusim {first.collective}: {system.name}, {first.ranks} ranks "
        f"({system.nodes} x {system.gpus_per_node} GPUs, {system.topology}), "
        f"algo {algo or first.algo}, protocol {system.collective.protocol}"
    )
    typer.echo("#")
    typer.echo("#" + _line(title for title, _, _ in _COLUMNS)[1:])
    typer.echo(("#" + _line(unit for _, unit, _ in _COLUMNS)[1:]).rstrip())
    for result in results:
        row = result.row()
        numbers = ("time_us", "algbw_gbps", "busbw_gbps", "bound_us")
        typer.echo(
            _line(
                (
                    str(row["size_bytes"]),
                    str(row["count"]),
                    row["type"],
                    row["redop"],
                    *(f"{row[name]:.2f}" for name in numbers),
                    row["algo"],
                    row["protocol"],
                    str(row["channels"]),
                )
            )
        )
    average = sum(result.busbw_bytes_per_s for result in results) / len(results) / 1e9
    typer.echo(f"# Avg bus bandwidth    : {average:.2f} GB/s")
    last = results[-1]
    busiest = last.busiest_link
    if busiest is not None:
        typer.echo(
            f"# Busiest link at {format_bytes(last.size_bytes)}: {busiest.name} "
            f"({busiest.utilisation:.1%} busy)"
        )


def _line(cells: Iterable[str]) -> str:
    """Cells right-aligned in their columns, a space apart even when one overflows."""
    return " ".join(f"{cell:>{width}}" for cell, (_, _, width) in zip(cells, _COLUMNS, strict=True))


def _with_timeline(
    system: SystemSpec, workload: CollectiveWorkload, sizes: list[int], path: Path
) -> CollectiveResult:
    """Simulate one size and write its link occupancy as Chrome trace events (open it in
    Perfetto or chrome://tracing: one row per link direction)."""
    if len(sizes) != 1:
        raise CollectiveError(f"--timeline: needs one size (e.g. --sizes 1M), got {len(sizes)}")
    result = simulate_collective(
        system, workload.with_overrides({"size_bytes": sizes[0]}), timeline=True
    )
    assert result.timeline is not None  # asked for
    events = [
        {
            "name": format_bytes(entry.size_bytes),
            "ph": "X",
            "pid": entry.link.split(".", 1)[0],
            "tid": entry.link,
            "ts": entry.start_s * 1e6,
            "dur": (entry.end_s - entry.start_s) * 1e6,
            "args": {"bytes": entry.size_bytes},
        }
        for entry in result.timeline
    ]
    try:
        path.write_text(json.dumps({"traceEvents": events}))
    except OSError as err:
        raise CollectiveError(f"--timeline: cannot write {path}: {err.strerror}") from None
    return result
