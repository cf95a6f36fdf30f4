"""The preset GPUs and systems, read from the TOML files beside this module.

A preset file is data with its sources in comments. It either spells out a whole spec or
names a ``base`` preset and the fields it replaces (``[overrides]``, by dotted path), so a
variant is never a copy. A system names its GPU by preset name.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gpusim.errors import SpecError
from gpusim.schema import validate_model
from gpusim.spec.gpu import GpuSpec
from gpusim.spec.system import SystemSpec

PRESET_DIR = Path(__file__).with_name("presets")
_PRESET_KEYS = frozenset({"kind", "base", "overrides"})

S = TypeVar("S", GpuSpec, SystemSpec)


@dataclass(frozen=True)
class _PresetFile:
    path: Path
    kind: str
    name: str
    base: str | None
    overrides: Mapping[str, Any]
    body: Mapping[str, Any]


@dataclass(frozen=True)
class PresetLibrary:
    """Every preset GPU and system, by name."""

    gpus: Mapping[str, GpuSpec]
    systems: Mapping[str, SystemSpec]


def gpu_preset(name: str) -> GpuSpec:
    """The preset GPU called ``name`` (case-insensitive)."""
    return _lookup(library().gpus, name, "GPU")


def system_preset(name: str) -> SystemSpec:
    """The preset system called ``name`` (case-insensitive)."""
    return _lookup(library().systems, name, "system")


@functools.cache
def library() -> PresetLibrary:
    """All presets, read and validated once per process."""
    files = {preset.name: preset for preset in map(_read, sorted(PRESET_DIR.glob("*.toml")))}
    gpus: dict[str, GpuSpec] = {}
    systems: dict[str, SystemSpec] = {}
    for name, preset in files.items():
        if preset.kind == "gpu":
            gpus[name] = _resolve_gpu(name, files, gpus, ())
    for name, preset in files.items():
        if preset.kind == "system":
            systems[name] = _resolve_system(name, files, gpus, systems, ())
    return PresetLibrary(gpus=gpus, systems=systems)


def _lookup(presets: Mapping[str, S], name: str, what: str) -> S:
    for known, spec in presets.items():
        if known.lower() == name.lower():
            return spec
    raise SpecError(f"unknown {what} preset {name!r} (known: {', '.join(presets)})")


def _read(path: Path) -> _PresetFile:
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise SpecError(f"{path}: {err}") from None
    kind, name = raw.get("kind"), raw.get("name")
    if kind not in ("gpu", "system") or not isinstance(name, str):
        raise SpecError(f"{path}: needs kind = 'gpu' or 'system' and a name")
    body = {key: value for key, value in raw.items() if key not in _PRESET_KEYS}
    return _PresetFile(path, kind, name, raw.get("base"), raw.get("overrides", {}), body)


def _resolve_gpu(
    name: str, files: Mapping[str, _PresetFile], done: dict[str, GpuSpec], chain: tuple[str, ...]
) -> GpuSpec:
    if name in done:
        return done[name]
    preset = _preset_file(name, "gpu", files, chain)
    try:
        if preset.base is None:
            spec = validate_model(GpuSpec, preset.body)
        else:
            base = _resolve_gpu(preset.base, files, done, (*chain, name))
            spec = base.with_overrides({**preset.body, **preset.overrides})
    except ValueError as err:
        raise SpecError(f"{preset.path}: {err}") from None
    done[name] = spec
    return spec


def _resolve_system(
    name: str,
    files: Mapping[str, _PresetFile],
    gpus: Mapping[str, GpuSpec],
    done: dict[str, SystemSpec],
    chain: tuple[str, ...],
) -> SystemSpec:
    if name in done:
        return done[name]
    preset = _preset_file(name, "system", files, chain)
    body = dict(preset.body)
    try:
        if "gpu" in body:
            body["gpu"] = _lookup(gpus, body["gpu"], "GPU").model_dump()
        if preset.base is None:
            spec = validate_model(SystemSpec, body)
        else:
            base = _resolve_system(preset.base, files, gpus, done, (*chain, name))
            spec = base.with_overrides({**body, **preset.overrides})
    except (ValueError, SpecError) as err:
        raise SpecError(f"{preset.path}: {err}") from None
    done[name] = spec
    return spec


def _preset_file(
    name: str, kind: str, files: Mapping[str, _PresetFile], chain: tuple[str, ...]
) -> _PresetFile:
    if name in chain:
        raise SpecError(f"preset {name!r}: its bases form a cycle: {' -> '.join((*chain, name))}")
    preset = files.get(name)
    if preset is None or preset.kind != kind:
        raise SpecError(f"preset {chain[-1]!r}: base {name!r} is not a {kind} preset")
    return preset
