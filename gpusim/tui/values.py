"""Parameter values as people read and type them: numbers with a prefix and the field's unit.

A spec field's unit is in its name (``_bytes``, ``_bytes_per_s``, ``_hz``, ``_s``, ``_cycles``);
the editor shows ``52428800`` as ``50 MiB`` and accepts ``50 MiB``, ``50MiB``, ``52428800`` or
``5e7`` back. Display and parsing go through ``Decimal``, so a value shown and read back
unchanged is the very same float or int: an untouched field never drifts.
"""

from __future__ import annotations

import re
from decimal import Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_BARE_BINARY = {"K": 2**10, "k": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
"""Bare prefixes on a size are powers of 1024, as in ``gpusim collective --sizes``."""
_DECIMAL = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
_TIME = {"s": Decimal(1), "ms": Decimal("1e-3"), "us": Decimal("1e-6"), "µs": Decimal("1e-6")}
_TIME["ns"] = Decimal("1e-9")

_UNIT_NAMES = {"B": "bytes"}

LARGEST = Decimal("1e30")
"""Beyond any spec figure; bounds what a stray exponent can make the editor compute."""

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S*)\s*$")


def unit_of(field_name: str) -> str:
    """The unit a spec or workload field's name carries (``""`` when it carries none)."""
    if "bytes_per_s" in field_name:
        return "B/s"
    if "bytes_per_cycle" in field_name:
        return "B/cycle"
    if field_name.endswith("_hz"):
        return "Hz"
    if field_name.endswith("_bytes"):
        return "B"
    if field_name.endswith("_s"):
        return "s"
    if field_name.endswith("_cycles"):
        return "cycles"
    return ""


def display(value: object, unit: str) -> str:
    """``value`` as the editor shows it: with the prefix that reads best, never rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if unit == "B" and isinstance(value, int):
        return _display_binary(exact)
    if unit in ("B/s", "Hz"):
        scales = [(Decimal(scale), prefix) for prefix, scale in _DECIMAL.items() if prefix != "K"]
        return _display_scaled(exact, scales, unit)
    if unit == "s":
        scales = [(scale, name) for name, scale in _TIME.items() if name != "µs"]
        return _display_scaled(exact, scales, "")
    return _plain(exact)


def parse(text: str, unit: str, *, integer: bool) -> int | float:
    """The number ``text`` means in a field of ``unit``; ``ValueError`` says what is wrong.

    Sizes take binary prefixes (``KiB``, ``MiB``; bare ``K``, ``M``, ``G`` too) or decimal
    ones (``kB``, ``MB``, ``GB``); rates and clocks take decimal prefixes (``TB/s``, ``GHz``);
    times take ``s``, ``ms``, ``us`` or ``ns``.
    """
    match = _NUMBER.match(text.replace("_", ""))
    if match is None:
        raise ValueError(f"must be a number, got {text.strip()!r}")
    number, suffix = Decimal(match.group(1)), match.group(2)
    if suffix and not unit:
        raise ValueError(f"must be a number, got {text.strip()!r}")
    exact = number * _scale(suffix, unit)
    if abs(exact) > LARGEST:
        raise ValueError(f"is out of range, got {text.strip()!r}")
    if integer:
        if exact != exact.to_integral_value():
            what = f"a whole number of {_UNIT_NAMES.get(unit, unit)}" if unit else "a whole number"
            raise ValueError(f"must be {what}, got {text.strip()!r}")
        return int(exact)
    return float(exact)


def _scale(suffix: str, unit: str) -> Decimal:
    if suffix in ("", unit):
        return Decimal(1)
    if unit == "B":
        for table, tail in ((_BINARY, "B"), (_BINARY, ""), (_BARE_BINARY, "")):
            for prefix, scale in table.items():
                if suffix == prefix + tail:
                    return Decimal(scale)
        for prefix, scale in _DECIMAL.items():
            if suffix == f"{prefix}B":
                return Decimal(scale)
    elif unit in ("B/s", "Hz"):
        for prefix, scale in _DECIMAL.items():
            if suffix in (prefix, prefix + unit):
                return Decimal(scale)
    elif unit == "s" and suffix in _TIME:
        return _TIME[suffix]
    raise ValueError(f"unknown unit {suffix!r} (this field is in {unit})")


def _display_binary(exact: Decimal) -> str:
    for prefix, scale in reversed(_BINARY.items()):
        quotient = exact / scale
        if abs(quotient) >= 1 and quotient == quotient.quantize(Decimal("0.001")):
            return f"{_plain(quotient)} {prefix}B"
    return f"{_plain(exact)} B"


def _display_scaled(exact: Decimal, scales: list[tuple[Decimal, str]], unit: str) -> str:
    for scale, prefix in sorted(scales, reverse=True):
        quotient = exact / scale
        if abs(quotient) >= 1:
            return f"{_plain(quotient)} {prefix}{unit}"
    return f"{_plain(exact)} {unit}".rstrip()


def _plain(exact: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: ``Decimal('3.3500') -> '3.35'``."""
    return f"{exact.normalize():f}"
