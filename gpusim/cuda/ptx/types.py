"""PTX fundamental types and how the emulator stores their values.

Every register is stored as raw bits in an unsigned NumPy array of its width (``.pred`` as
bool): instructions reinterpret those bits through zero-copy ``view`` s, which is exactly
what PTX's untyped registers do (``mov.b32 %r1, %f1`` moves bits, not values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from gpusim.errors import PtxError

Kind = Literal["s", "u", "b", "f", "pred"]

UNSIGNED_BY_BITS: dict[int, type[np.unsignedinteger]] = {
    8: np.uint8,
    16: np.uint16,
    32: np.uint32,
    64: np.uint64,
}
SIGNED_BY_BITS: dict[int, type[np.signedinteger]] = {
    8: np.int8,
    16: np.int16,
    32: np.int32,
    64: np.int64,
}
FLOAT_BY_BITS: dict[int, type[np.floating]] = {16: np.float16, 32: np.float32, 64: np.float64}


@dataclass(frozen=True)
class PtxType:
    """One PTX scalar type (``.s32``, ``.f16x2`` ...).

    ``lanes`` is 2 for the packed ``.f16x2`` (two f16 in one 32-bit value), else 1.
    """

    name: str
    kind: Kind
    bits: int
    lanes: int = 1

    @property
    def size_bytes(self) -> int:
        return max(self.bits // 8, 1)

    @property
    def storage(self) -> np.dtype:
        """The dtype that holds this type's raw bits in a register or in memory."""
        if self.kind == "pred":
            return np.dtype(np.bool_)
        return np.dtype(UNSIGNED_BY_BITS[self.bits])

    @property
    def value(self) -> np.dtype:
        """The dtype arithmetic on this type uses (``.f16x2`` computes on its f16 halves)."""
        if self.kind == "pred":
            return np.dtype(np.bool_)
        if self.kind == "s":
            return np.dtype(SIGNED_BY_BITS[self.bits])
        if self.kind == "f":
            return np.dtype(FLOAT_BY_BITS[self.bits // self.lanes])
        return np.dtype(UNSIGNED_BY_BITS[self.bits])

    @property
    def is_float(self) -> bool:
        return self.kind == "f"

    @property
    def is_signed(self) -> bool:
        return self.kind == "s"


def _build_types() -> dict[str, PtxType]:
    types: dict[str, PtxType] = {"pred": PtxType("pred", "pred", 1)}
    for bits in (8, 16, 32, 64):
        for kind in ("s", "u", "b"):
            types[f"{kind}{bits}"] = PtxType(f"{kind}{bits}", kind, bits)
    for bits in (16, 32, 64):
        types[f"f{bits}"] = PtxType(f"f{bits}", "f", bits)
    types["f16x2"] = PtxType("f16x2", "f", 32, lanes=2)
    return types


TYPES: dict[str, PtxType] = _build_types()


def is_type_name(name: str) -> bool:
    """True when ``name`` (without the dot) is a PTX scalar type this emulator knows."""
    return name in TYPES


def ptx_type(name: str, line: int) -> PtxType:
    """The PtxType called ``name`` (no leading dot); PtxError naming the line otherwise."""
    try:
        return TYPES[name]
    except KeyError:
        raise PtxError(f"PTX line {line}: unsupported type .{name}") from None
