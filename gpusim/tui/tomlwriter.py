"""Scenario documents written as TOML that ``load_scenario`` reads back unchanged.

The scenario schema is small: top-level scalars, tables (``[gpu]``, ``[workload]``), their
sub-tables (``[gpu.overrides]``, ``[sweep.axes]``), and values that are scalars, lists or
inline tables (a sweep range). Override keys are dotted paths, so they are always written
quoted: ``"l2.size_bytes" = 104857600`` is one key, as ``[gpu.overrides]`` means it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gpusim.files import write_atomically

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TABLE_DEPTH = 2
"""Mappings this deep or shallower are ``[tables]``; deeper ones are written inline."""


def dumps(document: Mapping[str, Any], *, comment: str = "") -> str:
    """TOML text of ``document``; ``comment`` lines open the file."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += _table_lines(document, (), depth=0)
    return "\n".join(lines).lstrip("\n") + "\n"


def write_scenario(path: Path, document: Mapping[str, Any], *, source: str) -> None:
    """Write ``document`` at ``path`` atomically (a crash leaves the old file or none)."""
    comment = f"Saved by gpusim tui from {source}.\nRun it with: gpusim run {path.name}"
    write_atomically(path, dumps(document, comment=comment))


def _table_lines(table: Mapping[str, Any], path: tuple[str, ...], depth: int) -> list[str]:
    lines: list[str] = []
    subtables = {k: v for k, v in table.items() if isinstance(v, Mapping) and depth < _TABLE_DEPTH}
    for key, value in table.items():
        if key not in subtables:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in subtables.items():
        lines += ["", "[" + ".".join(_key(part) for part in (*path, key)) + "]"]
        lines += _table_lines(value, (*path, key), depth + 1)
    return lines


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise ValueError(f"cannot write {type(value).__name__} {value!r} as TOML")


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
