"""Comparisons into predicates (``setp``) and predicate selection (``selp``).

Float comparisons follow PTX: the ordered ones (eq, ne, lt ...) are false when either
operand is NaN — including ``ne``, unlike NumPy's ``!=`` — and the unordered ones (equ,
neu, ltu ...) are true; ``num`` / ``nan`` test for NaN operands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpusim.cuda.ptx.ir import DualOperand, Instruction
from gpusim.cuda.ptx.operands import (
    CompileContext,
    Step,
    expect_operands,
    last_type,
    reader,
    writer,
)
from gpusim.cuda.ptx.types import TYPES, UNSIGNED_BY_BITS, PtxType

Handler = Callable[[Instruction, int, CompileContext], Step]
Compare = Callable[[Any, Any], Any]

_ORDERED: dict[str, Compare] = {
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}
_UNSIGNED_ALIASES = {"lo": "lt", "ls": "le", "hi": "gt", "hs": "ge"}
_BOOL_OPS: dict[str, Compare] = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}


def _float_compare(name: str) -> Compare:
    if name in ("num", "nan"):
        want_nan = name == "nan"
        return lambda a, b: (np.isnan(a) | np.isnan(b)) == want_nan
    if name in _ORDERED:
        base = _ORDERED[name]
        return lambda a, b: base(a, b) & ~(np.isnan(a) | np.isnan(b))
    if name.endswith("u") and name[:-1] in _ORDERED:
        base = _ORDERED[name[:-1]]
        return lambda a, b: base(a, b) | np.isnan(a) | np.isnan(b)
    raise KeyError(name)


def _integer_compare(name: str, ptype: PtxType) -> Compare:
    if name in _UNSIGNED_ALIASES:
        unsigned_t = UNSIGNED_BY_BITS[ptype.bits]
        base = _ORDERED[_UNSIGNED_ALIASES[name]]
        return lambda a, b: base(np.asarray(a).view(unsigned_t), np.asarray(b).view(unsigned_t))
    if ptype.kind == "b" and name not in ("eq", "ne"):
        raise KeyError(name)
    return _ORDERED[name]


def _comparison(ins: Instruction, ptype: PtxType) -> Compare:
    name = ins.modifiers[0] if ins.modifiers else ""
    try:
        if ptype.lanes > 1:
            raise KeyError(name)
        return _float_compare(name) if ptype.is_float else _integer_compare(name, ptype)
    except KeyError:
        raise ins.fail(f"unsupported comparison .{name} for .{ptype.name}") from None


def setp(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``setp.cmp[.boolop].type p[|q], a, b[, {!}c]``: p = cmp BOP c, q = !cmp BOP c."""
    ptype = last_type(ins)
    compare = _comparison(ins, ptype)
    bool_op = next((_BOOL_OPS[m] for m in ins.modifiers[1:] if m in _BOOL_OPS), None)
    expected = 4 if bool_op is not None else 3
    destination, a, b, *rest = expect_operands(ins, expected)
    pred = TYPES["pred"]
    if isinstance(destination, DualOperand):
        write_p, write_q = (
            writer(destination.first, pred, ins),
            writer(destination.second, pred, ins),
        )
    else:
        write_p, write_q = writer(destination, pred, ins), None
    read_a, read_b = reader(a, ptype, ins, ctx), reader(b, ptype, ins, ctx)
    read_c = reader(rest[0], pred, ins, ctx) if rest else None

    def run(m: Any) -> None:
        result = np.asarray(compare(read_a(m), read_b(m)))
        if bool_op is None or read_c is None:
            p, q = result, ~result
        else:
            c = read_c(m)
            p, q = bool_op(result, c), bool_op(~result, c)
        write_p(m, p)
        if write_q is not None:
            write_q(m, q)

    return run


def selp(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``selp.type d, a, b, c``: d = c ? a : b."""
    ptype = last_type(ins)
    d, a, b, c = expect_operands(ins, 4)
    read_a, read_b = reader(a, ptype, ins, ctx), reader(b, ptype, ins, ctx)
    read_c = reader(c, TYPES["pred"], ins, ctx)
    write = writer(d, ptype, ins)
    return lambda m: write(m, np.where(read_c(m), read_a(m), read_b(m)))


HANDLERS: dict[str, Handler] = {"setp": setp, "selp": selp}
