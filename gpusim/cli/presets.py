"""``gpusim presets``: the preset GPUs and systems, and what each can do at best."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gpusim.cli.output import console, print_json, spec_table
from gpusim.errors import SpecError
from gpusim.roofline import GpuPeaks, gpu_peaks
from gpusim.spec import GpuSpec, SystemSpec, gpu_preset, library, system_preset
from gpusim.units import MIB, format_decimal

app = typer.Typer(help="List the preset GPUs and systems, or show one.")


@app.callback(invoke_without_command=True)
def list_presets(ctx: typer.Context) -> None:
    """List the preset GPUs and systems."""
    if ctx.invoked_subcommand is not None:
        return
    presets = library()
    gpus = Table(title="GPUs (TF: TFLOP/s)", title_justify="left")
    gpus.add_column("name", no_wrap=True)
    for column in ("SMs", "GHz", "FP32 TF", "FP16 TC TF", "HBM TB/s", "L2 MiB", "NVLink GB/s"):
        gpus.add_column(column, justify="right")
    for name, gpu in presets.gpus.items():
        peaks = gpu_peaks(gpu)
        gpus.add_row(
            name,
            str(gpu.sm.count),
            f"{gpu.sm.clock_hz / 1e9:.3g}",
            f"{peaks.simt_flops_per_s['fp32'] / 1e12:.1f}",
            f"{peaks.tensor_flops_per_s['fp16'] / 1e12:.0f}",
            f"{peaks.dram_bytes_per_s / 1e12:.3g}",
            f"{gpu.l2.size_bytes / MIB:g}",
            f"{gpu.nvlink.bandwidth_bytes_per_s_per_direction / 1e9:.0f}",
        )
    systems = Table(title="Systems", title_justify="left")
    for column in ("name", "GPU", "GPUs", "topology", "link GB/s/dir"):
        systems.add_column(column, no_wrap=True)
    for name, system in presets.systems.items():
        systems.add_row(
            name,
            system.gpu.name,
            f"{system.nodes} x {system.gpus_per_node}",
            system.topology,
            f"{_link_bandwidth(system) / 1e9:.0f}",
        )
    console.print(gpus)
    console.print(systems)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="a GPU or system preset name")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show a preset's every field and its derived peaks."""
    spec = _find(name)
    gpu = spec if isinstance(spec, GpuSpec) else spec.gpu
    peaks = gpu_peaks(gpu)
    if as_json:
        kind = "gpu" if isinstance(spec, GpuSpec) else "system"
        document: dict[str, object] = {"kind": kind, "spec": spec.model_dump()}
        if isinstance(spec, SystemSpec):
            document["link_bytes_per_s_per_direction"] = _link_bandwidth(spec)
        print_json({**document, "peaks": peaks.to_dict()})
        return
    console.print(spec_table(spec, spec.name, console.width))
    console.print(_peaks_table(peaks, gpu.name))


def _find(name: str) -> GpuSpec | SystemSpec:
    try:
        return gpu_preset(name)
    except SpecError:
        pass
    try:
        return system_preset(name)
    except SpecError:
        presets = library()
        known = ", ".join([*presets.gpus, *presets.systems])
        raise SpecError(f"unknown preset {name!r} (known: {known})") from None


def _link_bandwidth(system: SystemSpec) -> float:
    """What one GPU can send to its peers in one direction."""
    if system.topology == "pcie_tree":
        return system.gpu.pcie.bandwidth_bytes_per_s_per_direction
    return system.gpu.nvlink.bandwidth_bytes_per_s_per_direction


def _peaks_table(peaks: GpuPeaks, name: str) -> Table:
    table = Table(title=f"{name}: derived peaks", title_justify="left")
    table.add_column("roof", style="cyan")
    table.add_column("peak", justify="right")
    table.add_column("ridge (FLOP per DRAM byte)", justify="right")
    for unit, by_dtype in (("simt", peaks.simt_flops_per_s), ("tensor", peaks.tensor_flops_per_s)):
        for dtype, flops in by_dtype.items():
            ridge = peaks.ridge_flops_per_byte.get(f"{unit}_{dtype}")
            table.add_row(
                f"{unit} {dtype}",
                format_decimal(flops, "FLOP/s") if flops else "unsupported",
                f"{ridge:.1f}" if ridge else "",
            )
    for label, value in (
        ("DRAM (peak)", peaks.dram_bytes_per_s),
        ("DRAM (sustained)", peaks.dram_sustained_bytes_per_s),
        ("L2", peaks.l2_bytes_per_s),
        ("L1 (all SMs)", peaks.l1_bytes_per_s),
        ("shared (all SMs)", peaks.shared_bytes_per_s),
    ):
        table.add_row(label, format_decimal(value, "B/s"), "")
    return table
