"""Instruction semantics of the PTX emulator, one family at a time, with exact expectations.

Each case runs a tiny hand-written kernel: thread i loads element i of each input array,
applies the instruction under test and stores element i of the output. Integer results
are checked against Python integers modulo 2^w, float results against exact rational
arithmetic rounded once (an independent reference: fractions, not the emulator's code).
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpusim.cuda.ptx.emulator import PtxKernel
from gpusim.errors import PtxError

HEADER = ".version 8.5\n.target sm_90\n.address_size 64\n"
WIDTH_OF = {"b16": 16, "b32": 32, "b64": 64}
MAX_LANES = 64


def _params(arrays: int) -> str:
    return ",\n".join(f"    .param .u64 op_param_{i}" for i in range(7 * arrays))


@functools.cache
def elementwise(body: str, inputs: tuple[str, ...], output: str) -> PtxKernel:
    """A kernel computing ``%d`` from ``%a``, ``%b``, ``%c`` (raw .b16/.b32/.b64 registers)."""
    return PtxKernel(elementwise_source(body, inputs, output))


def elementwise_source(body: str, inputs: tuple[str, ...], output: str) -> str:
    """The PTX of ``elementwise``: thread i maps element i of the inputs to the output."""
    names = "abc"[: len(inputs)]
    lines = [HEADER, f".visible .entry op(\n{_params(len(inputs) + 1)}\n)\n{{"]
    for name, kind in zip(names, inputs, strict=True):
        lines.append(f"    .reg .{kind} %{name};")
    lines += [
        f"    .reg .{output} %d;",
        "    .reg .pred %p<4>;",
        "    .reg .b32 %i;",
        "    .reg .b64 %base<4>;",
        "    .reg .b64 %addr<4>;",
        "    mov.u32 %i, %tid.x;",
    ]
    for slot, (name, kind) in enumerate(zip(names, inputs, strict=True)):
        size = WIDTH_OF[kind] // 8
        lines += [
            f"    ld.param.u64 %base{slot}, [op_param_{7 * slot + 4}];",
            f"    mul.wide.u32 %addr{slot}, %i, {size};",
            f"    add.s64 %addr{slot}, %base{slot}, %addr{slot};",
            f"    ld.global.{kind} %{name}, [%addr{slot}];",
        ]
    out = len(inputs)
    lines += [
        *(f"    {statement.strip()};" for statement in body.split(";") if statement.strip()),
        f"    ld.param.u64 %base3, [op_param_{7 * out + 4}];",
        f"    mul.wide.u32 %addr3, %i, {WIDTH_OF[output] // 8};",
        "    add.s64 %addr3, %base3, %addr3;",
        f"    st.global.{output} [%addr3], %d;",
        "    ret;",
        "}",
    ]
    return "\n".join(lines)


def run(body: str, output_dtype: Any, *inputs: np.ndarray) -> np.ndarray:
    """Apply ``body`` elementwise to the inputs; the output has ``output_dtype``."""
    kinds = tuple(f"b{8 * a.dtype.itemsize}" for a in inputs)
    out_dtype = np.dtype(output_dtype)
    kernel = elementwise(body, kinds, f"b{8 * out_dtype.itemsize}")
    n = inputs[0].size
    out = np.zeros(n, dtype=out_dtype)
    arrays = [np.ascontiguousarray(a) for a in inputs]
    kernel.launch([*arrays, out], (1, 1, 1), (n, 1, 1)).run_all()
    return out


# -- exact references -----------------------------------------------------------------------


def round_fraction_directed(value: Fraction, dtype: Any, mode: str) -> Any:
    """``value`` rounded toward zero (rz), -inf (rm) or +inf (rp) in ``dtype``."""
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore"):
        near = dtype.type(float(value))
        candidates = [near, np.nextafter(near, dtype.type(np.inf))]
        candidates.append(np.nextafter(near, dtype.type(-np.inf)))
    finite = [c for c in candidates if np.isfinite(c)]
    floor = max((c for c in finite if Fraction(float(c)) <= value), default=dtype.type(-np.inf))
    ceil = min((c for c in finite if Fraction(float(c)) >= value), default=dtype.type(np.inf))
    if mode == "rm":
        return floor
    if mode == "rp":
        return ceil
    return floor if value > 0 else ceil


def round_fraction(value: Fraction, dtype: Any) -> Any:
    """``value`` rounded to nearest-even in ``dtype`` (f16/f32), from exact rationals."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    if value == 0:
        return dtype.type(0.0)
    with np.errstate(over="ignore"):
        near = dtype.type(float(value))
        candidates = [near, np.nextafter(near, dtype.type(np.inf))]
        candidates.append(np.nextafter(near, dtype.type(-np.inf)))
    overflow = Fraction(float(info.max)) + Fraction(float(info.max - np.nextafter(info.max, 0))) / 2
    if abs(value) >= overflow:
        return dtype.type(np.inf if value > 0 else -np.inf)
    finite = [c for c in candidates if np.isfinite(c)]

    def key(candidate: Any) -> tuple[Fraction, int]:
        bits = int(np.array(candidate).view(f"u{dtype.itemsize}"))
        return abs(Fraction(float(candidate)) - value), bits & 1

    return min(finite, key=key)


floats32 = st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)
floats16 = (
    st.integers(0, 0xFFFF)
    .map(lambda bits: float(np.array(bits, np.uint16).view(np.float16)))
    .filter(np.isfinite)
)


# -- integers -------------------------------------------------------------------------------

INT_CASES = {
    "s32": (np.int32, 32, True),
    "u32": (np.uint32, 32, False),
    "s64": (np.int64, 64, True),
    "u64": (np.uint64, 64, False),
}


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _ints(bits: int, signed: bool) -> st.SearchStrategy[list[int]]:
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    edges = st.sampled_from([low, high, 0, 1, -1 if signed else 2, low + 1])
    return st.lists(st.one_of(st.integers(low, high), edges), min_size=32, max_size=32)


@pytest.mark.parametrize("ptype", sorted(INT_CASES))
@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ("add.{t} %d, %a, %b", lambda a, b, bits: a + b),
        ("sub.{t} %d, %a, %b", lambda a, b, bits: a - b),
        ("mul.lo.{t} %d, %a, %b", lambda a, b, bits: a * b),
        ("mul.hi.{t} %d, %a, %b", lambda a, b, bits: (a * b) >> bits),
        ("min.{t} %d, %a, %b", lambda a, b, bits: min(a, b)),
        ("max.{t} %d, %a, %b", lambda a, b, bits: max(a, b)),
    ],
)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_integer_arithmetic_wraps_modulo_width(
    ptype: str, body: str, reference: Any, data: Any
) -> None:
    dtype, bits, signed = INT_CASES[ptype]
    a = data.draw(_ints(bits, signed))
    b = data.draw(_ints(bits, signed))
    got = run(body.format(t=ptype), dtype, np.array(a, dtype), np.array(b, dtype))
    expected = [reference(x, y, bits) & ((1 << bits) - 1) for x, y in zip(a, b, strict=True)]
    assert [int(v) & ((1 << bits) - 1) for v in got] == expected


@pytest.mark.parametrize("ptype", ["s32", "u32", "s64", "u64"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_div_rem_truncate_toward_zero(ptype: str, data: Any) -> None:
    dtype, bits, signed = INT_CASES[ptype]
    a = data.draw(_ints(bits, signed))
    b = [v if v != 0 else 3 for v in data.draw(_ints(bits, signed))]
    quotient = run(f"div.{ptype} %d, %a, %b", dtype, np.array(a, dtype), np.array(b, dtype))
    remainder = run(f"rem.{ptype} %d, %a, %b", dtype, np.array(a, dtype), np.array(b, dtype))
    for x, y, q, r in zip(a, b, quotient.tolist(), remainder.tolist(), strict=True):
        exact_q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
        assert q == (_signed(exact_q, bits) if signed else exact_q % 2**bits)
        assert r == (_signed(x - exact_q * y, bits) if signed else (x - exact_q * y) % 2**bits)


def test_division_edge_cases() -> None:
    a = np.array([-7, 7, -7, -(2**31), 5, -5], np.int32)
    b = np.array([2, -2, -2, -1, 0, 0], np.int32)
    assert run("div.s32 %d, %a, %b", np.int32, a, b).tolist() == [-3, -3, 3, -(2**31), -1, -1]
    assert run("rem.s32 %d, %a, %b", np.int32, a, b).tolist() == [-1, 1, -1, 0, 5, -5]
    unsigned = run(
        "div.u32 %d, %a, %b", np.uint32, np.array([9], np.uint32), np.array([0], np.uint32)
    )
    assert unsigned.tolist() == [2**32 - 1]


def test_mul_wide_and_mad() -> None:
    a = np.array([-(2**31), 2**31 - 1, -3], np.int32)
    b = np.array([-(2**31), 2**31 - 1, 5], np.int32)
    assert run("mul.wide.s32 %d, %a, %b", np.int64, a, b).tolist() == [2**62, (2**31 - 1) ** 2, -15]
    ua = a.view(np.uint32)
    assert run("mul.wide.u32 %d, %a, %b", np.uint64, ua, b.view(np.uint32)).tolist() == [
        2**62,
        (2**31 - 1) ** 2,
        (2**32 - 3) * 5,
    ]
    c = np.array([1, 1, 1], np.int32)
    assert run("mad.lo.s32 %d, %a, %b, %c", np.int32, a, b, c).tolist() == [1, 2, -14]


def test_shifts_clamp_and_sign_fill() -> None:
    value = np.array([-8, -8, 1, -8, 1 << 30, 12], np.int32)
    amount = np.array([1, 40, 31, 32, 2, 0], np.uint32)
    assert run("shr.s32 %d, %a, %b", np.int32, value, amount).tolist() == [
        -4,
        -1,
        0,
        -1,
        1 << 28,
        12,
    ]
    assert run("shr.u32 %d, %a, %b", np.uint32, value.view(np.uint32), amount).tolist() == [
        (2**32 - 8) >> 1,
        0,
        0,
        0,
        1 << 28,
        12,
    ]
    assert run("shl.b32 %d, %a, %b", np.uint32, value.view(np.uint32), amount).tolist() == [
        2**32 - 16,
        0,
        1 << 31,
        0,
        0,
        12,
    ]
    wide = np.array([-1, 3], np.int64)
    assert run("shr.s64 %d, %a, %b", np.int64, wide, np.array([63, 1], np.uint32)).tolist() == [
        -1,
        1,
    ]


def test_abs_neg_logic() -> None:
    a = np.array([-(2**31), -5, 7], np.int32)
    assert run("abs.s32 %d, %a", np.int32, a).tolist() == [-(2**31), 5, 7]
    assert run("neg.s32 %d, %a", np.int32, a).tolist() == [-(2**31), 5, -7]
    bits = np.array([0b1100, 0xFFFFFFFF], np.uint32)
    other = np.array([0b1010, 0x0F0F0F0F], np.uint32)
    assert run("and.b32 %d, %a, %b", np.uint32, bits, other).tolist() == [0b1000, 0x0F0F0F0F]
    assert run("or.b32 %d, %a, %b", np.uint32, bits, other).tolist() == [0b1110, 0xFFFFFFFF]
    assert run("xor.b32 %d, %a, %b", np.uint32, bits, other).tolist() == [0b0110, 0xF0F0F0F0]
    assert run("not.b32 %d, %a", np.uint32, bits).tolist() == [0xFFFFFFF3, 0]


def test_predicate_logic_and_selp() -> None:
    a = np.array([1, 1, 0, 0], np.uint32)
    b = np.array([1, 0, 1, 0], np.uint32)
    prefix = "setp.ne.u32 %p1, %a, 0; setp.ne.u32 %p2, %b, 0;"
    expected = {"and": [1, 0, 0, 0], "or": [1, 1, 1, 0], "xor": [0, 1, 1, 0]}
    for op, values in expected.items():
        body = prefix + f"{op}.pred %p3, %p1, %p2; selp.u32 %d, 1, 0, %p3"
        assert run(body, np.uint32, a, b).tolist() == values
    body = prefix + "not.pred %p3, %p1; selp.u32 %d, 7, 9, %p3"
    assert run(body, np.uint32, a, b).tolist() == [9, 9, 7, 7]
    body = "setp.lt.and.s32 %p1|%p2, %a, %b, 1; selp.u32 %d, 1, 0, %p2"
    signed = np.array([1, 3], np.int32), np.array([2, 2], np.int32)
    assert run(body, np.uint32, *signed).tolist() == [0, 1]


def test_unsigned_and_signed_comparisons_differ() -> None:
    a = np.array([-1, 1], np.int32)
    b = np.array([1, -1], np.int32)
    assert run("setp.lt.s32 %p1, %a, %b; selp.u32 %d, 1, 0, %p1", np.uint32, a, b).tolist() == [
        1,
        0,
    ]
    assert run("setp.lo.u32 %p1, %a, %b; selp.u32 %d, 1, 0, %p1", np.uint32, a, b).tolist() == [
        0,
        1,
    ]


# -- floating point -------------------------------------------------------------------------


def test_fma_rounds_once_where_f64_double_rounding_fails() -> None:
    # a*b + c = (2^30 + 192) - 2^-40: just below the midpoint between 2^30 + 128 and
    # 2^30 + 256. Rounding to f64 first lands exactly on the midpoint and ties-to-even then
    # picks 2^30 + 256; the single rounding of the GPU's fma gives 2^30 + 128.
    a = np.array([64 * (1 + 2**-23)], np.float32)
    b = np.array([1 - 2**-23], np.float32)
    c = np.array([2**30 + 128], np.float32)
    naive = np.float32(np.float64(a[0]) * np.float64(b[0]) + np.float64(c[0]))
    assert naive == np.float32(2**30 + 256)
    got = run("fma.rn.f32 %d, %a, %b, %c", np.float32, a, b, c)
    assert got.tolist() == [2**30 + 128]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(floats32, floats32, floats32), min_size=32, max_size=32))
def test_fma_f32_is_correctly_rounded(triples: list[tuple[float, float, float]]) -> None:
    a, b, c = (np.array(column, np.float32) for column in zip(*triples, strict=True))
    got = run("fma.rn.f32 %d, %a, %b, %c", np.float32, a, b, c)
    for x, y, z, value in zip(a, b, c, got, strict=True):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        expected = round_fraction(exact, np.float32)
        if exact == 0:
            assert value == 0
        else:
            assert value.view(np.uint32) == np.float32(expected).view(np.uint32)


@pytest.mark.parametrize("mode", ["rz", "rm", "rp"])
@pytest.mark.parametrize("op", ["add", "mul"])
@settings(max_examples=25, deadline=None)
@given(pairs=st.lists(st.tuples(floats32, floats32), min_size=32, max_size=32))
def test_directed_rounding(mode: str, op: str, pairs: list[tuple[float, float]]) -> None:
    a, b = (np.array(column, np.float32) for column in zip(*pairs, strict=True))
    got = run(f"{op}.{mode}.f32 %d, %a, %b", np.float32, a, b)
    for x, y, value in zip(a, b, got, strict=True):
        fx, fy = Fraction(float(x)), Fraction(float(y))
        exact = fx + fy if op == "add" else fx * fy
        if exact == 0:
            assert value == 0
            continue
        assert value == round_fraction_directed(exact, np.float32, mode)


def test_float_nan_and_signed_zero_rules() -> None:
    nan, inf = np.float32(np.nan), np.float32(np.inf)
    a = np.array([nan, 1.0, -0.0, 0.0, nan], np.float32)
    b = np.array([2.0, nan, 0.0, -0.0, nan], np.float32)
    low = run("min.f32 %d, %a, %b", np.float32, a, b)
    high = run("max.f32 %d, %a, %b", np.float32, a, b)
    assert low[:2].tolist() == [2.0, 1.0] and high[:2].tolist() == [2.0, 1.0]
    assert (
        np.signbit(low[2])
        and np.signbit(low[3])
        and not np.signbit(high[2])
        and not np.signbit(high[3])
    )
    assert low.view(np.uint32)[4] == 0x7FFFFFFF
    nan_wins = run("min.NaN.f32 %d, %a, %b", np.float32, a, b)
    assert np.isnan(nan_wins[:2]).all()
    total = run(
        "add.f32 %d, %a, %b",
        np.float32,
        np.array([inf, 1], np.float32),
        np.array([-inf, nan], np.float32),
    )
    assert total.view(np.uint32).tolist() == [0x7FFFFFFF, 0x7FFFFFFF]
    signs = run("neg.f32 %d, %a", np.float32, np.array([0.0, -2.5], np.float32))
    assert np.signbit(signs[0]) and signs[1] == 2.5
    assert run("abs.f32 %d, %a", np.float32, np.array([-0.0, -3.0], np.float32)).tolist() == [
        0.0,
        3.0,
    ]


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ("eq", [0, 0, 1, 0]),
        ("ne", [0, 0, 0, 1]),
        ("lt", [0, 0, 0, 1]),
        ("ge", [0, 0, 1, 0]),
        ("equ", [1, 1, 1, 0]),
        ("neu", [1, 1, 0, 1]),
        ("ltu", [1, 1, 0, 1]),
        ("geu", [1, 1, 1, 0]),
        ("num", [0, 0, 1, 1]),
        ("nan", [1, 1, 0, 0]),
    ],
)
def test_setp_float_ordered_and_unordered(comparison: str, expected: list[int]) -> None:
    a = np.array([np.nan, 1.0, 2.0, 1.0], np.float32)
    b = np.array([1.0, np.nan, 2.0, 2.0], np.float32)
    body = f"setp.{comparison}.f32 %p1, %a, %b; selp.u32 %d, 1, 0, %p1"
    assert run(body, np.uint32, a, b).tolist() == expected


def test_ftz_and_sat() -> None:
    tiny = np.float32(2.0**-130)
    a = np.array([tiny, 0.75, 3.0, np.nan], np.float32)
    b = np.array([tiny, 0.5, 1.0, 1.0], np.float32)
    flushed = run("add.ftz.f32 %d, %a, %b", np.float32, a, b)
    assert flushed[0] == 0.0
    saturated = run("add.sat.f32 %d, %a, %b", np.float32, a, b)
    assert saturated[1:].tolist() == [1.0, 1.0, 0.0]


def test_div_sqrt_rcp_are_ieee() -> None:
    a = np.array([1.0, 2.0, 10.0], np.float32)
    b = np.array([3.0, 7.0, 0.1], np.float32)
    assert (run("div.rn.f32 %d, %a, %b", np.float32, a, b) == a / b).all()
    assert (run("sqrt.rn.f32 %d, %a", np.float32, a) == np.sqrt(a)).all()
    assert (run("rcp.rn.f32 %d, %a", np.float32, b) == np.float32(1) / b).all()


@pytest.mark.parametrize("op", ["add", "mul", "fma"])
@settings(max_examples=30, deadline=None)
@given(triples=st.lists(st.tuples(floats16, floats16, floats16), min_size=32, max_size=32))
def test_f16_arithmetic_is_correctly_rounded(
    op: str, triples: list[tuple[float, float, float]]
) -> None:
    a, b, c = (np.array(column, np.float16) for column in zip(*triples, strict=True))
    operands = {"add": "%a, %b", "mul": "%a, %b", "fma": "%a, %b, %c"}[op]
    suffix = ".rn" if op == "fma" else ""
    got = run(f"{op}{suffix}.f16 %d, {operands}", np.float16, a, b, c)
    for x, y, z, value in zip(a, b, c, got, strict=True):
        fx, fy, fz = Fraction(float(x)), Fraction(float(y)), Fraction(float(z))
        exact = {"add": fx + fy, "mul": fx * fy, "fma": fx * fy + fz}[op]
        if exact == 0:
            assert value == 0
            continue
        assert value.view(np.uint16) == np.float16(round_fraction(exact, np.float16)).view(
            np.uint16
        )


def test_f16x2_works_on_both_halves() -> None:
    low = np.array([1.5, -2.0], np.float16).view(np.uint16).astype(np.uint32)
    high = np.array([0.25, 100.0], np.float16).view(np.uint16).astype(np.uint32)
    packed = low | (high << 16)
    got = run("add.f16x2 %d, %a, %b", np.uint32, packed, packed)
    halves = np.stack([(got & 0xFFFF).astype(np.uint16), (got >> 16).astype(np.uint16)]).view(
        np.float16
    )
    assert halves.tolist() == [[3.0, -4.0], [0.5, 200.0]]


# -- conversions ----------------------------------------------------------------------------


def test_float_to_int_rounding_saturation_and_nan() -> None:
    values = np.array([2.5, -2.5, 3.5, -0.5, 1e10, -1e10, np.nan, np.inf], np.float32)
    expected = {
        "rni": [2, -2, 4, 0, 2**31 - 1, -(2**31), 0, 2**31 - 1],
        "rzi": [2, -2, 3, 0, 2**31 - 1, -(2**31), 0, 2**31 - 1],
        "rmi": [2, -3, 3, -1, 2**31 - 1, -(2**31), 0, 2**31 - 1],
        "rpi": [3, -2, 4, 0, 2**31 - 1, -(2**31), 0, 2**31 - 1],
    }
    for mode, wanted in expected.items():
        assert run(f"cvt.{mode}.s32.f32 %d, %a", np.int32, values).tolist() == wanted
    unsigned = run("cvt.rzi.u32.f32 %d, %a", np.uint32, np.array([-3.0, 5e9, 7.9], np.float32))
    assert unsigned.tolist() == [0, 2**32 - 1, 7]
    huge = run("cvt.rzi.s64.f32 %d, %a", np.int64, np.array([1e30, -1e30, 2.0**62], np.float32))
    assert huge.tolist() == [2**63 - 1, -(2**63), 2**62]


def test_int_to_float_rounding_modes() -> None:
    values = np.array([16777217, -16777217, 16777219, 2**31 - 1], np.int32)
    assert run("cvt.rn.f32.s32 %d, %a", np.float32, values).tolist() == [
        16777216,
        -16777216,
        16777220,
        2**31,
    ]
    assert run("cvt.rz.f32.s32 %d, %a", np.float32, values).tolist() == [
        16777216,
        -16777216,
        16777218,
        2**31 - 128,
    ]
    assert run("cvt.rm.f32.s32 %d, %a", np.float32, values).tolist() == [
        16777216,
        -16777218,
        16777218,
        2**31 - 128,
    ]
    assert run("cvt.rp.f32.s32 %d, %a", np.float32, values).tolist() == [
        16777218,
        -16777216,
        16777220,
        2**31,
    ]
    big = np.array([2**64 - 1, 2**63 + 2**39], np.uint64)
    assert run("cvt.rn.f32.u64 %d, %a", np.float32, big).tolist() == [2.0**64, 2.0**63]
    assert run("cvt.rz.f64.u64 %d, %a", np.float64, big).tolist() == [
        2.0**64 - 2048,
        2.0**63 + 2**39,
    ]


def test_float_narrowing_and_widening() -> None:
    values = np.array([65520.0, 65519.0, 1 + 2**-11, 1e-8, -70000.0], np.float32)
    assert run("cvt.rn.f16.f32 %d, %a", np.float16, values).tolist() == [
        np.inf,
        65504.0,
        1.0,
        np.float16(1e-8),
        -np.inf,
    ]
    assert run("cvt.rz.f16.f32 %d, %a", np.float16, values).tolist()[:2] == [65504.0, 65504.0]
    half = np.array([0.1, -65504], np.float16)
    assert run("cvt.f32.f16 %d, %a", np.float32, half).tolist() == half.astype(np.float32).tolist()
    wide = np.array([0.1, 1e300], np.float64)
    assert run("cvt.rn.f32.f64 %d, %a", np.float32, wide).tolist() == [np.float32(0.1), np.inf]
    assert run("cvt.rz.f32.f64 %d, %a", np.float32, wide)[1] == np.finfo(np.float32).max
    rounded = run("cvt.rmi.f32.f32 %d, %a", np.float32, np.array([-1.5, 2.7], np.float32))
    assert rounded.tolist() == [-2.0, 2.0]


def test_integer_width_changes() -> None:
    negative = np.array([-2, 300], np.int32)
    assert run("cvt.s64.s32 %d, %a", np.int64, negative).tolist() == [-2, 300]
    assert run("cvt.u64.u32 %d, %a", np.uint64, negative.view(np.uint32)).tolist() == [
        2**32 - 2,
        300,
    ]
    assert run("cvt.u32.u64 %d, %a", np.uint32, np.array([2**40 + 5], np.uint64)).tolist() == [5]
    assert run("cvt.u16.u32 %d, %a", np.uint16, negative.view(np.uint32)).tolist() == [65534, 300]
    assert run("cvt.sat.s8.s32 %d, %a", np.int16, negative).tolist() == [-2, 127]


def test_mov_packs_and_unpacks_vectors() -> None:
    words = np.array([0x11112222, 0xAAAABBBB], np.uint32)
    body = ".reg .b16 %lo, %hi; mov.b32 {%lo, %hi}, %a; mov.b32 %d, {%hi, %lo}"
    assert run(body, np.uint32, words).tolist() == [0x22221111, 0xBBBBAAAA]
    body = "mov.b32 %d, 0f3F800000"
    assert run(body, np.float32, words).tolist() == [1.0, 1.0]


# -- warp-level -----------------------------------------------------------------------------


def _shfl_expected(mode: str, offset: int, width: int, values: list[int]) -> list[int]:
    """What CUDA's __shfl_*_sync(mask, v, offset, width) returns in each lane."""
    result = []
    for lane in range(32):
        segment = lane - lane % width
        if mode == "down":
            source = lane + offset if lane % width + offset < width else lane
        elif mode == "up":
            source = lane - offset if lane % width >= offset else lane
        elif mode == "bfly":
            source = lane ^ offset
            source = source if source // width == lane // width else lane
        else:
            source = segment + offset % width
        result.append(values[source])
    return result


@pytest.mark.parametrize("mode", ["up", "down", "bfly", "idx"])
@pytest.mark.parametrize(("offset", "width"), [(1, 32), (16, 32), (3, 8), (5, 16)])
def test_shfl_sync_matches_cuda_semantics(mode: str, offset: int, width: int) -> None:
    clamp = 0 if mode == "up" else 31
    c = ((32 - width) << 8) | clamp
    values = np.arange(100, 132, dtype=np.uint32)
    body = f"shfl.sync.{mode}.b32 %d|%p1, %a, {offset}, {c}, -1"
    got = run(body, np.uint32, values)
    assert got.tolist() == _shfl_expected(mode, offset, width, values.tolist())


def test_shfl_predicate_says_in_range() -> None:
    values = np.arange(32, dtype=np.uint32)
    got = run("shfl.sync.down.b32 %d|%p1, %a, 4, 31, -1; selp.u32 %d, 1, 0, %p1", np.uint32, values)
    assert got.tolist() == [1] * 28 + [0] * 4


def test_atomic_add_serialises_in_lane_order() -> None:
    body = ".reg .b64 %t; ld.param.u64 %t, [op_param_11]; atom.global.add.f32 %d, [%t], %a"
    values = np.array([1.0, 2.0**-24, 2.0**-24, 3.0], np.float32)
    counter = np.zeros(4, np.float32)
    old = run(body, np.float32, values, counter)
    # Lane order: 1 + 2^-24 ties back to 1 (twice), then + 3. Adding the two 2^-24 first
    # would give 1 + 2^-23 instead: the order is part of the result.
    assert old.tolist() == [0.0, 1.0, 1.0, 1.0]
    assert counter[0] == 4.0


def test_atomic_add_f32_global_flushes_subnormals() -> None:
    body = (
        ".reg .b64 %t; ld.param.u64 %t, [op_param_4]; atom.global.add.f32 %d, [%t], %a;"
        "ld.global.f32 %d, [%t]"
    )
    tiny = np.full(1, 2.0**-140, np.float32)
    assert run(body, np.float32, tiny).tolist() == [0.0]


def test_atomic_cas_exch_and_integer_add() -> None:
    body = ".reg .b64 %t; ld.param.u64 %t, [op_param_4]; atom.global.add.u32 %d, [%t], 1;"
    counts = run(body, np.uint32, np.full(8, 5, np.uint32))
    assert sorted(counts.tolist()) == [5, 6, 7, 8, 9, 10, 11, 12]
    cas = ".reg .b64 %t; ld.param.u64 %t, [op_param_4]; atom.global.cas.b32 %d, [%t], 7, 9"
    assert run(cas, np.uint32, np.full(3, 7, np.uint32)).tolist() == [7, 9, 9]


def test_special_registers() -> None:
    ptx = (
        HEADER
        + """
.visible .entry sregs(.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3,
    .param .u64 p4, .param .u64 p5, .param .u64 p6)
{
    .reg .b32 %r<12>;
    .reg .b64 %rd<4>;
    ld.param.u64 %rd1, [p4];
    mov.u32 %r1, %tid.x;
    mov.u32 %r2, %tid.y;
    mov.u32 %r3, %ntid.x;
    mad.lo.s32 %r4, %r2, %r3, %r1;
    mov.u32 %r5, %ctaid.y;
    mov.u32 %r6, %nctaid.x;
    mov.u32 %r7, %laneid;
    mov.u32 %r8, %warpid;
    shl.b32 %r9, %r5, 24;
    shl.b32 %r10, %r8, 16;
    or.b32 %r9, %r9, %r10;
    shl.b32 %r10, %r7, 8;
    or.b32 %r9, %r9, %r10;
    or.b32 %r9, %r9, %r6;
    mov.u32 %r11, %ctaid.x;
    mul.lo.s32 %r11, %r11, 48;
    add.s32 %r4, %r4, %r11;
    mad.lo.s32 %r11, %r5, 96, %r4;
    mul.wide.u32 %rd2, %r11, 4;
    add.s64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r9;
    ret;
}
"""
    )
    out = np.zeros(192, np.uint32)
    PtxKernel(ptx).launch([out], (2, 2, 1), (16, 3, 1)).run_all()
    for cta_y in range(2):
        for cta_x in range(2):
            for thread in range(48):
                word = int(out[cta_y * 96 + cta_x * 48 + thread])
                assert word >> 24 == cta_y
                assert (word >> 16) & 0xFF == thread // 32
                assert (word >> 8) & 0xFF == thread % 32
                assert word & 0xFF == 2


# -- errors ---------------------------------------------------------------------------------


def test_out_of_bounds_names_line_and_thread() -> None:
    ptx = (
        HEADER
        + """
.visible .entry oob(.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3,
    .param .u64 p4, .param .u64 p5, .param .u64 p6)
{
    .reg .b32 %r<4>;
    .reg .b64 %rd<4>;
    ld.param.u64 %rd1, [p4];
    mov.u32 %r1, %tid.x;
    mov.u32 %r2, %ctaid.x;
    mad.lo.s32 %r1, %r2, 8, %r1;
    mul.wide.u32 %rd2, %r1, 4;
    add.s64 %rd3, %rd1, %rd2;
    ld.global.f32 %r3, [%rd3];
    ret;
}
"""
    )
    data = np.zeros(13, np.float32)
    with pytest.raises(
        PtxError, match=r"PTX line 16: ld\.global\.f32: .*thread \(5, 0, 0\) of CTA \(1, 0, 0\)"
    ):
        PtxKernel(ptx).launch([data], (2, 1, 1), (8, 1, 1)).run_all()


def test_misaligned_access_is_an_error() -> None:
    body = ".reg .b64 %t; ld.param.u64 %t, [op_param_4]; add.s64 %t, %t, 2; ld.global.u32 %d, [%t]"
    with pytest.raises(PtxError, match="not 4-byte aligned"):
        run(body, np.uint32, np.zeros(4, np.uint32))


def test_divergent_barrier_is_reported() -> None:
    ptx = (
        HEADER
        + """
.visible .entry barrier_in_branch()
{
    .reg .b32 %r<2>;
    .reg .pred %p<2>;
    mov.u32 %r1, %tid.x;
    setp.lt.u32 %p1, %r1, 40;
    @%p1 bra $L_skip;
    bar.sync 0;
$L_skip:
    ret;
}
"""
    )
    with pytest.raises(PtxError, match=r"PTX line 12: bar\.sync: barrier reached by 24 of the 64"):
        PtxKernel(ptx).launch([], (1, 1, 1), (64, 1, 1)).run_all()


def test_non_terminating_kernel_hits_the_step_limit() -> None:
    ptx = (
        HEADER
        + """
.visible .entry forever()
{
$L_top:
    bra $L_top;
}
"""
    )
    launch = PtxKernel(ptx).launch([], (1, 1, 1), (32, 1, 1))
    with pytest.raises(PtxError, match="does not terminate"):
        launch.execute(launch.lanes_for([(0, 0, 0)]), max_block_steps=1000)


def test_unsupported_instruction_names_its_line() -> None:
    source = elementwise_source("popc.b32 %d, %a", ("b32",), "b32")
    line = 1 + next(i for i, text in enumerate(source.splitlines()) if "popc" in text)
    with pytest.raises(PtxError, match=rf"PTX line {line}: popc\.b32: unsupported instruction"):
        PtxKernel(source)


# -- state spaces ---------------------------------------------------------------------------


def test_generic_addresses_reach_shared_and_local_windows() -> None:
    body = (
        ".shared .align 4 .b8 window[256];"
        ".local .align 4 .b8 depot[8];"
        ".reg .b64 %s, %g, %l, %o;"
        "mul.wide.u32 %o, %i, 4;"
        "mov.u64 %s, window; add.s64 %s, %s, %o; cvta.shared.u64 %g, %s;"
        "st.u32 [%g], %a;"
        "mov.u64 %l, depot; cvta.local.u64 %l, %l;"
        "st.u32 [%l+4], %a;"
        "ld.u32 %d, [%l+4];"
        "ld.u32 %d, [%g];"
        "add.s32 %d, %d, %d"
    )
    values = np.arange(40, dtype=np.uint32)
    assert run(body, np.uint32, values).tolist() == (2 * values).tolist()


def test_dynamic_shared_memory_follows_the_static_variables() -> None:
    ptx = (
        HEADER
        + """
.extern .shared .align 16 .b8 dynamic[];
.visible .entry dyn(.param .u64 p0, .param .u64 p1, .param .u64 p2, .param .u64 p3,
    .param .u64 p4, .param .u64 p5, .param .u64 p6)
{
    .shared .align 4 .b8 fixed[12];
    .reg .b32 %r<4>;
    .reg .b64 %rd<6>;
    mov.u32 %r1, %tid.x;
    mul.wide.u32 %rd1, %r1, 4;
    mov.u64 %rd2, dynamic;
    add.s64 %rd3, %rd2, %rd1;
    st.shared.u32 [%rd3], %r1;
    ld.shared.u32 %r2, [%rd3];
    cvt.u32.u64 %r3, %rd2;
    add.s32 %r2, %r2, %r3;
    ld.param.u64 %rd4, [p4];
    add.s64 %rd5, %rd4, %rd1;
    st.global.u32 [%rd5], %r2;
    ret;
}
"""
    )
    out = np.zeros(64, np.uint32)
    kernel = PtxKernel(ptx)
    kernel.launch([out], (1, 1, 1), (64, 1, 1), dynamic_shared_bytes=256).run_all()
    assert out.tolist() == [i + 16 for i in range(64)]  # dynamic starts at 16 (aligned)
    outside = r"shared offset 272 is outside the 272-byte .*thread \(64, 0, 0\)"
    with pytest.raises(PtxError, match=outside):
        kernel.launch([np.zeros(68, np.uint32)], (1, 1, 1), (68, 1, 1), 256).run_all()


def test_red_has_no_destination() -> None:
    body = (
        ".reg .b64 %t; ld.param.u64 %t, [op_param_11]; red.global.add.u32 [%t], %a; mov.b32 %d, 0"
    )
    counter = np.zeros(6, np.uint32)
    run(body, np.uint32, np.arange(6, dtype=np.uint32), counter)
    assert counter[0] == 15
