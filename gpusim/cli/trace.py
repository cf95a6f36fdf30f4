"""``gpusim trace``: the SIMT trace of a kernel launch, built or read back.

``gpusim trace KERNEL --size MxNxK`` compiles the kernel, emulates its PTX and prints the
summary; ``gpusim trace show FILE.npz`` prints a saved trace's summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from gpusim.cli.output import console, print_json
from gpusim.cli.progress import progress_line
from gpusim.cuda.fit import check_fits_gpu
from gpusim.cuda.kernels import KERNEL_NAMES, KERNELS, SizeOptions, get_kernel
from gpusim.errors import KernelError
from gpusim.files import check_writable, reporting_write_errors
from gpusim.spec import gpu_preset
from gpusim.units import format_bytes, format_decimal

if TYPE_CHECKING:
    from gpusim.cuda.trace import TraceSummary


def _size_help() -> str:
    """Each family's size syntax; a family whose kernels differ lists them by name."""
    syntaxes: dict[str, dict[str, str]] = {}
    for kernel in KERNELS:
        syntaxes.setdefault(kernel.family, {})[kernel.name] = kernel.size_syntax
    parts: list[str] = []
    for family, by_kernel in syntaxes.items():
        if len(set(by_kernel.values())) == 1:
            parts.append(f"{family}: {next(iter(by_kernel.values()))}")
        else:
            parts.extend(f"{name}: {syntax}" for name, syntax in by_kernel.items())
    return "; ".join(parts)


SIZE_HELP = _size_help()


def trace(
    kernel: Annotated[str, typer.Argument(help=f"a kernel ({', '.join(KERNEL_NAMES)}), or 'show'")],
    file: Annotated[
        Path | None, typer.Argument(help="with 'show': the trace file (.npz) to read")
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(help=SIZE_HELP),
    ] = None,
    ranks: Annotated[int, typer.Option(help="all-reduce: ranks in the ring")] = 8,
    step: Annotated[int, typer.Option(help="all-reduce: the ring step")] = 0,
    rank: Annotated[int, typer.Option(help="all-reduce step kernels: the rank")] = 0,
    gpu: Annotated[
        str, typer.Option(help="the GPU preset whose compute capability to compile for")
    ] = "H100-SXM5-80GB",
    out: Annotated[Path | None, typer.Option(help="save the trace here (.npz)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Build a kernel's trace (or read one with 'show') and print its summary."""
    from gpusim.api import kernel_trace  # the compiler and the emulator load for this command
    from gpusim.cuda.trace import KernelTrace

    built: KernelTrace | None = None
    if kernel == "show":
        if file is None:
            raise KernelError("trace show: name the trace file to read")
        summary = KernelTrace.load(file).summary()
    else:
        if size is None:
            raise KernelError(f"--size: {kernel} needs a size")
        params = get_kernel(kernel).parse_size(size, SizeOptions(ranks, step, rank))
        target = gpu_preset(gpu)
        try:
            check_fits_gpu(kernel, params, target.dram.capacity_bytes, target.name)
        except KernelError as err:
            raise KernelError(f"--size {size}: {err}") from None
        if out is not None:
            check_writable(out, "--out")
        with progress_line(f"tracing {kernel} {size}"):
            built = kernel_trace(target, kernel, params)
        summary = built.summary()
    if as_json:
        print_json(summary.to_dict())
    else:
        _print(summary)
    if built is not None and out is not None:  # after the summary: a failed save loses nothing
        with reporting_write_errors(out, "--out"):
            built.save(out)


def _print(summary: TraceSummary) -> None:
    grid, block = summary.grid, summary.block
    console.print(
        f"[bold]{summary.kernel}[/bold]: grid {grid[0]}x{grid[1]}x{grid[2]}, "
        f"block {block[0]}x{block[1]}x{block[2]}, {summary.ctas} CTAs, {summary.warps} warps, "
        f"{summary.cta_classes} CTA class(es)",
        soft_wrap=True,
    )
    console.print(
        f"{format_decimal(summary.total_warp_instructions, '').strip()} warp instructions, "
        f"{format_decimal(summary.flops, 'FLOP')}",
        soft_wrap=True,
    )
    classes = Table(title="warp instructions by class", title_justify="left")
    classes.add_column("class", style="cyan")
    classes.add_column("count", justify="right")
    classes.add_column("share", justify="right")
    for name, count in sorted(summary.warp_instructions.items(), key=lambda item: -item[1]):
        classes.add_row(name, f"{count:,}", f"{count / summary.total_warp_instructions:.1%}")
    console.print(classes)
    moved = Table(title="bytes requested", title_justify="left")
    moved.add_column("kind", style="cyan")
    moved.add_column("bytes", justify="right")
    for name, count in summary.bytes.items():
        if count:
            moved.add_row(name.replace("_", " "), format_bytes(count))
    console.print(moved)
