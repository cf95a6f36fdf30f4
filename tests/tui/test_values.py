"""Values as the editor shows and reads them: with a prefix and the unit, never rounded."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpusim.tui.values import display, parse, unit_of


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("size_bytes", "B"),
        ("bandwidth_bytes_per_s", "B/s"),
        ("bandwidth_bytes_per_s_per_link_per_direction", "B/s"),
        ("bandwidth_bytes_per_cycle", "B/cycle"),
        ("clock_hz", "Hz"),
        ("latency_s", "s"),
        ("latency_cycles", "cycles"),
        ("count", ""),
        ("efficiency", ""),
    ],
)
def test_the_unit_is_in_the_name(name: str, unit: str) -> None:
    assert unit_of(name) == unit


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (52428800, "B", "50 MiB"),
        (232448, "B", "227 KiB"),
        (576000, "B", "562.5 KiB"),
        (100, "B", "100 B"),
        (3.35e12, "B/s", "3.35 TB/s"),
        (1.98e9, "Hz", "1.98 GHz"),
        (2.43e-6, "s", "2.43 us"),
        (4.7e-7, "s", "470 ns"),
        (834, "cycles", "834"),
        (0.9, "", "0.9"),
        (None, "", ""),
        ("gemm_naive", "", "gemm_naive"),
    ],
)
def test_display(value: object, unit: str, shown: str) -> None:
    assert display(value, unit) == shown


@pytest.mark.parametrize(
    ("text", "unit", "integer", "value"),
    [
        ("50 MiB", "B", True, 52428800),
        ("50MiB", "B", True, 52428800),
        ("64M", "B", True, 64 * 2**20),
        ("1.5 KiB", "B", True, 1536),
        ("2 kB", "B", True, 2000),
        ("52_428_800", "B", True, 52428800),
        ("4 TB/s", "B/s", False, 4e12),
        ("4e12", "B/s", False, 4e12),
        ("1.5 GHz", "Hz", False, 1.5e9),
        ("2 us", "s", False, 2e-6),
        ("2µs", "s", False, 2e-6),
        ("300 cycles", "cycles", True, 300),
    ],
)
def test_parse(text: str, unit: str, integer: bool, value: float) -> None:
    parsed = parse(text, unit, integer=integer)
    assert parsed == value
    assert isinstance(parsed, int if integer else float)


@pytest.mark.parametrize(
    ("text", "unit", "integer", "message"),
    [
        ("abc", "B", True, "must be a number, got 'abc'"),
        ("", "B", True, "must be a number, got ''"),
        ("1.3 KiB", "B", True, "must be a whole number of bytes, got '1.3 KiB'"),
        ("2.5", "", True, "must be a whole number, got '2.5'"),
        ("4 MB/s", "B", True, "unknown unit 'MB/s' (this field is in B)"),
        ("2x", "", False, "must be a number, got '2x'"),
        ("2 s", "B", True, "unknown unit 's' (this field is in B)"),
        ("1e40", "", False, "is out of range, got '1e40'"),
    ],
)
def test_parse_says_what_is_wrong(text: str, unit: str, integer: bool, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse(text, unit, integer=integer)


@given(st.integers(min_value=0, max_value=2**50))
def test_sizes_read_back_exactly(size: int) -> None:
    assert parse(display(size, "B"), "B", integer=True) == size


@given(
    st.floats(min_value=1e-12, max_value=1e18, allow_nan=False),
    st.sampled_from(["B/s", "Hz", "s", ""]),
)
def test_rates_and_times_read_back_exactly(value: float, unit: str) -> None:
    assert parse(display(value, unit), unit, integer=False) == value
