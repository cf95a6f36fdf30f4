"""The parsed form of a PTX module: what the parser produces and the emulator consumes.

Registers are numbered densely per kernel (predicates included), in declaration order;
registers declared inside an inline-asm ``{ ... }`` scope get their own numbers, so two
scopes that both declare ``%tmp`` never share storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from gpusim.cuda.ptx.types import PtxType
from gpusim.errors import PtxError

StateSpace = Literal["global", "shared", "local", "const", "param"]


@dataclass(frozen=True)
class Register:
    """A declared register: ``index`` is its dense per-kernel number."""

    index: int
    name: str
    ptype: PtxType


@dataclass(frozen=True)
class RegOperand:
    reg: Register


@dataclass(frozen=True)
class NegPredOperand:
    """A negated predicate source, ``!%p``."""

    reg: Register


@dataclass(frozen=True)
class ImmInt:
    value: int


@dataclass(frozen=True)
class ImmFloatBits:
    """A float immediate given by its bits: ``0f3F800000`` (width 32) or ``0d...`` (64)."""

    bits: int
    width: int


@dataclass(frozen=True)
class ImmFloat:
    """A decimal float immediate such as ``1.5``."""

    value: float


@dataclass(frozen=True)
class SpecialReg:
    """A special register read, named without the ``%``: ``tid.x``, ``laneid`` ..."""

    name: str


@dataclass(frozen=True)
class Symbol:
    """The address of a variable in its own state space (``mov.u64 %rd, smem``)."""

    name: str


@dataclass(frozen=True)
class Label:
    name: str


@dataclass(frozen=True)
class Sink:
    """The ``_`` placeholder of a vector operand whose element is discarded."""


@dataclass(frozen=True)
class VectorOperand:
    items: tuple[Operand, ...]


@dataclass(frozen=True)
class MemOperand:
    """``[base+offset]``: base is a register, a variable, or absent (an absolute address)."""

    base: RegOperand | Symbol | None
    offset: int


@dataclass(frozen=True)
class TensorAddress:
    """``[tensorMap, {c0, c1, ...}]``: a tensor map's address and the coordinates of a
    box in its tensor (``cp.async.bulk.tensor``)."""

    tensor_map: MemOperand
    coordinates: VectorOperand


@dataclass(frozen=True)
class DualOperand:
    """``d|p``: a destination with a second (predicate) destination."""

    first: Operand
    second: Operand


Operand: TypeAlias = (
    RegOperand
    | NegPredOperand
    | ImmInt
    | ImmFloatBits
    | ImmFloat
    | SpecialReg
    | Symbol
    | Label
    | Sink
    | VectorOperand
    | MemOperand
    | TensorAddress
    | DualOperand
)


@dataclass(frozen=True)
class Guard:
    """``@%p`` or ``@!%p`` in front of an instruction."""

    reg: Register
    negated: bool


@dataclass(frozen=True)
class Instruction:
    """One PTX instruction: ``opcode`` is the full dotted text, e.g. ``ld.global.f32``."""

    opcode: str
    guard: Guard | None
    operands: tuple[Operand, ...]
    line: int

    @property
    def base(self) -> str:
        """The operation without modifiers: ``ld`` for ``ld.global.f32``."""
        return self.opcode.split(".", 1)[0]

    @property
    def modifiers(self) -> tuple[str, ...]:
        """The dotted modifiers after the operation, in order: ``("global", "f32")``."""
        return tuple(self.opcode.split(".")[1:])

    def fail(self, message: str) -> PtxError:
        """A PtxError for this instruction, naming its PTX line and opcode."""
        return PtxError(f"PTX line {self.line}: {self.opcode}: {message}")


@dataclass(frozen=True)
class Variable:
    """A ``.global`` / ``.const`` / ``.shared`` / ``.local`` variable.

    ``dynamic`` marks ``.extern .shared`` arrays of unspecified size: they start where the
    static shared variables end and take the launch's dynamic shared memory.
    """

    name: str
    space: StateSpace
    ptype: PtxType
    align_bytes: int
    size_bytes: int
    initializer: bytes | None
    dynamic: bool
    line: int


@dataclass(frozen=True)
class Param:
    """One kernel parameter; ``offset_bytes`` is its place in the parameter buffer."""

    name: str
    ptype: PtxType
    size_bytes: int
    align_bytes: int
    offset_bytes: int


@dataclass(frozen=True)
class Entry:
    """A ``.entry`` kernel. ``labels`` maps a label to the index of the instruction it marks."""

    name: str
    params: tuple[Param, ...]
    registers: tuple[Register, ...]
    variables: tuple[Variable, ...]
    instructions: tuple[Instruction, ...]
    labels: Mapping[str, int]
    line: int

    @property
    def param_bytes(self) -> int:
        if not self.params:
            return 0
        last = self.params[-1]
        return last.offset_bytes + last.size_bytes


@dataclass(frozen=True)
class Module:
    """A whole PTX file: its header, module-scope variables and kernels."""

    version: str
    target: str
    address_size: int
    variables: tuple[Variable, ...]
    entries: tuple[Entry, ...] = field(default_factory=tuple)

    def entry(self, name: str | None = None) -> Entry:
        """The kernel called ``name``; without a name, the module's only kernel."""
        if name is None:
            if len(self.entries) != 1:
                names = ", ".join(e.name for e in self.entries) or "none"
                raise PtxError(f"PTX module has {len(self.entries)} kernels ({names}): name one")
            return self.entries[0]
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise PtxError(f"PTX module has no kernel named {name}")
