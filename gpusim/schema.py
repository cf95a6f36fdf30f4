"""Frozen, validated data models and the one-line messages their errors become.

Specs and scenario files are pydantic models in strict mode (an int is accepted where a float
is expected, nothing else is coerced), frozen, and closed to unknown keys. A validation
failure becomes one line that starts with the dotted path of the field at fault, e.g.
``workload.m: must be > 0, got -4``; ``with_overrides`` replaces fields by dotted path and
re-validates the whole model, so a derived variant is checked exactly like a preset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from gpusim.errors import SpecError

M = TypeVar("M", bound=BaseModel)

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class FrozenModel(BaseModel):
    """Base of every spec and scenario model: immutable, strict, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

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
    """One line for the first error of ``err``: ``path: what is wrong, got X``."""
    errors = err.errors(include_url=False)
    first = errors[0]
    path = _join_path(prefix, ".".join(str(part) for part in first["loc"]))
    message = _describe(first)
    if first["type"] == "value_error":
        # Cross-field checks name their field first ("max_threads: ..."): fold it into the path.
        field, sep, rest = message.partition(": ")
        if sep and _FIELD_NAME.fullmatch(field):
            path, message = _join_path(path, field), rest
    more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
    return f"{path}: {message}{more}" if path else f"{message}{more}"


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
        return f"must be {symbol} {ctx[key]}{got}"
    simple = {
        "int_type": "must be an integer",
        "float_type": "must be a number",
        "bool_type": "must be true or false",
        "string_type": "must be a string",
        "dict_type": "must be a table",
        "list_type": "must be a list",
        "model_type": "must be a table",
        "extra_forbidden": "unknown field",
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
        annotation = info.annotation
        node = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    assert info is not None  # a split path has at least one part
    return info


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
