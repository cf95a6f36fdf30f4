"""``gpusim validate``: record the suite on a GPU, compare the simulator with a recording.

``record`` is the command-line face of ``gpusim.validate.record`` (which also runs as
``python3 -m gpusim.validate.record`` where the CLI's dependencies are missing); it is
imported inside the command because it loads Numba's CUDA driver bindings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

import gpusim.validate.compare as recorded
from gpusim.cli.output import console, print_json
from gpusim.cli.progress import progress_line
from gpusim.errors import MeasurementError
from gpusim.files import check_writable, reporting_write_errors
from gpusim.validate import published_compare
from gpusim.validate.compare import Comparison, Simulate
from gpusim.validate.compare import compare as compare_measurements
from gpusim.validate.device_presets import resolve_gpu
from gpusim.validate.measurements import load_measurements
from gpusim.validate.provenance import code_version, utc_now
from gpusim.validate.published import PublishedFile, is_published, load_published, published_files
from gpusim.validate.published_compare import (
    PublishedComparison,
    SimulateAllreduce,
    compare_published,
)
from gpusim.validate.published_microbench import SimulateMode
from gpusim.validate.ratchet import (
    check,
    current_mapes,
    limited_to,
    load_accuracy,
    measurement_files,
    published_mapes,
    ratcheted,
    record_name,
    save_accuracy,
)
from gpusim.validate.report import (
    accuracy_markdown,
    cases_table,
    families_table,
    library_table,
    published_table,
    write_report,
)
from gpusim.validate.suite import SUITE_NAMES

app = typer.Typer(help="Record kernel timings on a real GPU and compare the simulator with them.")

DEFAULT_MEASUREMENTS = Path("validation/measurements")
DEFAULT_ACCURACY = Path("validation/accuracy.json")
DEFAULT_PUBLISHED = Path("validation/published")


@app.command("record")
def record(
    out: Annotated[Path, typer.Option("--out", help="measurement file to write (JSON)")],
    quick: Annotated[bool, typer.Option("--quick", help="the quick suite (about 2 min)")] = False,
    suite: Annotated[str, typer.Option(help="full, quick or smoke")] = "full",
    budget_s: Annotated[
        float | None, typer.Option("--budget-s", help="start no case past this many seconds")
    ] = None,
    no_library: Annotated[
        bool, typer.Option("--no-library", help="skip the PyTorch reference cases")
    ] = False,
    commit: Annotated[
        str | None, typer.Option(help="the gpusim commit, where git is absent")
    ] = None,
) -> None:
    """Time every kernel of the suite on this machine's GPU (exit 2 without one)."""
    from gpusim.validate import record as recorder

    if suite not in SUITE_NAMES:
        raise MeasurementError(f"unknown suite {suite!r} (known: {', '.join(SUITE_NAMES)})")
    arguments = ["--out", str(out), "--suite", "quick" if quick else suite]
    arguments += [] if budget_s is None else ["--budget-s", str(budget_s)]
    arguments += ["--no-library"] if no_library else []
    arguments += [] if commit is None else ["--commit", commit]
    raise typer.Exit(recorder.main(arguments))


@app.command("compare")
def compare(
    file: Annotated[Path, typer.Argument(help="a measurement file")],
    preset: Annotated[
        str, typer.Option(help="GPU preset to simulate, or auto (from the device name)")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="write a self-contained HTML report here")
    ] = None,
) -> None:
    """Simulate every recorded (or published) case and print measured, simulated, the error."""
    if html is not None:
        check_writable(html, "--html")
    if is_published(file):
        if preset != "auto":
            raise MeasurementError(f"--preset: {file} names the preset of each published case")
        figures = load_published(file)
        with _simulations(f"simulating {file.name}") as engine:
            published = engine.compare_published(figures, file.name)
        if as_json:
            print_json(published.to_dict())
        else:
            _print_published(published)
        comparison, curves = published.comparison, published.results
    else:
        measurements = load_measurements(file)
        gpu = resolve_gpu(measurements.device_name, preset)
        with _simulations(f"simulating {file.name}") as engine:
            comparison = compare_measurements(
                measurements, gpu, source=file.name, simulate=engine.kernel
            )
        curves = ()
        if as_json:
            print_json(comparison.to_dict())
        else:
            _print_comparison(comparison)
    if html is not None:  # after the figures: a report that fails to write loses nothing
        with reporting_write_errors(html, "--html"):
            write_report(comparison, html, curves)


def _print_comparison(comparison: Comparison) -> None:
    console.print(cases_table(comparison))
    console.print(families_table(comparison))
    if comparison.library:
        console.print(library_table(comparison))
    for case_id, reason in comparison.excluded:
        console.print(f"excluded: {case_id}: {reason}")
    for note in comparison.notes:
        console.print(f"note: {note}")


def _print_published(published: PublishedComparison) -> None:
    comparison = published.comparison
    if published.results:
        console.print(published_table(published))
        console.print(families_table(comparison))
    for case_id, reason in published.not_simulated:
        console.print(f"{case_id}: {reason}")
    for note in comparison.notes:
        console.print(f"note: {note}")


@app.command("accuracy-table")
def accuracy_table(
    published: Annotated[
        Path, typer.Option(help="published measurement files")
    ] = DEFAULT_PUBLISHED,
    commit: Annotated[
        str | None, typer.Option(help="the gpusim commit, where git is absent")
    ] = None,
) -> None:
    """Print the Markdown accuracy table of every published file (for README)."""
    files = published_files(published)
    with _simulations(f"simulating {len(files)} published file(s)") as engine:
        comparisons = [engine.compare_published(load_published(path), path.name) for path in files]
    version = code_version(commit)
    tag = str(version["commit"] or "unknown")[:7] + (" (dirty)" if version["dirty"] else "")
    typer.echo(accuracy_markdown(comparisons, date=utc_now()[:10], commit=tag), nl=False)


@app.command("ratchet")
def ratchet(
    update: Annotated[
        bool, typer.Option("--update", help="record new files and improved figures")
    ] = False,
    only: Annotated[
        list[Path] | None,
        typer.Option(
            "--only",
            help="check (and update) only this measurement or published file (repeatable)",
        ),
    ] = None,
    measurements: Annotated[Path, typer.Option(help="measurement files")] = DEFAULT_MEASUREMENTS,
    published: Annotated[
        Path, typer.Option(help="published measurement files")
    ] = DEFAULT_PUBLISHED,
    accuracy: Annotated[Path, typer.Option(help="the accuracy record")] = DEFAULT_ACCURACY,
) -> None:
    """Check every measurement and published file's MAPE per family against the record.

    A check must not pass having checked nothing: a folder that is missing, or no file in
    either, is a one-line error (exit 2); what was checked is printed. With ``--only`` the
    check and the update cover the files named, and every other entry stays as recorded.
    """
    recordings = measurement_files(_folder(measurements, "--measurements"))
    figures = published_files(_folder(published, "--published"))
    if not recordings and not figures:
        raise MeasurementError(
            f"nothing to check: no measurement file in {measurements} "
            f"and no published file in {published}"
        )
    names = None
    if only:
        recordings, figures = _named(only, recordings, figures, measurements, published)
        names = [record_name(path, published=False) for path in recordings]
        names += [record_name(path, published=True) for path in figures]
    record_before = load_accuracy(accuracy)
    with _simulations(f"ratchet: {len(recordings) + len(figures)} file(s)") as engine:
        current = current_mapes(recordings, engine.kernel) | published_mapes(
            figures, engine.published_kernel, engine.allreduce, engine.microbenchmark
        )
    problems = check(record_before if names is None else limited_to(record_before, names), current)
    families = sum(len(mapes) for mapes in current.values())
    console.print(
        f"checked {len(recordings)} measurement file(s) in {measurements} and "
        f"{len(figures)} published file(s) in {published}: {families} family MAPE(s) "
        f"against {accuracy}",
        soft_wrap=True,
    )
    if update:
        save_accuracy(ratcheted(record_before, current, names), accuracy)
        console.print(f"updated {accuracy} from {len(current)} measurement and published files")
        problems = [problem for problem in problems if problem.kind == "worse"]
    for problem in problems:
        console.print(f"{problem.kind}: {problem.message}", soft_wrap=True)
    if problems:
        raise typer.Exit(1)


def _named(
    only: list[Path],
    recordings: list[Path],
    figures: list[Path],
    measurements: Path,
    published: Path,
) -> tuple[list[Path], list[Path]]:
    """The measurement and published files ``--only`` names; naming another is an error."""
    wanted = {path.resolve() for path in only}
    known = {path.resolve() for path in recordings + figures}
    for path in only:
        if path.resolve() not in known:
            raise MeasurementError(
                f"--only: {path} is not a measurement file in {measurements} "
                f"nor a published file in {published}"
            )
    return (
        [path for path in recordings if path.resolve() in wanted],
        [path for path in figures if path.resolve() in wanted],
    )


def _folder(path: Path, option: str) -> Path:
    """``path`` if it is a folder; else a one-line error naming ``option``."""
    if not path.is_dir():
        raise MeasurementError(
            f"{option}: no folder {path} (run from the gpusim repository, or name the folder)"
        )
    return path


@dataclass(frozen=True)
class _Engine:
    """The engine's entry points a comparison is given, each call one step of a progress
    line. Each is looked up when the command runs, where the comparison would look it up."""

    kernel: Simulate
    published_kernel: Simulate
    allreduce: SimulateAllreduce
    microbenchmark: SimulateMode

    def compare_published(self, figures: PublishedFile, source: str) -> PublishedComparison:
        return compare_published(
            figures,
            source=source,
            simulate=self.published_kernel,
            simulate_allreduce=self.allreduce,
            simulate_microbenchmark_launch=self.microbenchmark,
        )


@contextmanager
def _simulations(description: str) -> Iterator[_Engine]:
    """A progress line counting the simulations made through the ``_Engine`` yielded."""
    with progress_line(description, unit="simulations") as line:
        yield _Engine(
            kernel=line.counting(recorded.engine_simulate),
            published_kernel=line.counting(published_compare.engine_simulate),
            allreduce=line.counting(published_compare.engine_allreduce),
            microbenchmark=line.counting(published_compare.engine_simulate_mode),
        )
