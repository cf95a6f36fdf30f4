"""The parameters the explorer edits: a scenario's workload fields and hardware fields.

A parameter is named by the dotted path a sweep axis uses (``workload.m``,
``gpu.l2.size_bytes``, ``system.gpu.sm.count``), so what people learn in the editor is what
they write in scenario files. Its unit comes from its name, its choices from its type.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from gpusim.collectives.registry import ALGORITHMS
from gpusim.scenario import Scenario
from gpusim.tui import values

Table = Literal["workload", "gpu", "system"]


@dataclass(frozen=True)
class Parameter:
    """One editable leaf field of a scenario, with what the editor needs to show and read it."""

    table: Table
    key: str
    """The path inside its table: ``m``, ``l2.size_bytes``."""
    description: str
    unit: str
    numeric: bool
    integer: bool
    optional: bool
    """Whether an empty value is allowed (it means the field's default, e.g. all ranks)."""
    choices: tuple[str, ...]
    editable: bool = True

    @property
    def path(self) -> str:
        """The dotted path from the scenario's top: ``gpu.l2.size_bytes``."""
        return f"{self.table}.{self.key}"

    @property
    def section(self) -> str:
        """The table or sub-table that holds the field: ``gpu.l2``, ``workload``."""
        return self.path.rpartition(".")[0]

    @property
    def name(self) -> str:
        """The field's own name: ``size_bytes``."""
        return self.key.rpartition(".")[2]

    def display(self, value: object) -> str:
        """``value`` as the editor shows it."""
        return values.display(value, self.unit)

    def parse(self, text: str) -> Any:
        """The value ``text`` gives this field; ``ValueError`` (without the path) if none."""
        stripped = text.strip()
        if not stripped and self.optional:
            return None
        if self.numeric:
            return values.parse(stripped, self.unit, integer=self.integer)
        if self.choices == ("false", "true"):
            if stripped not in self.choices:
                raise ValueError(f"must be true or false, got {stripped!r}")
            return stripped == "true"
        return stripped


def hardware_table(scenario: Scenario) -> Literal["gpu", "system"]:
    """Which hardware table the scenario's document has."""
    return "gpu" if "gpu" in scenario.document else "system"


def parameters(scenario: Scenario) -> list[Parameter]:
    """The scenario's workload parameters, then its hardware's, in declaration order."""
    workload = list(_leaves(type(scenario.workload), "workload", ""))
    kind = scenario.workload.kind
    workload = [_with_workload_choices(parameter, kind) for parameter in workload]
    return workload + list(_leaves(type(scenario.hardware), hardware_table(scenario), ""))


def section_titles(scenario: Scenario) -> dict[str, str]:
    """Each section path (``gpu.l2``) and the first line of its model's docstring."""
    table = hardware_table(scenario)
    titles = {"workload": _doc(type(scenario.workload)), table: _doc(type(scenario.hardware))}
    titles.update(_model_titles(type(scenario.hardware), table))
    return titles


def value_of(scenario: Scenario, parameter: Parameter) -> Any:
    """The scenario's current value of ``parameter``."""
    node: Any = scenario.workload if parameter.table == "workload" else scenario.hardware
    for name in parameter.key.split("."):
        node = getattr(node, name)
    return node


def _leaves(model: type[BaseModel], table: Table, prefix: str) -> Iterator[Parameter]:
    """A model's own fields first, then each nested model's, so every section is one run."""
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested.append((name, annotation))
            continue
        optional, inner = _unwrap_optional(annotation)
        numeric = inner in (int, float)
        yield Parameter(
            table=table,
            key=f"{prefix}{name}",
            description=info.description or "",
            unit=values.unit_of(name) if numeric else "",
            numeric=numeric,
            integer=inner is int,
            optional=optional,
            choices=_choices(inner),
            editable=not (table == "workload" and name == "kind"),
        )
    for name, annotation in nested:
        yield from _leaves(annotation, table, f"{prefix}{name}.")


def _model_titles(model: type[BaseModel], prefix: str) -> dict[str, str]:
    titles: dict[str, str] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            titles[f"{prefix}.{name}"] = _doc(annotation)
            titles.update(_model_titles(annotation, f"{prefix}.{name}"))
    return titles


def _doc(model: type[BaseModel]) -> str:
    """The first line of a model's docstring, without reST literals."""
    return (model.__doc__ or "").strip().split("\n")[0].replace("``", "")


def _unwrap_optional(annotation: Any) -> tuple[bool, Any]:
    """``int | None`` -> ``(True, int)``; anything else -> ``(False, annotation)``."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return True, members[0]
    return False, annotation


def _choices(annotation: Any) -> tuple[str, ...]:
    if get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in get_args(annotation))
    if annotation is bool:
        return ("false", "true")
    return ()


def _with_workload_choices(parameter: Parameter, kind: str) -> Parameter:
    """A collective's ``algo`` is a free string in the model, checked against the registry."""
    if parameter.key == "algo" and kind in ALGORITHMS:
        return Parameter(**{**parameter.__dict__, "choices": tuple(ALGORITHMS[kind])})
    return parameter
