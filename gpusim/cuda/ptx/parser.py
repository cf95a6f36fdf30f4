"""PTX tokens to the IR of ``gpusim.cuda.ptx.ir``: a recursive-descent parser of modules,
variables and kernels (operands: ``instructions``; register scopes: ``registers``).

It accepts the PTX that NVVM and nvJitLink emit for Numba kernels: module directives,
module- and kernel-scope variables, ``.entry`` kernels with their parameters, register
declarations (``.reg .b32 %r<27>;``), labels, guarded instructions, vector / memory /
immediate operands, and inline-asm ``{ ... }`` scopes with their own ``.reg`` declarations.
Anything else (device functions, call sequences, unknown directives) is a PtxError naming
the PTX line, so an unsupported construct never passes silently.
"""

from __future__ import annotations

import struct

from gpusim.cuda.ptx.cursor import TokenCursor, parse_int_literal
from gpusim.cuda.ptx.instructions import InstructionParser
from gpusim.cuda.ptx.ir import Entry, Guard, Instruction, Module, Param, StateSpace, Variable
from gpusim.cuda.ptx.lexer import Token, tokenize
from gpusim.cuda.ptx.registers import RegisterScopes
from gpusim.cuda.ptx.types import PtxType
from gpusim.errors import PtxError

_LINKAGE = frozenset({".visible", ".extern", ".weak", ".common"})
_VARIABLE_SPACES: dict[str, StateSpace] = {
    ".global": "global",
    ".const": "const",
    ".shared": "shared",
    ".local": "local",
}
_PERFORMANCE_DIRECTIVES = frozenset(
    {".maxntid", ".reqntid", ".minnctapersm", ".maxnctapersm", ".maxnreg", ".noreturn"}
)


def parse_ptx(text: str) -> Module:
    """Parse a whole PTX module; PtxError (naming the PTX line) on anything unsupported."""
    return _Parser(tokenize(text)).parse_module()


class _Parser:
    """State of one parse: the token cursor and, inside a kernel, its register scopes."""

    def __init__(self, tokens: list[Token]) -> None:
        self._cursor = TokenCursor(tokens)
        self._registers = RegisterScopes()
        self._instructions = InstructionParser(self._cursor, self._registers)

    # -- module level -------------------------------------------------------------------

    def parse_module(self) -> Module:
        version = ""
        target = ""
        address_size = 64
        variables: list[Variable] = []
        entries: list[Entry] = []
        while (token := self._cursor.peek()) is not None:
            if token.text == ".version":
                self._cursor.next()
                version = self._cursor.next().text
            elif token.text == ".target":
                self._cursor.next()
                names = [self._cursor.next().text]
                while self._cursor.accept(","):
                    names.append(self._cursor.next().text)
                target = ",".join(names)
            elif token.text == ".address_size":
                self._cursor.next()
                address_size = self._cursor.expect_int()
                if address_size != 64:
                    raise PtxError(f"PTX line {token.line}: only .address_size 64 is supported")
            elif token.text in _LINKAGE or token.text in _VARIABLE_SPACES:
                linkage = self._linkage()
                following = self._cursor.peek()
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
        while (token := self._cursor.peek()) is not None and token.text in _LINKAGE:
            found.add(self._cursor.next().text)
        return found

    def _variable(self, *, extern: bool) -> Variable:
        """``.space [.align N] .type name[dims]* [= init];`` at module or kernel scope."""
        space_token = self._cursor.next()
        if space_token.text not in _VARIABLE_SPACES:
            raise PtxError(
                f"PTX line {space_token.line}: unsupported directive {space_token.text!r}"
            )
        space = _VARIABLE_SPACES[space_token.text]
        align_bytes = 0
        if self._cursor.accept(".align"):
            align_bytes = self._cursor.expect_int()
        ptype = self._cursor.expect_type()
        name = self._cursor.expect_name()
        elements, dynamic = self._array_dims()
        initializer = self._initializer(ptype, name.line) if self._cursor.accept("=") else None
        self._cursor.expect(";")
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
        while self._cursor.accept("["):
            if self._cursor.accept("]"):
                dynamic = True
                continue
            elements *= self._cursor.expect_int()
            self._cursor.expect("]")
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
        if self._cursor.accept("{"):
            self._initializer_values(values)
            while self._cursor.accept(","):
                self._initializer_values(values)
            self._cursor.expect("}")
            return
        negative = self._cursor.accept("-")
        token = self._cursor.next()
        if token.kind == "int":
            value = parse_int_literal(token.text)
        elif token.kind == "fbits":
            value = int(token.text[2:], 16)
        else:
            raise PtxError(f"PTX line {token.line}: unsupported initializer {token.text!r}")
        values.append(-value if negative else value)

    # -- kernels ------------------------------------------------------------------------

    def _entry(self) -> Entry:
        entry_token = self._cursor.expect(".entry")
        name = self._cursor.expect_name()
        params = self._params()
        self._skip_performance_directives()
        variables: list[Variable] = []
        instructions: list[Instruction] = []
        labels: dict[str, int] = {}
        self._cursor.expect("{")
        self._registers.start_kernel()
        while self._registers.is_open:
            self._statement(variables, instructions, labels)
        return Entry(
            name=name.text,
            params=params,
            registers=tuple(self._registers.registers),
            variables=tuple(variables),
            instructions=tuple(instructions),
            labels=labels,
            line=entry_token.line,
        )

    def _skip_performance_directives(self) -> None:
        """``.maxntid 256, 1, 1`` and the like: hints to ptxas that change no behaviour."""
        cursor = self._cursor
        while (token := cursor.peek()) is not None and token.text in _PERFORMANCE_DIRECTIVES:
            cursor.next()
            while (value := cursor.peek()) is not None and (
                value.kind == "int" or value.text == ","
            ):
                cursor.next()

    def _params(self) -> tuple[Param, ...]:
        params: list[Param] = []
        offset = 0
        self._cursor.expect("(")
        if self._cursor.accept(")"):
            return ()
        while True:
            self._cursor.expect(".param")
            align_bytes = 0
            if self._cursor.accept(".align"):
                align_bytes = self._cursor.expect_int()
            ptype = self._cursor.expect_type()
            while self._cursor.accept(".ptr"):
                while (token := self._cursor.peek()) is not None and token.text in (
                    ".global",
                    ".const",
                    ".shared",
                    ".local",
                ):
                    self._cursor.next()
                if self._cursor.accept(".align"):
                    align_bytes = self._cursor.expect_int()
            name = self._cursor.expect_name()
            elements, dynamic = self._array_dims()
            if dynamic:
                raise PtxError(f"PTX line {name.line}: unsized parameter array {name.text}")
            align_bytes = align_bytes or ptype.size_bytes
            offset = -(-offset // align_bytes) * align_bytes
            size_bytes = elements * ptype.size_bytes
            params.append(Param(name.text, ptype, size_bytes, align_bytes, offset))
            offset += size_bytes
            if self._cursor.accept(")"):
                return tuple(params)
            self._cursor.expect(",")

    def _statement(
        self,
        variables: list[Variable],
        instructions: list[Instruction],
        labels: dict[str, int],
    ) -> None:
        token = self._cursor.next()
        text = token.text
        if text == "{":
            self._registers.open()
        elif text == "}":
            self._registers.close()
        elif (
            token.kind == "word"
            and (following := self._cursor.peek()) is not None
            and following.text == ":"
        ):
            self._cursor.next()
            if text in labels:
                raise PtxError(f"PTX line {token.line}: label {text} defined twice")
            labels[text] = len(instructions)
        elif text == ".reg":
            self._register_declaration()
        elif text in (".local", ".shared"):
            self._cursor.back()
            variables.append(self._variable(extern=False))
        elif text == ".pragma":
            self._cursor.next()
            self._cursor.expect(";")
        elif text == ".param":
            raise PtxError(
                f"PTX line {token.line}: call sequences are not supported; "
                "emulate the LTO-linked PTX, where calls are inlined"
            )
        elif text == "@":
            negated = self._cursor.accept("!")
            guard_token = self._cursor.next()
            register = self._registers.require(guard_token)
            if register.ptype.kind != "pred":
                raise PtxError(
                    f"PTX line {guard_token.line}: guard {guard_token.text} is not a .pred"
                )
            instructions.append(
                self._instructions.instruction(self._cursor.next(), Guard(register, negated))
            )
        elif token.kind == "word" and not text.startswith((".", "%")):
            instructions.append(self._instructions.instruction(token, None))
        else:
            raise PtxError(f"PTX line {token.line}: unsupported statement {text!r}")

    def _register_declaration(self) -> None:
        """``.reg .type %a<N>, %b;`` — each name gets the next dense register number."""
        start = self._cursor.peek()
        if start is not None and start.text in (".v2", ".v4"):
            raise PtxError(f"PTX line {start.line}: vector registers are not supported")
        ptype = self._cursor.expect_type()
        while True:
            name = self._cursor.next()
            if name.kind != "word":
                raise PtxError(
                    f"PTX line {name.line}: expected a register name, found {name.text!r}"
                )
            if self._cursor.accept("<"):
                count = self._cursor.expect_int()
                self._cursor.expect(">")
                names = [f"{name.text}{i}" for i in range(count)]
            else:
                names = [name.text]
            for register_name in names:
                self._registers.declare(register_name, ptype)
            if self._cursor.accept(";"):
                return
            self._cursor.expect(",")
