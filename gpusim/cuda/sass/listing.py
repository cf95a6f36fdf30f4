"""The SASS of a cubin as nvdisasm prints it, split into basic blocks.

``nvdisasm -c`` prints one instruction a line (``/*0400*/ @!P2 LDG.E R9, desc[UR12][R16.64] ;``)
and a label line (``.L_x_1:``) before every branch target. A block starts at a label or
after a branch or exit and ends at the next; ptxas lays the code out in program order, so
a branch to an earlier (or the same) block is a loop's back edge. The alignment ``NOP``s
and the self-branch ptxas places after the last ``EXIT`` are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpusim.errors import KernelError

_LINE = re.compile(
    r"/\*(?P<offset>[0-9a-f]{4,})\*/\s+(?P<guard>@!?U?P[T0-9]+\s+)?"
    r"(?P<opcode>[A-Z][A-Z0-9_.]*)(?P<operands>[^;]*);"
)
_LABEL = re.compile(r"^\s*(\.L_x_\d+):")
_TARGET = re.compile(r"`\((\.L_x_\d+)\)")
_BRANCHES = frozenset({"BRA", "BRX", "JMP", "JMX", "RET", "CALL"})
_ENDS = frozenset({"EXIT", *_BRANCHES})


@dataclass(frozen=True)
class SassInstruction:
    """One SASS instruction: ``opcode`` with its modifiers (``LDS.128``, ``IMAD.WIDE.U32``)."""

    offset: int
    opcode: str
    guarded: bool
    """Whether a predicate guards it (``@P0``): it may run for only some lanes."""
    target: str | None
    """The label a branch goes to, if any."""

    @property
    def base(self) -> str:
        """The opcode without modifiers (``LDS`` for ``LDS.128``)."""
        return self.opcode.split(".", 1)[0]


@dataclass(frozen=True)
class SassBlock:
    """Instructions of one SASS basic block and the blocks control can pass to."""

    index: int
    instructions: tuple[SassInstruction, ...]
    successors: tuple[int, ...]


def parse_listing(listing: str, source: str) -> tuple[SassBlock, ...]:
    """The basic blocks of ``nvdisasm -c`` output for a cubin with one kernel.

    ``source`` names the cubin in errors (a listing without instructions is refused).
    """
    pieces: list[tuple[list[str], list[SassInstruction]]] = [([], [])]
    for line in listing.splitlines():
        label = _LABEL.match(line)
        if label is not None:
            if pieces[-1][1]:
                pieces.append(([], []))
            pieces[-1][0].append(label.group(1))
            continue
        match = _LINE.search(line)
        if match is None:
            continue
        target = _TARGET.search(match.group("operands"))
        instruction = SassInstruction(
            offset=int(match.group("offset"), 16),
            opcode=match.group("opcode"),
            guarded=match.group("guard") is not None,
            target=None if target is None else target.group(1),
        )
        if instruction.base == "NOP":
            continue
        pieces[-1][1].append(instruction)
        if instruction.base in _ENDS:
            pieces.append(([], []))
    kept = [(labels, body) for labels, body in pieces if body and not _self_loop(labels, body)]
    if not kept:
        raise KernelError(f"{source}: nvdisasm printed no instructions")
    index_of = {label: index for index, (labels, _) in enumerate(kept) for label in labels}
    return tuple(
        SassBlock(index, tuple(body), _successors(index, body, len(kept), index_of))
        for index, (_, body) in enumerate(kept)
    )


def _self_loop(labels: list[str], body: list[SassInstruction]) -> bool:
    """ptxas's trap after the last EXIT: a block that only branches to itself."""
    return len(body) == 1 and body[0].base == "BRA" and body[0].target in labels


def _successors(
    index: int, body: list[SassInstruction], n_blocks: int, index_of: dict[str, int]
) -> tuple[int, ...]:
    last = body[-1]
    following = (index + 1,) if index + 1 < n_blocks else ()
    if last.base in ("EXIT", "RET"):
        return following if last.guarded else ()
    if last.base in _BRANCHES and last.target is not None:
        taken = (index_of[last.target],) if last.target in index_of else ()
        return (*taken, *following) if last.guarded else taken
    return following
