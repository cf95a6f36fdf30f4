"""One PTX instruction's operands: registers, immediates, vectors, addresses, labels.

A name is looked up as a register of the scopes in force, then as a special register
(``%tid.x``), else it is a label (branch targets) or a symbol (variables, parameters).
"""

from __future__ import annotations

from gpusim.cuda.ptx.cursor import TokenCursor, parse_int_literal
from gpusim.cuda.ptx.ir import (
    DualOperand,
    Guard,
    ImmFloat,
    ImmFloatBits,
    ImmInt,
    Instruction,
    Label,
    MemOperand,
    NegPredOperand,
    Operand,
    RegOperand,
    Sink,
    SpecialReg,
    Symbol,
    TensorAddress,
    VectorOperand,
)
from gpusim.cuda.ptx.lexer import Token
from gpusim.cuda.ptx.registers import RegisterScopes
from gpusim.errors import PtxError

SPECIAL_REGISTER_BASES = frozenset(
    {
        "tid",
        "ntid",
        "ctaid",
        "nctaid",
        "laneid",
        "warpid",
        "nwarpid",
        "smid",
        "nsmid",
        "gridid",
        "lanemask_eq",
        "lanemask_le",
        "lanemask_lt",
        "lanemask_ge",
        "lanemask_gt",
        "clock",
        "clock64",
        "globaltimer",
        "dynamic_smem_size",
        "total_smem_size",
    }
)
_BRANCH_OPCODES = frozenset({"bra", "brx"})


class InstructionParser:
    """Reads instructions from ``cursor``, resolving names against ``registers``."""

    def __init__(self, cursor: TokenCursor, registers: RegisterScopes) -> None:
        self._cursor = cursor
        self._registers = registers

    def instruction(self, opcode: Token, guard: Guard | None) -> Instruction:
        """The instruction whose opcode token was just taken, up to and with its ``;``."""
        if opcode.kind != "word" or opcode.text.startswith((".", "%")):
            raise PtxError(
                f"PTX line {opcode.line}: expected an instruction, found {opcode.text!r}"
            )
        is_branch = opcode.text.split(".", 1)[0] in _BRANCH_OPCODES
        operands: list[Operand] = []
        if not self._cursor.accept(";"):
            while True:
                operands.append(self._operand(is_branch, allow_dual=not operands))
                if self._cursor.accept(";"):
                    break
                self._cursor.expect(",")
        return Instruction(opcode.text, guard, tuple(operands), opcode.line)

    def _operand(self, is_branch: bool, *, allow_dual: bool) -> Operand:
        first = self._single_operand(is_branch)
        if allow_dual and self._cursor.accept("|"):
            return DualOperand(first, self._single_operand(is_branch))
        return first

    def _single_operand(self, is_branch: bool) -> Operand:
        cursor = self._cursor
        token = cursor.next()
        if token.text == "{":
            items = [self._single_operand(is_branch)]
            while cursor.accept(","):
                items.append(self._single_operand(is_branch))
            cursor.expect("}")
            return VectorOperand(tuple(items))
        if token.text == "[":
            return self._memory_operand()
        if token.text == "!":
            return NegPredOperand(self._registers.require(cursor.next()))
        if token.text == "-":
            value = self._single_operand(is_branch)
            if isinstance(value, ImmInt):
                return ImmInt(-value.value)
            if isinstance(value, ImmFloat):
                return ImmFloat(-value.value)
            raise PtxError(f"PTX line {token.line}: '-' before a non-literal operand")
        if token.kind == "int":
            return ImmInt(parse_int_literal(token.text))
        if token.kind == "float":
            return ImmFloat(float(token.text))
        if token.kind == "fbits":
            return ImmFloatBits(int(token.text[2:], 16), 32 if token.text[1] in "fF" else 64)
        if token.kind == "word":
            return self._named_operand(token, is_branch)
        raise PtxError(f"PTX line {token.line}: unsupported operand {token.text!r}")

    def _named_operand(self, token: Token, is_branch: bool) -> Operand:
        if token.text == "_":
            return Sink()
        register = self._registers.lookup(token.text)
        if register is not None:
            return RegOperand(register)
        if token.text.startswith("%"):
            base = token.text[1:].split(".", 1)[0]
            if base in SPECIAL_REGISTER_BASES:
                return SpecialReg(token.text[1:])
            raise PtxError(f"PTX line {token.line}: undeclared register {token.text}")
        if token.text.startswith("."):
            raise PtxError(
                f"PTX line {token.line}: unexpected directive {token.text!r} in operands"
            )
        return Label(token.text) if is_branch else Symbol(token.text)

    def _memory_operand(self) -> MemOperand | TensorAddress:
        cursor = self._cursor
        token = cursor.next()
        base: RegOperand | Symbol | None
        offset = 0
        if token.kind == "int":
            base, offset = None, parse_int_literal(token.text)
        elif token.kind == "word":
            named = self._named_operand(token, is_branch=False)
            if not isinstance(named, (RegOperand, Symbol)):
                raise PtxError(f"PTX line {token.line}: bad address base {token.text!r}")
            base = named
        else:
            raise PtxError(f"PTX line {token.line}: bad address {token.text!r}")
        while (sign := cursor.peek()) is not None and sign.text in ("+", "-"):
            cursor.next()
            negative = sign.text == "-"
            if cursor.accept("-"):
                negative = not negative
            value = cursor.expect_int()
            offset += -value if negative else value
        address = MemOperand(base, offset)
        if cursor.accept(","):
            coordinates = self._single_operand(is_branch=False)
            if not isinstance(coordinates, VectorOperand):
                raise PtxError(
                    f"PTX line {token.line}: expected {{coordinates}} after a tensor map"
                )
            cursor.expect("]")
            return TensorAddress(address, coordinates)
        cursor.expect("]")
        return address
