"""PTX tokens to the IR of ``gpusim.cuda.ptx.ir``: a recursive-descent parser.

It accepts the PTX that NVVM and nvJitLink emit for Numba kernels: module directives,
module- and kernel-scope variables, ``.entry`` kernels with their parameters, register
declarations (``.reg .b32 %r<27>;``), labels, guarded instructions, vector / memory /
immediate operands, and inline-asm ``{ ... }`` scopes with their own ``.reg`` declarations.
Anything else (device functions, call sequences, unknown directives) is a PtxError naming
the PTX line, so an unsupported construct never passes silently.
"""

from __future__ import annotations

import struct

from gpusim.cuda.ptx.ir import (
    DualOperand,
    Entry,
    Guard,
    ImmFloat,
    ImmFloatBits,
    ImmInt,
    Instruction,
    Label,
    MemOperand,
    Module,
    NegPredOperand,
    Operand,
    Param,
    Register,
    RegOperand,
    Sink,
    SpecialReg,
    StateSpace,
    Symbol,
    Variable,
    VectorOperand,
)
from gpusim.cuda.ptx.lexer import Token, tokenize
from gpusim.cuda.ptx.types import PtxType, ptx_type
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
_LINKAGE = frozenset({".visible", ".extern", ".weak", ".common"})
_VARIABLE_SPACES: dict[str, StateSpace] = {
    ".global": "global",
    ".const": "const",
    ".shared": "shared",
    ".local": "local",
}
_ENTRY_PERFORMANCE_DIRECTIVES = frozenset(
    {".maxntid", ".reqntid", ".minnctapersm", ".maxnctapersm", ".maxnreg", ".noreturn"}
)
_BRANCH_OPCODES = frozenset({"bra", "brx"})


def parse_ptx(text: str) -> Module:
    """Parse a whole PTX module; PtxError (naming the PTX line) on anything unsupported."""
    return _Parser(tokenize(text)).parse_module()


def parse_int_literal(text: str) -> int:
    """A PTX integer literal: hex ``0x``, binary ``0b``, octal (leading 0), decimal; ``U`` ok."""
    digits = text.rstrip("U")
    lowered = digits.lower()
    if lowered.startswith("0x"):
        return int(digits[2:], 16)
    if lowered.startswith("0b"):
        return int(digits[2:], 2)
    if len(digits) > 1 and digits.startswith("0"):
        return int(digits[1:], 8)
    return int(digits)


class _Parser:
    """State of one parse: the token cursor and, inside a kernel, its register scopes."""

    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0
        self._scopes: list[dict[str, Register]] = []
        self._registers: list[Register] = []
        self._scope_serial = 0

    # -- token cursor -------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> Token | None:
        index = self._pos + ahead
        return self._tokens[index] if index < len(self._tokens) else None

    def _last_line(self) -> int:
        return self._tokens[-1].line if self._tokens else 1

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise PtxError(f"PTX line {self._last_line()}: unexpected end of PTX")
        self._pos += 1
        return token

    def _accept(self, text: str) -> bool:
        token = self._peek()
        if token is not None and token.text == text:
            self._pos += 1
            return True
        return False

    def _expect(self, text: str) -> Token:
        token = self._next()
        if token.text != text:
            raise PtxError(f"PTX line {token.line}: expected {text!r}, found {token.text!r}")
        return token

    def _expect_int(self) -> int:
        token = self._next()
        if token.kind != "int":
            raise PtxError(f"PTX line {token.line}: expected an integer, found {token.text!r}")
        return parse_int_literal(token.text)

    def _expect_name(self) -> Token:
        token = self._next()
        if token.kind != "word" or token.text.startswith("."):
            raise PtxError(f"PTX line {token.line}: expected a name, found {token.text!r}")
        return token

    def _expect_type(self) -> PtxType:
        token = self._next()
        if not token.text.startswith("."):
            raise PtxError(f"PTX line {token.line}: expected a type, found {token.text!r}")
        return ptx_type(token.text[1:], token.line)

    # -- module level -------------------------------------------------------------------

    def parse_module(self) -> Module:
        version = ""
        target = ""
        address_size = 64
        variables: list[Variable] = []
        entries: list[Entry] = []
        while (token := self._peek()) is not None:
            if token.text == ".version":
                self._next()
                version = self._next().text
            elif token.text == ".target":
                self._next()
                names = [self._next().text]
                while self._accept(","):
                    names.append(self._next().text)
                target = ",".join(names)
            elif token.text == ".address_size":
                self._next()
                address_size = self._expect_int()
                if address_size != 64:
                    raise PtxError(f"PTX line {token.line}: only .address_size 64 is supported")
            elif token.text in _LINKAGE or token.text in _VARIABLE_SPACES:
                linkage = self._linkage()
                following = self._peek()
                if following is not None and following.text == ".entry":
                    entries.append(self._entry())
                elif following is not None and following.text == ".func":
                    raise PtxError(
                        f"PTX line {following.line}: device functions (.func) and calls are "
                        "not supported; emulate the LTO-linked PTX, where they are inlined"
                    )
                else:
                    variables.append(self._variable(extern=".extern" in linkage))
            elif token.text == ".entry":
                entries.append(self._entry())
            elif token.text == ".func":
                raise PtxError(
                    f"PTX line {token.line}: device functions (.func) are not supported; "
                    "emulate the LTO-linked PTX, where they are inlined"
                )
            else:
                raise PtxError(f"PTX line {token.line}: unsupported directive {token.text!r}")
        if not version or not target:
            raise PtxError("PTX line 1: missing .version or .target: not a PTX module")
        return Module(version, target, address_size, tuple(variables), tuple(entries))

    def _linkage(self) -> set[str]:
        found: set[str] = set()
        while (token := self._peek()) is not None and token.text in _LINKAGE:
            found.add(self._next().text)
        return found

    def _variable(self, *, extern: bool) -> Variable:
        """``.space [.align N] .type name[dims]* [= init];`` at module or kernel scope."""
        space_token = self._next()
        if space_token.text not in _VARIABLE_SPACES:
            raise PtxError(
                f"PTX line {space_token.line}: unsupported directive {space_token.text!r}"
            )
        space = _VARIABLE_SPACES[space_token.text]
        align_bytes = 0
        if self._accept(".align"):
            align_bytes = self._expect_int()
        ptype = self._expect_type()
        name = self._expect_name()
        elements, dynamic = self._array_dims()
        initializer = self._initializer(ptype, name.line) if self._accept("=") else None
        self._expect(";")
        if dynamic and not (space == "shared" and extern):
            raise PtxError(
                f"PTX line {name.line}: unsized array {name.text} outside .extern .shared"
            )
        return Variable(
            name=name.text,
            space=space,
            ptype=ptype,
            align_bytes=align_bytes or ptype.size_bytes,
            size_bytes=elements * ptype.size_bytes,
            initializer=initializer,
            dynamic=dynamic,
            line=name.line,
        )

    def _array_dims(self) -> tuple[int, bool]:
        """Element count of ``[a][b]...`` (1 when scalar) and whether a dimension is empty."""
        elements = 1
        dynamic = False
        while self._accept("["):
            if self._accept("]"):
                dynamic = True
                continue
            elements *= self._expect_int()
            self._expect("]")
        return (0 if dynamic else elements), dynamic

    def _initializer(self, ptype: PtxType, line: int) -> bytes:
        values: list[int] = []
        self._initializer_values(values)
        fmt = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}[ptype.size_bytes]
        mask = (1 << (8 * ptype.size_bytes)) - 1
        try:
            return b"".join(struct.pack(fmt, value & mask) for value in values)
        except struct.error as exc:
            raise PtxError(f"PTX line {line}: bad initializer: {exc}") from None

    def _initializer_values(self, values: list[int]) -> None:
        if self._accept("{"):
            self._initializer_values(values)
            while self._accept(","):
                self._initializer_values(values)
            self._expect("}")
            return
        negative = self._accept("-")
        token = self._next()
        if token.kind == "int":
            value = parse_int_literal(token.text)
        elif token.kind == "fbits":
            value = int(token.text[2:], 16)
        else:
            raise PtxError(f"PTX line {token.line}: unsupported initializer {token.text!r}")
        values.append(-value if negative else value)

    # -- kernels ------------------------------------------------------------------------

    def _entry(self) -> Entry:
        entry_token = self._expect(".entry")
        name = self._expect_name()
        params = self._params()
        while (token := self._peek()) is not None and token.text in _ENTRY_PERFORMANCE_DIRECTIVES:
            self._next()
            while (value := self._peek()) is not None and (
                value.kind == "int" or value.text == ","
            ):
                self._next()
        self._registers = []
        self._scopes = []
        variables: list[Variable] = []
        instructions: list[Instruction] = []
        labels: dict[str, int] = {}
        self._expect("{")
        self._scopes.append({})
        while self._scopes:
            self._statement(variables, instructions, labels)
        return Entry(
            name=name.text,
            params=params,
            registers=tuple(self._registers),
            variables=tuple(variables),
            instructions=tuple(instructions),
            labels=labels,
            line=entry_token.line,
        )

    def _params(self) -> tuple[Param, ...]:
        params: list[Param] = []
        offset = 0
        self._expect("(")
        if self._accept(")"):
            return ()
        while True:
            self._expect(".param")
            align_bytes = 0
            if self._accept(".align"):
                align_bytes = self._expect_int()
            ptype = self._expect_type()
            while self._accept(".ptr"):
                while (token := self._peek()) is not None and token.text in (
                    ".global",
                    ".const",
                    ".shared",
                    ".local",
                ):
                    self._next()
                if self._accept(".align"):
                    align_bytes = self._expect_int()
            name = self._expect_name()
            elements, dynamic = self._array_dims()
            if dynamic:
                raise PtxError(f"PTX line {name.line}: unsized parameter array {name.text}")
            align_bytes = align_bytes or ptype.size_bytes
            offset = -(-offset // align_bytes) * align_bytes
            size_bytes = elements * ptype.size_bytes
            params.append(Param(name.text, ptype, size_bytes, align_bytes, offset))
            offset += size_bytes
            if self._accept(")"):
                return tuple(params)
            self._expect(",")

    def _statement(
        self,
        variables: list[Variable],
        instructions: list[Instruction],
        labels: dict[str, int],
    ) -> None:
        token = self._next()
        text = token.text
        if text == "{":
            self._scopes.append({})
            self._scope_serial += 1
        elif text == "}":
            self._scopes.pop()
        elif (
            token.kind == "word"
            and (following := self._peek()) is not None
            and following.text == ":"
        ):
            self._next()
            if text in labels:
                raise PtxError(f"PTX line {token.line}: label {text} defined twice")
            labels[text] = len(instructions)
        elif text == ".reg":
            self._register_declaration()
        elif text in (".local", ".shared"):
            self._pos -= 1
            variables.append(self._variable(extern=False))
        elif text == ".pragma":
            self._next()
            self._expect(";")
        elif text == ".param":
            raise PtxError(
                f"PTX line {token.line}: call sequences are not supported; "
                "emulate the LTO-linked PTX, where calls are inlined"
            )
        elif text == "@":
            negated = self._accept("!")
            guard_token = self._next()
            register = self._register(guard_token)
            if register.ptype.kind != "pred":
                raise PtxError(
                    f"PTX line {guard_token.line}: guard {guard_token.text} is not a .pred"
                )
            instructions.append(self._instruction(self._next(), Guard(register, negated)))
        elif token.kind == "word" and not text.startswith((".", "%")):
            instructions.append(self._instruction(token, None))
        else:
            raise PtxError(f"PTX line {token.line}: unsupported statement {text!r}")

    def _register_declaration(self) -> None:
        """``.reg .type %a<N>, %b;`` — each name gets the next dense register number."""
        start = self._peek()
        if start is not None and start.text in (".v2", ".v4"):
            raise PtxError(f"PTX line {start.line}: vector registers are not supported")
        ptype = self._expect_type()
        while True:
            name = self._next()
            if name.kind != "word":
                raise PtxError(
                    f"PTX line {name.line}: expected a register name, found {name.text!r}"
                )
            if self._accept("<"):
                count = self._expect_int()
                self._expect(">")
                names = [f"{name.text}{i}" for i in range(count)]
            else:
                names = [name.text]
            for register_name in names:
                self._declare(register_name, ptype)
            if self._accept(";"):
                return
            self._expect(",")

    def _declare(self, name: str, ptype: PtxType) -> None:
        shadowed = any(name in scope for scope in self._scopes)
        unique = f"{name}@{self._scope_serial}" if shadowed or len(self._scopes) > 1 else name
        register = Register(len(self._registers), unique, ptype)
        self._registers.append(register)
        self._scopes[-1][name] = register

    def _lookup(self, name: str) -> Register | None:
        for scope in reversed(self._scopes):
            if name in scope:
                return scope[name]
        return None

    def _register(self, token: Token) -> Register:
        register = self._lookup(token.text)
        if register is None:
            raise PtxError(f"PTX line {token.line}: undeclared register {token.text}")
        return register

    # -- instructions -------------------------------------------------------------------

    def _instruction(self, opcode: Token, guard: Guard | None) -> Instruction:
        if opcode.kind != "word" or opcode.text.startswith((".", "%")):
            raise PtxError(
                f"PTX line {opcode.line}: expected an instruction, found {opcode.text!r}"
            )
        is_branch = opcode.text.split(".", 1)[0] in _BRANCH_OPCODES
        operands: list[Operand] = []
        if not self._accept(";"):
            while True:
                operands.append(self._operand(is_branch, allow_dual=not operands))
                if self._accept(";"):
                    break
                self._expect(",")
        return Instruction(opcode.text, guard, tuple(operands), opcode.line)

    def _operand(self, is_branch: bool, *, allow_dual: bool) -> Operand:
        first = self._single_operand(is_branch)
        if allow_dual and self._accept("|"):
            return DualOperand(first, self._single_operand(is_branch))
        return first

    def _single_operand(self, is_branch: bool) -> Operand:
        token = self._next()
        if token.text == "{":
            items = [self._single_operand(is_branch)]
            while self._accept(","):
                items.append(self._single_operand(is_branch))
            self._expect("}")
            return VectorOperand(tuple(items))
        if token.text == "[":
            return self._memory_operand()
        if token.text == "!":
            return NegPredOperand(self._register(self._next()))
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
        register = self._lookup(token.text)
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

    def _memory_operand(self) -> MemOperand:
        token = self._next()
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
        while (sign := self._peek()) is not None and sign.text in ("+", "-"):
            self._next()
            negative = sign.text == "-"
            if self._accept("-"):
                negative = not negative
            value = self._expect_int()
            offset += -value if negative else value
        self._expect("]")
        return MemOperand(base, offset)
