"""Published measurements: figures other people measured on real GPUs, with their sources.

A sibling of the project's own measurement file (``measurements``): that one records the
project's kernels timed by its recorder, with full provenance; this one holds figures
entered by hand from public sources (``validation/published/``, one file per source), each
as the source printed it. The schema is pydantic in strict mode like the specs and
scenarios, and a file is validated whole on load: a malformed file is refused with one line
naming the file and the field, never half-read.

A figure keeps its printed text (``printed``: ``"1986.5"``, ``"~211"``, ``"408-504"``) beside
the numbers read from it (``value``, and ``value_high`` for a printed range); the two must
agree. Throughputs (GFLOP/s of a kernel, nccl-tests bus bandwidth) convert to seconds per
repetition so that the project's statistics apply; latencies and bandwidth plateaus of
microbenchmarks stay in their own units.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, ValidationError, model_validator

from gpusim.errors import MeasurementError
from gpusim.schema import FrozenModel, format_validation_error
from gpusim.spec import library

FORMAT = "gpusim-published-measurements"
SCHEMA_VERSION = 1

CaseKind = Literal["kernel", "collective", "microbenchmark"]
Unit = Literal["GFLOP/s", "GB/s", "GiB/s", "TB/s", "cycles"]
Quantity = Literal["throughput", "busbw", "bandwidth", "latency"]

_PRINTED = re.compile(r"(?P<approx>~)?(?P<low>\d+(?:\.\d+)?)(?:-(?P<high>\d+(?:\.\d+)?))?")


class Source(FrozenModel):
    """Where the figures were printed: a repository and its files, or a page's title."""

    repository: str | None = Field(default=None, description="owner/name on GitHub")
    files: tuple[str, ...] = Field(default=(), description="files of the repository")
    page_title: str | None = Field(default=None, description="title of a web page")
    note: str = ""

    @model_validator(mode="after")
    def _named(self) -> Self:
        if self.repository is None and self.page_title is None:
            raise ValueError("repository: a source needs a repository (with files) or a page_title")
        if self.repository is not None and not self.files:
            raise ValueError("files: name the repository's files the figures come from")
        return self


class Conditions(FrozenModel):
    """What the source ran under; None where the source does not say."""

    clock_mhz: float | None = Field(default=None, gt=0, description="SM clock of the run")
    flop_counting: Literal["2MNK"] | None = Field(default=None, description="FLOPs per GEMM")
    in_place: bool | None = Field(default=None, description="collective in place")
    nccl_version: str | None = None
    algorithm: str | None = Field(
        default=None, description="collective algorithm as NCCL_ALGO names it, if stated"
    )
    gpus_per_thread: int | None = Field(
        default=None, gt=0, description="GPUs one host thread drove (nccl-tests -g), if stated"
    )
    note: str = ""


class Figure(FrozenModel):
    """One published figure exactly as printed, with its unit and what it measures."""

    printed: str = Field(min_length=1, description="the text as printed, e.g. '~6.9-7.0'")
    value: float = Field(
        gt=0, description="the printed number (the low end of a range); times divide by it"
    )
    value_high: float | None = Field(default=None, description="the high end of a range")
    unit: Unit
    quantity: Quantity
    note: str = ""

    @model_validator(mode="after")
    def _as_printed(self) -> Self:
        match = _PRINTED.fullmatch(self.printed)
        if match is None:
            raise ValueError(
                f"printed: must be a number, '~number' or 'low-high', got {self.printed!r}"
            )
        high = match["high"]
        if float(match["low"]) != self.value:
            raise ValueError(f"value: {self.value:g} is not the printed {self.printed!r}")
        if (None if high is None else float(high)) != self.value_high:
            raise ValueError(f"value_high: {self.value_high} is not the printed {self.printed!r}")
        if self.value_high is not None and self.value_high <= self.value:
            raise ValueError(f"value_high: the range {self.printed!r} must rise")
        return self

    @property
    def approximate(self) -> bool:
        """Printed with '~' (read off a plot or a curve's plateau)."""
        return self.printed.startswith("~")


class PublishedCase(FrozenModel):
    """One published figure: what ran, on which device, under which conditions."""

    case_id: str = Field(min_length=1)
    kind: CaseKind
    family: str = Field(min_length=1, description="accuracy family")
    label: str = Field(min_length=1, description="the source's own name for the case")
    device: str = Field(min_length=1, description="the device as the source names it")
    preset: str | None = Field(description="gpusim GPU or system preset; None: none fits")
    gpusim_kernel: str | None = Field(
        default=None, description="the registered kernel of the same structure; None: none yet"
    )
    params: dict[str, int | str] = Field(default_factory=dict)
    conditions: Conditions = Conditions()
    figure: Figure
    reruns: tuple[Figure, ...] = Field(
        default=(), description="the same case printed by another run of the same source"
    )


class PublishedFile(FrozenModel):
    """A whole published-measurements file: one source, its cases, and notes on them."""

    format: Literal["gpusim-published-measurements"]
    schema_version: Literal[1]
    title: str = Field(min_length=1)
    source: Source
    notes: tuple[str, ...] = ()
    cases: tuple[PublishedCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        seen: set[str] = set()
        presets = library()
        known = {name.casefold() for name in (*presets.gpus, *presets.systems)}
        for index, case in enumerate(self.cases):
            if case.case_id in seen:
                raise ValueError(f"cases.{index}.case_id: {case.case_id!r} appears twice")
            seen.add(case.case_id)
            if case.preset is not None and case.preset.casefold() not in known:
                raise ValueError(f"cases.{index}.preset: no preset named {case.preset!r}")
        return self


def load_published(path: Path) -> PublishedFile:
    """Read and validate a published-measurements file; one-line MeasurementError if bad.

    Validated as JSON (``model_validate_json``): in strict mode JSON arrays are the tuples.
    """
    try:
        text = path.read_text()
        json.loads(text)  # a syntax error in one line, not pydantic's echo of the whole text
    except (OSError, UnicodeDecodeError) as err:
        raise MeasurementError(f"{path}: cannot read ({err})") from None
    except json.JSONDecodeError as err:
        raise MeasurementError(f"{path}: not a JSON file ({err})") from None
    try:
        return PublishedFile.model_validate_json(text)
    except ValidationError as err:
        raise MeasurementError(f"{path}: {format_validation_error(err)}") from None


def is_published(path: Path) -> bool:
    """True when ``path`` is JSON whose ``format`` tag is this schema's (else False)."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(raw, dict) and raw.get("format") == FORMAT


def published_files(directory: Path) -> list[Path]:
    """The published-measurement files of ``directory``, in name order."""
    return sorted(directory.glob("*.json"))


def work_per_repetition(case: PublishedCase) -> float | None:
    """FLOPs (a GEMM rate) or bus bytes (an nccl-tests busbw) of one repetition.

    nccl-tests' bus bandwidth of an all-reduce is its algorithm bandwidth (size / time)
    times 2 (n - 1) / n, so time = size x 2 (n - 1) / n / busbw. None for a figure that is
    not a rate of a repetition (latencies, bandwidth plateaus).
    """
    quantity = case.figure.quantity
    if quantity == "throughput" and case.conditions.flop_counting == "2MNK":
        return 2.0 * int(case.params["m"]) * int(case.params["n"]) * int(case.params["k"])
    if quantity == "busbw":
        ranks = int(case.params["ranks"])
        return int(case.params["size_bytes"]) * 2.0 * (ranks - 1) / ranks
    return None


_UNIT_SCALE: dict[str, float] = {"GFLOP/s": 1e9, "GB/s": 1e9}


def measured_seconds(case: PublishedCase) -> float | None:
    """Seconds per repetition implied by a published rate (None: not a rate, or a range)."""
    work = work_per_repetition(case)
    scale = _UNIT_SCALE.get(case.figure.unit)
    if work is None or scale is None or case.figure.value_high is not None:
        return None
    return work / (case.figure.value * scale)


def figure_of_seconds(case: PublishedCase, seconds: float) -> float:
    """The rate, in the published figure's unit, of one repetition taking ``seconds``."""
    work = work_per_repetition(case)
    if work is None:
        raise ValueError(f"{case.case_id}: its figure is not a rate of one repetition")
    return work / seconds / _UNIT_SCALE[case.figure.unit]
