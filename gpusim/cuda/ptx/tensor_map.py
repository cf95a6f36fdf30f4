"""The emulator's tensor maps: what a ``cp.async.bulk.tensor`` reads to find its box.

On a GPU a tensor map is the driver's 128-byte ``CUtensorMap`` (``cuTensorMapEncodeTiled``),
whose encoding NVIDIA does not document. The emulator reads gpusim's own 128-byte encoding
instead, sixteen little-endian uint64 words:

====  =====================================================================
word  field
====  =====================================================================
0     ``MAGIC`` (the ASCII bytes ``gsimTmap``)
1     the tensor: the position of the kernel argument whose array it maps
2     element bytes (1, 2 or 4)
3, 4  dimension 0 (innermost, contiguous) and dimension 1, in elements
5     dimension 1's stride in bytes
6, 7  the box's extent along dimensions 0 and 1, in elements
8     swizzle span in bytes: 0 (none), 32, 64 or 128
9-15  zero
====  =====================================================================

The tensor is named by its argument position, not its address: a kernel's operands are
described before they are placed in memory, and the emulator maps argument ``i`` as its
segment ``arg{i}``. Only 2D tiled maps without interleave, with in-bounds boxes, are
encoded (the GEMM kernels' needs); a box row is at most the swizzle span when swizzled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAGIC = int.from_bytes(b"gsimTmap", "little")
MAP_WORDS = 16
SWIZZLE_SPANS_BYTES = (0, 32, 64, 128)
"""CU_TENSOR_MAP_SWIZZLE_NONE, _32B, _64B, _128B."""
SWIZZLE_CHUNK_BYTES = 16
"""The swizzled unit: 16-byte chunks of a row move, their bytes stay in order."""
SWIZZLE_ROW_SHIFT = 7
"""Address bits 7 and up give the row of an 8-row, 128-byte-pitch swizzle pattern."""


@dataclass(frozen=True)
class TensorMap2d:
    """A 2D tiled tensor map: the tensor (argument position), its shape and row stride,
    the box a copy moves, the shared-memory swizzle."""

    argument: int
    element_bytes: int
    dims: tuple[int, int]
    row_stride_bytes: int
    box: tuple[int, int]
    swizzle_bytes: int

    def __post_init__(self) -> None:
        if self.swizzle_bytes not in SWIZZLE_SPANS_BYTES:
            raise ValueError(
                f"swizzle_bytes must be one of {SWIZZLE_SPANS_BYTES}, got {self.swizzle_bytes}"
            )
        row_bytes = self.box[0] * self.element_bytes
        if row_bytes % SWIZZLE_CHUNK_BYTES:
            raise ValueError(f"a box row must be a multiple of 16 bytes, got {row_bytes}")
        if self.swizzle_bytes and row_bytes > self.swizzle_bytes:
            raise ValueError(
                f"a swizzled box row ({row_bytes} bytes) must fit the swizzle span "
                f"({self.swizzle_bytes} bytes)"
            )

    @property
    def box_row_bytes(self) -> int:
        return self.box[0] * self.element_bytes

    @property
    def box_bytes(self) -> int:
        return self.box_row_bytes * self.box[1]

    def words(self) -> npt.NDArray[np.uint64]:
        """The 16 words of gpusim's encoding."""
        words = np.zeros(MAP_WORDS, np.uint64)
        fields = (
            MAGIC,
            self.argument,
            self.element_bytes,
            *self.dims,
            self.row_stride_bytes,
            *self.box,
            self.swizzle_bytes,
        )
        words[: len(fields)] = fields
        return words

    @classmethod
    def decode(cls, words: npt.NDArray[np.uint64]) -> TensorMap2d:
        """The map of 16 words; ValueError if they are not gpusim's encoding."""
        if int(words[0]) != MAGIC:
            raise ValueError(
                "the tensor map is not gpusim's encoding (word 0 is not the magic 'gsimTmap')"
            )
        value = [int(w) for w in words[:9]]
        return cls(
            argument=value[1],
            element_bytes=value[2],
            dims=(value[3], value[4]),
            row_stride_bytes=value[5],
            box=(value[6], value[7]),
            swizzle_bytes=value[8],
        )


def swizzled(offsets: npt.NDArray[np.uint64], swizzle_bytes: int) -> npt.NDArray[np.uint64]:
    """Shared-memory byte offsets after a swizzle of ``swizzle_bytes`` (CUTLASS's
    ``Swizzle<log2(span / 16), 4, 3>``): the 16-byte chunk index (address bits 4 and up)
    is XORed with the row of the 8-row pattern (bits 7 and up), both masked to the span's
    chunks. Applied to absolute shared addresses, as the TMA and wgmma do."""
    if swizzle_bytes == 0:
        return offsets
    chunks = np.uint64(swizzle_bytes // SWIZZLE_CHUNK_BYTES - 1)
    rows = (offsets >> np.uint64(SWIZZLE_ROW_SHIFT)) & chunks
    result: npt.NDArray[np.uint64] = offsets ^ (rows << np.uint64(4))
    return result
