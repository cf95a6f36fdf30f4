"""Frozen, validated data models and the one-line messages their errors become.

Specs and scenario files are pydantic models in strict mode (an int is accepted where a float
is expected, nothing else is coerced), frozen, closed to unknown keys, and finite (no float
field takes inf or nan: no physical figure is infinite, and a non-finite value would reach
the engines and the store's JSON). A validation failure becomes one line that starts with the
dotted path of the field at fault, e.g. ``workload.m: must be > 0, got -4``, and names every
other field at fault after it (``; ``-separated); ``with_overrides`` replaces fields by dotted
path and re-validates the whole model, so a derived variant is checked exactly like a preset.

Numeric spec fields carry their physical range as pydantic bounds (``ge``/``le``): wide enough
for what-ifs (ten times either way of any real GPU), tight enough that the engines terminate.
``field_range`` renders a field's range for ``gpusim presets show`` and docs/presets.md.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from gpusim.errors import SpecError

M = TypeVar("M", bound=BaseModel)

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class FrozenModel(BaseModel):
    """Base of every spec and scenario model: immutable, strict, finite, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    def with_overrides(self, overrides: Mapping[str, Any], *, prefix: str = "") -> Self:
        """A copy with fields replaced by dotted path, re-validated (``SpecError`` if not valid).

        ``prefix`` is prepended to paths in error messages, so an override that comes from a
        scenario's ``[gpu.overrides]`` table is reported under that table's path.
        """
        data = self.model_dump()
        try:
            for path, value in overrides.items():
                _set_dotted(data, path, value, type(self), prefix)
            return validate_model(type(self), data, prefix=prefix)
        except ValueError as err:
            raise SpecError(str(err)) from None


def validate_model(model: type[M], data: Any, *, prefix: str = "") -> M:
    """Validate ``data`` as ``model``, raising ``ValueError`` with a one-line message.

    Callers turn the ``ValueError`` into the domain error of their room (SpecError,
    ScenarioError); the message already names the field.
    """
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ValueError(format_validation_error(err, prefix=prefix)) from None


def format_validation_error(err: ValidationError, *, prefix: str = "") -> str:
    """One line naming every error of ``err``: ``path: what is wrong, got X; path: ...``."""
    errors = _merge_union_branches(err.errors(include_url=False))
    return "; ".join(_format_one(error, prefix) for error in errors)


_UNION_BRANCHES = frozenset({"int", "float", "str", "bool"})
"""The last part of an error's location when pydantic tried one member of a union."""


def _merge_union_branches(errors: list[Any]) -> list[Any]:
    """One error per field of a union type (``int | float``): pydantic reports each member's.

    The kept error is the one that is not "wrong type" where there is one (nan in an
    ``int | float`` field: "must be a finite number", not "must be an integer"), located at
    the field itself.
    """
    merged: dict[tuple[Any, ...], Any] = {}
    for index, error in enumerate(errors):
        loc = tuple(error["loc"])
        if not (loc and loc[-1] in _UNION_BRANCHES):
            merged[(index,)] = error  # not a union member's error: kept as it is
            continue
        error = {**error, "loc": loc[:-1]}
        key = ("union", *loc[:-1])
        kept = merged.get(key)
        if kept is None or (kept["type"].endswith("_type") and not error["type"].endswith("_type")):
            merged[key] = error
    return list(merged.values())


def _format_one(error: Mapping[str, Any], prefix: str) -> str:
    path = _join_path(prefix, ".".join(str(part) for part in error["loc"]))
    message = _describe(error)
    if error["type"] == "value_error":
        # Cross-field checks name their field first ("max_threads: ..."): fold it into the path.
        field, sep, rest = message.partition(": ")
        if sep and _FIELD_NAME.fullmatch(field):
            path, message = _join_path(path, field), rest
    return f"{path}: {message}" if path else message


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = f", got {error['input']!r}"
    bounds = {
        "greater_than": ("gt", ">"),
        "greater_than_equal": ("ge", ">="),
        "less_than": ("lt", "<"),
        "less_than_equal": ("le", "<="),
    }
    if kind in bounds:
        key, symbol = bounds[kind]
        return f"must be {symbol} {_number(ctx[key])}{got}"
    simple = {
        "int_type": "must be an integer",
        "float_type": "must be a number",
        "bool_type": "must be true or false",
        "string_type": "must be a string",
        "dict_type": "must be a table",
        "list_type": "must be a list",
        "model_type": "must be a table",
        "extra_forbidden": "unknown field",
        "finite_number": "must be a finite number",
    }
    if kind == "missing":
        return "missing (required)"
    if kind in simple:
        return f"{simple[kind]}{got}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}{got}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg'][0].lower()}{error['msg'][1:]}{got}"


def _join_path(prefix: str, path: str) -> str:
    if prefix and path:
        return f"{prefix}.{path}"
    return prefix or path


def field_at(model: type[BaseModel], path: str, *, prefix: str = "") -> FieldInfo:
    """The field that dotted ``path`` names in ``model``; ``ValueError`` if there is none."""
    parts = path.split(".")
    node: type[BaseModel] | None = model
    info: FieldInfo | None = None
    for depth, name in enumerate(parts):
        here = _join_path(prefix, ".".join(parts[: depth + 1]))
        if node is None:
            parent = _join_path(prefix, ".".join(parts[:depth]))
            raise ValueError(f"{parent}: is a value, not a table, so it has no field {name!r}")
        if name not in node.model_fields:
            known = ", ".join(sorted(node.model_fields))
            raise ValueError(f"{here}: unknown field (known: {known})")
        info = node.model_fields[name]
        node = _table_type(info.annotation)
    assert info is not None  # a split path has at least one part
    return info


def _table_type(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: its annotation, or the model of an optional one
    (``WgmmaSpec | None``); None for a value."""
    members = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if len(members) == 1 and isinstance(members[0], type) and issubclass(members[0], BaseModel):
        return members[0]
    return None


def field_range(info: FieldInfo) -> str:
    """A field's bounds as text (``"1 to 2_048"``, ``"> 0 to 1"``), or "" if it has none.

    An integer field's ``gt=0`` reads as ``1``; numbers are written as TOML takes them.
    """
    integer = info.annotation is int
    low = high = ""
    for bound in info.metadata:
        if getattr(bound, "ge", None) is not None:
            low = _number(bound.ge)
        if getattr(bound, "gt", None) is not None:
            low = _number(bound.gt + 1) if integer else f"> {_number(bound.gt)}"
        if getattr(bound, "le", None) is not None:
            high = _number(bound.le)
    if low and high:
        return f"{low} to {high}"
    if high:
        return f"up to {high}"
    return f">= {low}" if low and not low.startswith(">") else low


def _number(value: float) -> str:
    """``1e8``, ``4_194_304``, ``0.01``: exact, short, and as TOML (and Python) write it."""
    if isinstance(value, int):
        return f"{value:_}"
    return f"{value:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _set_dotted(
    data: dict[str, Any], path: str, value: Any, model: type[BaseModel], prefix: str
) -> None:
    """Set ``data[a][b][c] = value`` for ``path == "a.b.c"`` after checking the path exists."""
    field_at(model, path, prefix=prefix)
    *parents, last = path.split(".")
    node = data
    for name in parents:
        node = node[name]
    node[last] = value
