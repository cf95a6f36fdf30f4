"""Sizes as typed on the command line: K, M, G are powers of 1024; MIN:MAX doubles."""

from __future__ import annotations

from itertools import pairwise

import pytest

from gpusim.collectives.sizes import parse_size, parse_size_range
from gpusim.errors import CollectiveError


@pytest.mark.parametrize(
    ("text", "size"),
    [("8", 8), ("64K", 65536), ("1m", 1 << 20), ("8G", 8 << 30), ("2MiB", 2 << 20), ("4KB", 4096)],
)
def test_sizes_take_binary_suffixes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_a_range_doubles_from_min_to_max() -> None:
    sizes = parse_size_range("8:8G")
    assert (sizes[0], sizes[-1], len(sizes)) == (8, 8 << 30, 31)
    assert all(b == 2 * a for a, b in pairwise(sizes))
    assert parse_size_range("3:20") == [3, 6, 12]
    assert parse_size_range("1M") == [1 << 20]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8T", r"^--sizes: '8T' is not a size"),
        ("", r"^--sizes: '' is not a size"),
        ("0:8", r"^--sizes: must be > 0 bytes, got '0'"),
        ("1G:1M", r"^--sizes: MAX must be >= MIN in MIN:MAX, got '1G:1M'"),
        ("1:99999999999999999999999", r"^--sizes: '1:99999999999999999999999' gives 77 sizes"),
    ],
)
def test_bad_sizes_name_the_option(text: str, message: str) -> None:
    with pytest.raises(CollectiveError, match=message):
        parse_size_range(text, field="--sizes")
