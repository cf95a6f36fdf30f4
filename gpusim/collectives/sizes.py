"""Message sizes as people type them: ``8``, ``64K``, ``1M``, ``8G`` (powers of 1024), and
ranges ``MIN:MAX`` that double from MIN while they stay within MAX (nccl-tests' ``-b``,
``-e`` and ``-f 2``)."""

from __future__ import annotations

import re

from gpusim.errors import CollectiveError
from gpusim.units import GIB, KIB, MIB

_SIZE = re.compile(r"(\d+)\s*([KMG]?)(?:I?B)?", re.IGNORECASE)
_SCALE = {"": 1, "K": KIB, "M": MIB, "G": GIB}
MAX_SIZES = 64
"""A range gives at most this many sizes (1 B to 8 GiB is 34)."""


def parse_size(text: str, *, field: str = "size") -> int:
    """Bytes in ``text``: digits and an optional K, M or G (``field`` names it in errors)."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise CollectiveError(
            f"{field}: {text!r} is not a size (digits with an optional K, M or G, e.g. 8G)"
        )
    size_bytes = int(match.group(1)) * _SCALE[match.group(2).upper()]
    if size_bytes <= 0:
        raise CollectiveError(f"{field}: must be > 0 bytes, got {text!r}")
    return size_bytes


def parse_size_range(text: str, *, field: str = "sizes") -> list[int]:
    """``MIN:MAX`` doubling from MIN up to MAX, or a single size."""
    low_text, colon, high_text = text.partition(":")
    low = parse_size(low_text, field=field)
    if not colon:
        return [low]
    high = parse_size(high_text, field=field)
    if high < low:
        raise CollectiveError(f"{field}: MAX must be >= MIN in MIN:MAX, got {text!r}")
    sizes = []
    size = low
    while size <= high:
        sizes.append(size)
        size *= 2
    if len(sizes) > MAX_SIZES:
        raise CollectiveError(f"{field}: {text!r} gives {len(sizes)} sizes, over {MAX_SIZES}")
    return sizes
