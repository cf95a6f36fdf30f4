"""What the explorer offers to open: scenario files and the preset GPUs and systems.

Scenario files come from the command line and from the ``scenarios/`` folders found next to
the working directory and next to the gpusim checkout. A preset opens as a ready scenario
with a default workload: the quick start's GEMM on a GPU, a 64 MiB all-reduce on a system.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gpusim.scenario import SCHEMA_VERSION, Scenario, load_scenario, scenario_from_dict
from gpusim.spec.presets import library
from gpusim.units import MIB

Group = Literal["scenario", "gpu", "system"]

GROUP_TITLES: dict[Group, str] = {
    "scenario": "Scenarios",
    "gpu": "GPU presets",
    "system": "System presets",
}

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The checkout gpusim runs from (its ``scenarios/`` folder ships beside the package)."""

DEFAULT_GPU_WORKLOAD: dict[str, Any] = {
    "kind": "gemm",
    "kernel": "gemm_smem_tiled_32",
    "m": 1024,
    "n": 1024,
    "k": 1024,
}
"""What a GPU preset runs when opened: the quick start's GEMM."""

DEFAULT_SYSTEM_WORKLOAD: dict[str, Any] = {"kind": "allreduce", "size_bytes": 64 * MIB}
"""What a system preset runs when opened: a 64 MiB fp32 ring all-reduce over every GPU."""


@dataclass(frozen=True)
class Entry:
    """One line of the scenario list: a scenario file or a preset."""

    group: Group
    label: str
    path: Path | None = None
    """The scenario file (``None`` for a preset)."""

    @property
    def key(self) -> str:
        """A unique, stable identifier (the list's option id)."""
        return f"{self.group}:{self.path.resolve() if self.path is not None else self.label}"

    def load(self) -> Scenario:
        """The scenario this entry opens (``ScenarioError`` for a bad file)."""
        if self.path is not None:
            return load_scenario(self.path)
        table = "gpu" if self.group == "gpu" else "system"
        workload = DEFAULT_GPU_WORKLOAD if table == "gpu" else DEFAULT_SYSTEM_WORKLOAD
        document = {
            "schema_version": SCHEMA_VERSION,
            "name": self.label,
            table: {"preset": self.label},
            "workload": dict(workload),
        }
        return scenario_from_dict(document, source=f"preset {self.label}")


def default_dirs(cwd: Path | None = None) -> list[Path]:
    """The ``scenarios/`` folders of the working directory and of the checkout, if present."""
    candidates = [(cwd or Path.cwd()) / "scenarios", PACKAGE_ROOT / "scenarios"]
    return _unique(path for path in candidates if path.is_dir())


def catalog(files: Sequence[Path], dirs: Sequence[Path]) -> list[Entry]:
    """Scenario files (those given first, then each folder's ``*.toml``), then the presets."""
    found = [*files, *(path for folder in dirs for path in sorted(folder.glob("*.toml")))]
    entries = [Entry("scenario", path.stem, path) for path in _unique(found)]
    presets = library()
    entries += [Entry("gpu", name) for name in presets.gpus]
    entries += [Entry("system", name) for name in presets.systems]
    return entries


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen: set[Path] = set()
    unique: list[Path] = []
    for path in paths:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique
