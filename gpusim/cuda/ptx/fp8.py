"""The fp8 e4m3 number format (OCP "OFP8" E4M3, as the PTX ISA's ``.e4m3``): 1 sign bit,
4 exponent bits (bias 7), 3 mantissa bits; exponent 0 holds the subnormals
(``mantissa / 8 * 2^-6``); no infinities; ``S.1111.111`` is NaN, so the largest finite
magnitude is 448.

Values become e4m3 as ``cvt.rn.satfinite.e4m3x2.f32`` makes them: rounded to nearest, ties
to the even code, magnitudes beyond 448 saturated to 448, NaN kept NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EXPONENT_BIAS = 7
MANTISSA_BITS = 3
NAN_CODE = 0x7F
MAX_FINITE = 448.0


def _table() -> npt.NDArray[np.float64]:
    codes = np.arange(256)
    sign = np.where(codes & 0x80, -1.0, 1.0)
    exponent = (codes >> MANTISSA_BITS) & 0xF
    mantissa = (codes & 0x7).astype(np.float64)
    normal = (1.0 + mantissa / 8.0) * np.exp2(exponent - EXPONENT_BIAS)
    subnormal = mantissa / 8.0 * 2.0 ** (1 - EXPONENT_BIAS)
    values = sign * np.where(exponent == 0, subnormal, normal)
    values[(codes & 0x7F) == NAN_CODE] = np.nan
    return values


E4M3_VALUES = _table()
"""The value of every e4m3 code (index = the byte)."""
_POSITIVE = E4M3_VALUES[:NAN_CODE]
"""Codes 0..126: the non-negative finite values, increasing."""


def e4m3_to_float64(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """The values of e4m3 ``codes``."""
    values: npt.NDArray[np.float64] = E4M3_VALUES[np.asarray(codes, np.uint8)]
    return values


def float_to_e4m3(values: npt.NDArray[np.floating]) -> npt.NDArray[np.uint8]:
    """``values`` rounded to nearest e4m3 (ties to the even code), saturated to 448."""
    x = np.asarray(values, np.float64)
    magnitude = np.minimum(np.abs(x), MAX_FINITE)
    upper = np.clip(np.searchsorted(_POSITIVE, magnitude), 0, _POSITIVE.size - 1)
    lower = np.maximum(upper - 1, 0)
    below, above = magnitude - _POSITIVE[lower], _POSITIVE[upper] - magnitude
    tie_up = (below == above) & (upper % 2 == 0)
    code = np.where((above < below) | tie_up, upper, lower).astype(np.uint8)
    code = np.where(np.signbit(x), code | np.uint8(0x80), code)
    codes: npt.NDArray[np.uint8] = np.where(np.isnan(x), np.uint8(NAN_CODE), code).astype(np.uint8)
    return codes
