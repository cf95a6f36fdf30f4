"""Scenario files: TOML documents that name hardware (a preset plus overrides), a workload
and optionally a sweep. docs/scenarios.md is the schema's documentation.

Loading resolves a document into typed objects (a ``GpuSpec`` or ``SystemSpec`` and a
workload model). Every failure is a ``ScenarioError`` whose one-line message names the file
and the dotted path of the field, e.g. ``quick.toml: workload.m: must be > 0, got -4``.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from gpusim.cuda.fit import check_fits_gpu
from gpusim.cuda.kernels import get_kernel
from gpusim.errors import CollectiveError, GpusimError, KernelError, ScenarioError, SpecError
from gpusim.roofline import Bound
from gpusim.schema import FrozenModel, field_at, validate_model
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.presets import gpu_preset, system_preset
from gpusim.spec.system import SystemSpec
from gpusim.training.bound import training_bound
from gpusim.training.gemm_choice import choose_gemm_kernel
from gpusim.training.memory import check_training
from gpusim.training.model import TrainingStepWorkload
from gpusim.units import format_bytes
from gpusim.workload import (
    SYSTEM_KINDS,
    WORKLOAD_KINDS,
    CollectiveWorkload,
    GemmWorkload,
    KernelWorkload,
    Workload,
)

SCHEMA_VERSION = 1
MAX_SWEEP_POINTS = 100_000


class HardwareTable(FrozenModel):
    """``[gpu]`` or ``[system]``: a preset and the fields to replace, by dotted path."""

    preset: str = Field(min_length=1, description="preset name (gpusim presets)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted path -> value")


class RangeAxis(FrozenModel):
    """An inclusive range of sweep values: arithmetic (``step``) or geometric (``factor``)."""

    start: int | float
    stop: int | float
    step: int | float | None = None
    factor: int | float | None = None

    @model_validator(mode="after")
    def _one_progression(self) -> Self:
        for name in ("start", "stop", "step", "factor"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name}: must be a finite number, got {value}")
        if (self.step is None) == (self.factor is None):
            raise ValueError("give exactly one of step (arithmetic) or factor (geometric)")
        if self.stop < self.start:
            raise ValueError(f"stop: must be >= start ({self.start}), got {self.stop}")
        if self.step is not None and self.step <= 0:
            raise ValueError(f"step: must be > 0, got {self.step}")
        if self.factor is not None and (self.factor <= 1 or self.start <= 0):
            raise ValueError(f"factor: must be > 1 with start > 0, got {self.factor}")
        if len(self._values(limit=MAX_SWEEP_POINTS + 1)) > MAX_SWEEP_POINTS:
            raise ValueError(f"gives more than {MAX_SWEEP_POINTS} values")
        return self

    def values(self) -> list[int | float]:
        """The values from start to stop, both included when reached exactly."""
        return self._values(limit=MAX_SWEEP_POINTS)

    def _values(self, limit: int) -> list[int | float]:
        values: list[int | float] = []
        value = self.start
        tolerance = 1e-9 * max(abs(self.start), abs(self.stop), 1)
        while value <= self.stop + tolerance and len(values) < limit:
            values.append(value)
            value = value + self.step if self.step is not None else value * (self.factor or 1)
        return values


class SweepTable(FrozenModel):
    """``[sweep]``: axes by dotted path; ``grid`` crosses them, ``zip`` walks them together."""

    mode: Literal["grid", "zip"] = Field(default="grid", description="grid or zip")
    axes: dict[str, Any] = Field(min_length=1, description="dotted path -> list or range")


class ScenarioDocument(FrozenModel):
    """The top level of a scenario file, before the hardware and workload are resolved."""

    schema_version: Literal[1]
    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    gpu: HardwareTable | None = None
    system: HardwareTable | None = None
    workload: dict[str, Any]
    sweep: SweepTable | None = None


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: hardware, workload, optional sweep axes, and its source."""

    name: str
    source: str
    document: Mapping[str, Any]
    """The document as read (with ``[gpu]``/``[system]`` overrides flattened to dotted keys)."""
    hardware: GpuSpec | SystemSpec
    workload: Workload
    sweep_mode: Literal["grid", "zip"] | None
    sweep_axes: Mapping[str, list[Any]]

    @property
    def gpu(self) -> GpuSpec:
        """The GPU (of the system, for a system scenario)."""
        return self.hardware if isinstance(self.hardware, GpuSpec) else self.hardware.gpu

    def bound(self) -> Bound:
        """The roofline bound of the workload on the hardware."""
        if isinstance(self.workload, CollectiveWorkload):
            assert isinstance(self.hardware, SystemSpec)  # checked on load
            return self.workload.bound(self.hardware)
        if isinstance(self.workload, TrainingStepWorkload):
            assert isinstance(self.hardware, SystemSpec)  # checked on load
            return training_bound(self.hardware, self.workload)
        return self.workload.bound(self.gpu)

    def sweep_points(self) -> list[dict[str, Any]]:
        """The sweep's points in a deterministic order: path -> value for each point."""
        paths = list(self.sweep_axes)
        columns = [self.sweep_axes[path] for path in paths]
        rows = (
            itertools.product(*columns) if self.sweep_mode == "grid" else zip(*columns, strict=True)
        )
        return [dict(zip(paths, row, strict=True)) for row in rows]

    def at(self, point: Mapping[str, Any]) -> Scenario:
        """This scenario with a sweep point's values applied (and no sweep of its own)."""
        return scenario_from_dict(_document_at(self.document, point), source=self.source)


def _document_at(document: Mapping[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario document with a sweep point's values applied and its sweep removed."""
    applied = {key: value for key, value in document.items() if key != "sweep"}
    for path, value in point.items():
        table, _, rest = path.partition(".")
        section = dict(applied[table])
        if table == "workload" or rest == "preset":
            section[rest] = value
        else:
            section["overrides"] = {**section.get("overrides", {}), rest: value}
        applied[table] = section
    return applied


def load_scenario(path: str | Path) -> Scenario:
    """Read and resolve the scenario file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ScenarioError(f"{path}: cannot read: {reason}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from None
    return scenario_from_dict(raw, source=str(path))


def scenario_from_dict(raw: Mapping[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Resolve a parsed scenario document; ``source`` names it in error messages.

    Only the base point is resolved here: a sweep runs its good points and records each bad
    one as failed with its reason, while ``gpusim scenario check`` holds every point to the
    same rules (``check_sweep_points``).
    """
    try:
        return _resolve(raw, source)
    except (ValueError, GpusimError) as err:
        raise ScenarioError(f"{source}: {err}") from None


def check_sweep_points(scenario: Scenario) -> None:
    """Every sweep point must resolve as ``run`` would; the first that does not is refused.

    So a point ``sweep`` would record as failed (a preset the kernel cannot run on, an unknown
    policy, a value out of range) is refused by ``scenario check``, naming the axis and value:
    the error is blamed on one axis when that axis's value alone (nothing else swept) fails
    the same way; otherwise the point is named whole.
    """
    try:
        _check_sweep_points(scenario)
    except (ValueError, GpusimError) as err:
        raise ScenarioError(f"{scenario.source}: {err}") from None


def _check_sweep_points(scenario: Scenario) -> None:
    for point in scenario.sweep_points():
        error = _point_error(scenario, point)
        if error is None:
            continue
        culprits = [path for path in point if _point_error(scenario, {path: point[path]}) == error]
        named = culprits[:1] or list(point)
        where = ", ".join(f"sweep.axes.{path} = {point[path]!r}" for path in named)
        raise ValueError(f"{where}: {error}")


def _point_error(scenario: Scenario, point: Mapping[str, Any]) -> str | None:
    """Why the scenario at ``point`` does not resolve, or None if it does."""
    try:
        _resolve(_document_at(scenario.document, point), scenario.source)
    except (ValueError, GpusimError) as err:
        return str(err)
    return None


def _resolve(raw: Mapping[str, Any], source: str) -> Scenario:
    version = raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ValueError(
            f"schema_version: this gpusim reads version {SCHEMA_VERSION}, got {version}"
        )
    document = validate_model(ScenarioDocument, raw)
    if (document.gpu is None) == (document.system is None):
        raise ValueError("give exactly one of a [gpu] or a [system] table")
    workload = _workload(document.workload)
    hardware = _hardware(document)
    table = "system" if workload.kind in SYSTEM_KINDS else "gpu"
    if getattr(document, table) is None:
        raise ValueError(f"workload.kind: {workload.kind!r} runs on a [{table}] table")
    if isinstance(workload, CollectiveWorkload) and isinstance(hardware, SystemSpec):
        _check_collective(workload, hardware)
    if isinstance(workload, TrainingStepWorkload) and isinstance(hardware, SystemSpec):
        choose_gemm_kernel(workload.gemm_kernel, workload.dtype, hardware.gpu)
        check_training(workload, hardware)
    if not isinstance(workload, CollectiveWorkload | TrainingStepWorkload) and isinstance(
        hardware, GpuSpec
    ):
        _check_kernel(workload, hardware)
    axes = _sweep_axes(document, workload)
    normalised = {**raw}
    for name in ("gpu", "system"):
        if name in raw:
            section = getattr(document, name)
            normalised[name] = {"preset": section.preset, "overrides": _flatten(section.overrides)}
    return Scenario(
        name=document.name or Path(source).stem,
        source=source,
        document=normalised,
        hardware=hardware,
        workload=workload,
        sweep_mode=document.sweep.mode if document.sweep else None,
        sweep_axes=axes,
    )


def _workload(raw: Mapping[str, Any]) -> Workload:
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in WORKLOAD_KINDS:
        known = ", ".join(WORKLOAD_KINDS)
        raise ValueError(f"workload.kind: must be one of {known}, got {kind!r}")
    return validate_model(WORKLOAD_KINDS[kind], raw, prefix="workload")


def _hardware(document: ScenarioDocument) -> GpuSpec | SystemSpec:
    if document.gpu is not None:
        try:
            gpu = gpu_preset(document.gpu.preset)
        except SpecError as err:
            raise ValueError(f"gpu.preset: {err}") from None
        return gpu.with_overrides(_flatten(document.gpu.overrides), prefix="gpu.overrides")
    assert document.system is not None  # exactly one of the two, checked by the caller
    try:
        system = system_preset(document.system.preset)
    except SpecError as err:
        raise ValueError(f"system.preset: {err}") from None
    return system.with_overrides(_flatten(document.system.overrides), prefix="system.overrides")


def _check_collective(workload: CollectiveWorkload, system: SystemSpec) -> None:
    """The collective's algorithm, ranks, root and size must fit the system, and each rank's
    buffers its GPU's memory."""
    # here, not at the top: a kernel scenario loads without the collectives package (SimPy)
    from gpusim.collectives.checks import check_collective

    try:
        check_collective(system, workload)
    except CollectiveError as err:
        raise ValueError(f"workload.{err}") from None
    buffer_bytes = workload.buffer_bytes_per_rank(workload.rank_count(system))
    capacity_bytes = system.gpu.dram.capacity_bytes
    if buffer_bytes > capacity_bytes:
        raise ValueError(
            f"workload.size_bytes: each rank's buffers take {format_bytes(buffer_bytes)}, more "
            f"than the {system.gpu.name}'s memory (gpu.dram.capacity_bytes), "
            f"{format_bytes(capacity_bytes)}"
        )


def _check_kernel(workload: KernelWorkload, gpu: GpuSpec) -> None:
    """The kernel must run on the GPU (a GEMM's format on its tensor cores, the kernel's
    compute capability), at the workload's sizes (its alignment rules), with operands that
    fit the GPU's memory and a trace."""
    kernel = get_kernel(workload.kernel)
    if isinstance(workload, GemmWorkload):  # the format first: it says why a kernel cannot run
        try:
            workload.check_on_gpu(gpu)
        except ValueError as err:
            raise ValueError(f"workload.{err}") from None
    try:
        kernel.check_compute_capability(gpu.compute_capability_tuple, gpu.name)
    except KernelError as err:
        raise ValueError(f"workload.kernel: {err}") from None
    params = kernel.params_for(workload)
    try:
        kernel.check(params)
    except KernelError as err:
        raise ValueError(_kernel_size_message(kernel.name, str(err))) from None
    try:
        check_fits_gpu(kernel.name, params, gpu.dram.capacity_bytes, gpu.name)
    except KernelError as err:
        raise ValueError(f"workload.{err}") from None


def _kernel_size_message(kernel: str, message: str) -> str:
    """A kernel's "copy: size_bytes must be a multiple of 16, got 4" as the workload field's
    "workload.size_bytes: must be a multiple of 16 (copy), got 4" (kernels name their
    parameters, which are the workload's fields, in that form)."""
    match = re.fullmatch(rf"{re.escape(kernel)}: (\w+) (must .*?)(, got .*)?", message)
    if match is None:
        return f"workload: {message}"
    field, rule, got = match.groups()
    return f"workload.{field}: {rule} ({kernel}){got or ''}"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"l2": {"size_bytes": 1}}`` (TOML's unquoted dotted keys) -> ``{"l2.size_bytes": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def _sweep_axes(document: ScenarioDocument, workload: Workload) -> dict[str, list[Any]]:
    if document.sweep is None:
        return {}
    axes: dict[str, list[Any]] = {}
    for path, spec in document.sweep.axes.items():
        where = f"sweep.axes.{path}"
        _check_axis_path(document, workload, path, where)
        values = _axis_values(spec, where)
        axes[path] = values
    if document.sweep.mode == "zip" and len({len(v) for v in axes.values()}) > 1:
        lengths = ", ".join(f"{path}: {len(v)}" for path, v in axes.items())
        raise ValueError(f"sweep.mode: zip needs axes of equal length, got {lengths}")
    points = math.prod(len(v) for v in axes.values())
    if document.sweep.mode == "grid" and points > MAX_SWEEP_POINTS:
        raise ValueError(f"sweep.axes: the grid has {points} points, over {MAX_SWEEP_POINTS}")
    return axes


def _check_axis_path(document: ScenarioDocument, workload: Workload, path: str, where: str) -> None:
    table, _, rest = path.partition(".")
    models: dict[str, type[FrozenModel]] = {
        "gpu": GpuSpec,
        "system": SystemSpec,
        "workload": type(workload),
    }
    if table not in models or not rest:
        raise ValueError(f"{where}: must start with gpu., system. or workload.")
    if table != "workload" and getattr(document, table) is None:
        raise ValueError(f"{where}: the scenario has no [{table}] table")
    if table == "workload" and rest == "kind":
        raise ValueError(f"{where}: the workload kind cannot be swept")
    if table != "workload" and rest == "preset":
        return
    field_at(models[table], rest, prefix=f"sweep.axes.{table}")


def _axis_values(spec: Any, where: str) -> list[Any]:
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"{where}: must list at least one value")
        for value in spec:  # every swept field holds one of these (never nan, inf or a date)
            finite = not isinstance(value, float) or math.isfinite(value)
            if not (isinstance(value, bool | int | float | str) and finite):
                raise ValueError(f"{where}: values must be finite numbers or text, got {value!r}")
        return spec
    if isinstance(spec, dict):
        return validate_model(RangeAxis, spec, prefix=where).values()
    raise ValueError(f"{where}: must be a list or a table {{start, stop, step|factor}}")
