"""The measurement file: one recording session on one GPU, as JSON with its provenance.

The recorder writes it and ``compare`` reads it; docs/validation.md documents every field.
It is plain dataclasses and ``json`` (no pydantic) because the recorder runs on machines
that have neither pydantic nor anything beyond NumPy and Numba.

Files are written atomically (a temporary file beside the target, then a rename), after
every case, so a recording stopped at any point leaves a valid file holding what was done
(``status`` is ``"partial"`` until the suite ends). Reading checks the format tag, the schema
version and the type of every field, and that every time is positive and finite; a file
that fails is reported in one line naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from gpusim.errors import MeasurementError
from gpusim.files import write_atomically

FORMAT = "gpusim-measurements"
SCHEMA_VERSION = 1

CaseKind = Literal["kernel", "ring_allreduce", "library"]
Status = Literal["partial", "complete"]
CASE_KINDS: tuple[CaseKind, ...] = ("kernel", "ring_allreduce", "library")
STATUSES: tuple[Status, ...] = ("partial", "complete")

T = TypeVar("T")


@dataclass(frozen=True)
class Correctness:
    """The output checked against a reference on a sample (or all) of its elements.

    ``rel_error`` is ``||out - ref|| / ||ref||`` over the sample, None when the sample holds
    NaN or infinity (outputs start as NaN, so an element never written fails).
    """

    rel_error: float | None
    rel_tolerance: float
    non_finite_elements: int
    sampled_elements: int
    output_elements: int
    passed: bool


@dataclass(frozen=True)
class LaunchRecord:
    """The launch configuration of every launch of the case (all ring steps share one)."""

    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    dynamic_shared_bytes: int
    registers_per_thread: int | None = None
    static_shared_bytes: int | None = None
    local_bytes_per_thread: int | None = None


@dataclass(frozen=True)
class CaseRecord:
    """One timed case: ``repetitions`` back-to-back repetitions, each between its own events.

    A repetition is one launch (``kind`` ``"kernel"``), the whole single-device ring
    all-reduce of ``launches_per_repetition`` = 2(N - 1) launches (``"ring_allreduce"``), or
    one library call (``"library"``). Times are seconds per repetition; ``flops`` and
    ``min_dram_bytes`` are per repetition too, for derived throughput.
    """

    case_id: str
    kind: CaseKind
    family: str
    kernel: str
    params: dict[str, int | str]
    launches_per_repetition: int
    launch: LaunchRecord | None
    warmup_repetitions: int
    repetitions: int
    median_s: float
    min_s: float
    max_s: float
    series_total_s: float
    samples_s: tuple[float, ...]
    queue_ahead: bool | None
    flops: int
    min_dram_bytes: int
    correctness: Correctness
    wall_s: float
    library: dict[str, str] | None = None


@dataclass(frozen=True)
class SkippedCase:
    """A planned case that was not run, and why (the time budget, the CUDA simulator...)."""

    case_id: str
    reason: str


@dataclass(frozen=True)
class FailedCase:
    """A planned case that raised; the error's type and message."""

    case_id: str
    error: str


@dataclass(frozen=True)
class MeasurementFile:
    """A whole recording: provenance, the cases done, and those skipped or failed."""

    suite: str
    status: Status
    provenance: dict[str, Any]
    cases: tuple[CaseRecord, ...] = ()
    skipped: tuple[SkippedCase, ...] = ()
    failed: tuple[FailedCase, ...] = ()
    schema_version: int = SCHEMA_VERSION
    format: str = field(default=FORMAT)

    @property
    def device_name(self) -> str:
        return str(self.provenance["device"]["name"])

    @property
    def simulator(self) -> bool:
        """True when recorded under the CUDA simulator: its timings mean nothing."""
        return bool(self.provenance["device"]["simulator"])

    def to_json(self) -> str:
        """The JSON text, keys in a stable order, NaN refused (it is not JSON)."""
        return json.dumps(asdict(self), indent=1, allow_nan=False) + "\n"


def save_measurements(measurements: MeasurementFile, path: Path) -> None:
    """Write atomically, so a recording killed at any point leaves the last good file."""
    write_atomically(path, measurements.to_json())


def load_measurements(path: Path) -> MeasurementFile:
    """Read and check a measurement file; MeasurementError naming the file otherwise."""
    try:
        raw = json.loads(path.read_text())
    except OSError as err:
        raise MeasurementError(f"{path}: cannot read ({err.strerror or err})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MeasurementError(f"{path}: not a JSON measurement file ({err})") from None
    try:
        return parse_measurements(raw)
    except _FieldError as err:
        raise MeasurementError(f"{path}: {err}") from None


def parse_measurements(raw: object) -> MeasurementFile:
    """Build a MeasurementFile from decoded JSON; _FieldError names the field at fault."""
    top = _mapping(raw, "file")
    if top.get("format") != FORMAT:
        raise _FieldError(f"not a gpusim measurement file (format is {top.get('format')!r})")
    version = _get(top, "schema_version", int, "")
    if version != SCHEMA_VERSION:
        raise _FieldError(
            f"schema_version {version} is not supported (this gpusim reads {SCHEMA_VERSION})"
        )
    provenance = _get(top, "provenance", dict, "")
    device = _get(provenance, "device", dict, "provenance.")
    _get(device, "name", str, "provenance.device.")
    _get(device, "simulator", bool, "provenance.device.")
    return MeasurementFile(
        suite=_get(top, "suite", str, ""),
        status=_choice(top, "status", STATUSES, ""),
        provenance=provenance,
        cases=tuple(_case(item, f"cases[{i}]") for i, item in enumerate(_list(top, "cases"))),
        skipped=tuple(
            SkippedCase(
                case_id=_get(_mapping(item, f"skipped[{i}]"), "case_id", str, f"skipped[{i}]."),
                reason=_get(_mapping(item, f"skipped[{i}]"), "reason", str, f"skipped[{i}]."),
            )
            for i, item in enumerate(_list(top, "skipped"))
        ),
        failed=tuple(
            FailedCase(
                case_id=_get(_mapping(item, f"failed[{i}]"), "case_id", str, f"failed[{i}]."),
                error=_get(_mapping(item, f"failed[{i}]"), "error", str, f"failed[{i}]."),
            )
            for i, item in enumerate(_list(top, "failed"))
        ),
    )


class _FieldError(ValueError):
    """A field of the decoded JSON is missing or has the wrong type (message names it)."""


def _case(raw: object, where: str) -> CaseRecord:
    case = _mapping(raw, where)
    prefix = f"{where}."
    launch_raw = case.get("launch")
    library_raw = case.get("library")
    samples = tuple(
        _seconds(value, f"{prefix}samples_s[{i}]")
        for i, value in enumerate(_get(case, "samples_s", list, prefix))
    )
    return CaseRecord(
        case_id=_get(case, "case_id", str, prefix),
        kind=_choice(case, "kind", CASE_KINDS, prefix),
        family=_get(case, "family", str, prefix),
        kernel=_get(case, "kernel", str, prefix),
        params=_params(_get(case, "params", dict, prefix), f"{prefix}params."),
        launches_per_repetition=_get(case, "launches_per_repetition", int, prefix),
        launch=None if launch_raw is None else _launch(launch_raw, f"{prefix}launch"),
        warmup_repetitions=_get(case, "warmup_repetitions", int, prefix),
        repetitions=_get(case, "repetitions", int, prefix),
        median_s=_get_seconds(case, "median_s", prefix),
        min_s=_get_seconds(case, "min_s", prefix),
        max_s=_get_seconds(case, "max_s", prefix),
        series_total_s=_get_seconds(case, "series_total_s", prefix),
        samples_s=samples,
        queue_ahead=_optional(case, "queue_ahead", bool, prefix),
        flops=_get(case, "flops", int, prefix),
        min_dram_bytes=_get(case, "min_dram_bytes", int, prefix),
        correctness=_correctness(_get(case, "correctness", dict, prefix), f"{prefix}correctness."),
        wall_s=_get_seconds(case, "wall_s", prefix),
        library=None if library_raw is None else _strings(library_raw, f"{prefix}library"),
    )


def _launch(raw: object, where: str) -> LaunchRecord:
    launch = _mapping(raw, where)
    prefix = f"{where}."
    return LaunchRecord(
        grid=_triple(launch, "grid", prefix),
        block=_triple(launch, "block", prefix),
        dynamic_shared_bytes=_get(launch, "dynamic_shared_bytes", int, prefix),
        registers_per_thread=_optional(launch, "registers_per_thread", int, prefix),
        static_shared_bytes=_optional(launch, "static_shared_bytes", int, prefix),
        local_bytes_per_thread=_optional(launch, "local_bytes_per_thread", int, prefix),
    )


def _correctness(raw: Mapping[str, Any], prefix: str) -> Correctness:
    rel_error = raw.get("rel_error")
    return Correctness(
        rel_error=None if rel_error is None else _number(rel_error, f"{prefix}rel_error"),
        rel_tolerance=_get_number(raw, "rel_tolerance", prefix),
        non_finite_elements=_get(raw, "non_finite_elements", int, prefix),
        sampled_elements=_get(raw, "sampled_elements", int, prefix),
        output_elements=_get(raw, "output_elements", int, prefix),
        passed=_get(raw, "passed", bool, prefix),
    )


def _params(raw: Mapping[str, Any], prefix: str) -> dict[str, int | str]:
    params: dict[str, int | str] = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _FieldError(f"{prefix}{key} must be an integer or a string, got {value!r}")
        params[key] = value
    return params


def _strings(raw: object, where: str) -> dict[str, str]:
    mapping = _mapping(raw, where)
    for key, value in mapping.items():
        if not isinstance(value, str):
            raise _FieldError(f"{where}.{key} must be a string, got {value!r}")
    return cast(dict[str, str], dict(mapping))


def _triple(raw: Mapping[str, Any], key: str, prefix: str) -> tuple[int, int, int]:
    values = _get(raw, key, list, prefix)
    if len(values) != 3 or not all(_is_int(value) for value in values):
        raise _FieldError(f"{prefix}{key} must be three integers, got {values!r}")
    return int(values[0]), int(values[1]), int(values[2])


def _mapping(raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _FieldError(f"{where} must be a JSON object, got {type(raw).__name__}")
    return raw


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    return _get(raw, key, list, "")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _get(raw: Mapping[str, Any], key: str, kind: type[T], prefix: str) -> T:
    if key not in raw:
        raise _FieldError(f"{prefix}{key} is missing")
    value = raw[key]
    wrong_bool = kind is int and isinstance(value, bool)
    if wrong_bool or not isinstance(value, kind):
        raise _FieldError(f"{prefix}{key} must be of type {kind.__name__}, got {value!r}")
    return value


def _optional(raw: Mapping[str, Any], key: str, kind: type[T], prefix: str) -> T | None:
    if raw.get(key) is None:
        return None
    return _get(raw, key, kind, prefix)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _FieldError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _get_number(raw: Mapping[str, Any], key: str, prefix: str) -> float:
    if key not in raw:
        raise _FieldError(f"{prefix}{key} is missing")
    return _number(raw[key], f"{prefix}{key}")


def _seconds(value: object, where: str) -> float:
    """A time: finite and above zero (rates divide by it; a zero or negative time is a
    damaged file, not a fast kernel)."""
    seconds = _number(value, where)
    if seconds <= 0:
        raise _FieldError(f"{where} must be a positive time in seconds, got {value!r}")
    return seconds


def _get_seconds(raw: Mapping[str, Any], key: str, prefix: str) -> float:
    if key not in raw:
        raise _FieldError(f"{prefix}{key} is missing")
    return _seconds(raw[key], f"{prefix}{key}")


def _choice(raw: Mapping[str, Any], key: str, choices: tuple[str, ...], prefix: str) -> Any:
    value = _get(raw, key, str, prefix)
    if value not in choices:
        raise _FieldError(f"{prefix}{key} must be one of {', '.join(choices)}, got {value!r}")
    return value
