"""The accuracy ratchet: per measurement file and family, the MAPE may only improve.

``validation/accuracy.json`` records, for every committed measurement file, the MAPE of each
kernel family the last time it improved. A comparison whose MAPE for a family exceeds the
recorded one by more than ``tolerance_pp`` percentage points is a regression; a file or a
family with no recorded figure is a missing entry. ``ratcheted`` is the only way figures
change: new files and families are added whatever their error (real data always lands), a
better figure replaces the recorded one, a worse figure never does, and entries of files or
families no longer compared are dropped. Limited to some files (``only``), a check and an
update look at those files' entries alone and leave every other entry as it is.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gpusim.errors import MeasurementError
from gpusim.files import write_atomically
from gpusim.validate.compare import Comparison, Simulate, compare
from gpusim.validate.device_presets import resolve_gpu
from gpusim.validate.measurements import load_measurements
from gpusim.validate.published import load_published, published_files
from gpusim.validate.published_compare import (
    SimulateAllreduce,
    compare_published,
    not_simulated_reason,
)
from gpusim.validate.published_microbench import SimulateMode

DEFAULT_TOLERANCE_PP = 1.0
FamilyMapes = dict[str, float]
PUBLISHED_PREFIX = "published/"
"""Published files are recorded as ``published/<file name>``, apart from recordings."""


@dataclass(frozen=True)
class AccuracyRecord:
    """The contents of accuracy.json: file name -> family -> MAPE in percent."""

    files: dict[str, FamilyMapes] = field(default_factory=dict)
    tolerance_pp: float = DEFAULT_TOLERANCE_PP

    def to_json(self) -> str:
        document = {
            "tolerance_pp": self.tolerance_pp,
            "files": {
                name: dict(sorted(mapes.items())) for name, mapes in sorted(self.files.items())
            },
        }
        return json.dumps(document, indent=2) + "\n"


def load_accuracy(path: Path) -> AccuracyRecord:
    """Read accuracy.json (an absent file is an empty record); one-line error if corrupt."""
    if not path.exists():
        return AccuracyRecord()
    try:
        raw = json.loads(path.read_text())
        tolerance_pp = float(raw["tolerance_pp"])
        files = {
            str(name): {str(family): float(mape) for family, mape in mapes.items()}
            for name, mapes in raw["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise MeasurementError(f"{path}: not a valid accuracy record ({err})") from None
    return AccuracyRecord(files=files, tolerance_pp=tolerance_pp)


def family_mapes(comparison: Comparison) -> FamilyMapes:
    """MAPE per family, rounded to hundredths of a percentage point."""
    return {name: round(stats.mape, 2) for name, stats in comparison.families.items()}


@dataclass(frozen=True)
class Problem:
    """A figure that breaks the ratchet: ``worse`` than recorded, ``missing``, or ``stale``."""

    kind: Literal["worse", "missing", "stale"]
    message: str


def regressions(
    file_name: str, current: FamilyMapes, recorded: FamilyMapes | None, tolerance_pp: float
) -> list[Problem]:
    """Each family worse than recorded by more than ``tolerance_pp``, or with no record."""
    if recorded is None:
        return [Problem("missing", f"{file_name}: no figures in the accuracy record")]
    problems = []
    for family, mape in sorted(current.items()):
        best = recorded.get(family)
        if best is None:
            problems.append(
                Problem("missing", f"{file_name}: {family} has no recorded MAPE (now {mape:.2f}%)")
            )
        elif mape > best + tolerance_pp:
            message = (
                f"{file_name}: {family} MAPE {mape:.2f}% is worse than the recorded "
                f"{best:.2f}% by more than {tolerance_pp:g} pp"
            )
            problems.append(Problem("worse", message))
    for family in sorted(set(recorded) - set(current)):
        problems.append(Problem("stale", f"{file_name}: {family} is recorded but not compared"))
    return problems


def ratcheted(
    record: AccuracyRecord,
    current: Mapping[str, FamilyMapes],
    only: Collection[str] | None = None,
) -> AccuracyRecord:
    """The record after taking ``current``: new entries added, improvements kept, nothing raised.

    With ``only`` (record names), only those files' entries move: the others stay as recorded.
    """
    files = (
        {}
        if only is None
        else {name: mapes for name, mapes in record.files.items() if name not in only}
    )
    for name, mapes in current.items():
        before = record.files.get(name, {})
        files[name] = {
            family: min(mape, before.get(family, mape)) for family, mape in mapes.items()
        }
    return AccuracyRecord(files=files, tolerance_pp=record.tolerance_pp)


def limited_to(record: AccuracyRecord, names: Collection[str]) -> AccuracyRecord:
    """The record's entries of the files ``names`` only (what a check of those files holds)."""
    files = {name: mapes for name, mapes in record.files.items() if name in names}
    return AccuracyRecord(files=files, tolerance_pp=record.tolerance_pp)


def record_name(path: Path, *, published: bool) -> str:
    """A file's name in the record: ``published/<name>`` for published files."""
    return f"{PUBLISHED_PREFIX}{path.name}" if published else path.name


def measurement_files(directory: Path) -> list[Path]:
    """The committed measurement files, in name order."""
    return sorted(directory.glob("*.json"))


def compare_file(path: Path, simulate: Simulate | None = None) -> Comparison:
    """Compare one measurement file with its device's preset."""
    measurements = load_measurements(path)
    gpu = resolve_gpu(measurements.device_name)
    return compare(measurements, gpu, source=path.name, simulate=simulate)


def current_mapes(
    paths: Iterable[Path], simulate: Simulate | None = None
) -> dict[str, FamilyMapes]:
    """Family MAPEs of every measurement file of ``paths``, by file name."""
    return {
        record_name(path, published=False): family_mapes(compare_file(path, simulate))
        for path in paths
    }


def published_record_names(directory: Path) -> list[str]:
    """Record names of the published files with at least one case gpusim simulates.

    A file whose every case is "not simulated" (microbenchmarks before their kernels exist)
    has no figure to hold, and no entry.
    """
    return [
        record_name(path, published=True)
        for path in published_files(directory)
        if any(not_simulated_reason(case) is None for case in load_published(path).cases)
    ]


def published_file_mapes(
    path: Path,
    simulate: Simulate | None = None,
    simulate_allreduce: SimulateAllreduce | None = None,
    simulate_microbenchmark_launch: SimulateMode | None = None,
) -> FamilyMapes:
    """MAPE per family and GPU of one published file (empty: nothing simulated)."""
    comparison = compare_published(
        load_published(path),
        source=path.name,
        simulate=simulate,
        simulate_allreduce=simulate_allreduce,
        simulate_microbenchmark_launch=simulate_microbenchmark_launch,
    ).comparison
    return family_mapes(comparison)


def published_mapes(
    paths: Iterable[Path],
    simulate: Simulate | None = None,
    simulate_allreduce: SimulateAllreduce | None = None,
    simulate_microbenchmark_launch: SimulateMode | None = None,
) -> dict[str, FamilyMapes]:
    """MAPE per family and GPU of every published file of ``paths`` with simulated cases,
    by record name."""
    current = {}
    for path in paths:
        mapes = published_file_mapes(
            path, simulate, simulate_allreduce, simulate_microbenchmark_launch
        )
        if mapes:
            current[record_name(path, published=True)] = mapes
    return current


def check(record: AccuracyRecord, current: Mapping[str, FamilyMapes]) -> list[Problem]:
    """Every regression, missing and stale entry of ``current`` against ``record``."""
    problems = []
    for name, mapes in sorted(current.items()):
        problems += regressions(name, mapes, record.files.get(name), record.tolerance_pp)
    for name in sorted(set(record.files) - set(current)):
        problems.append(Problem("stale", f"{name}: in the accuracy record, but no such file"))
    return problems


def save_accuracy(record: AccuracyRecord, path: Path) -> None:
    write_atomically(path, record.to_json())
