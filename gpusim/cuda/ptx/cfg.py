"""Basic blocks, branch targets and immediate post-dominators of a kernel.

A block ends after every ``bra`` / ``ret`` / ``exit`` (guarded or not), so within a block
the set of active threads never changes: a warp's dynamic stream is fully described by
the blocks it visits and its active mask at each visit. The immediate post-dominator of a
block is where threads that diverge at its branch reconverge (the classic SIMT stack
rule); post-dominators are computed on the reversed CFG with one virtual exit node, using
the iterative algorithm of Cooper, Harvey and Kennedy.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpusim.cuda.ptx.ir import Entry, Guard, Instruction, Label
from gpusim.errors import PtxError

EXIT_BLOCK = -1
"""The virtual exit node: the post-dominator of blocks whose paths only end the kernel."""

_TERMINATORS = frozenset({"bra", "ret", "exit"})


@dataclass(frozen=True)
class BasicBlock:
    """Instructions ``[start, end)`` of the kernel and how control leaves them.

    ``branch_target`` is set when the block ends in ``bra`` (``branch_guard`` None means
    always taken); ``exits`` when it ends in ``ret`` / ``exit`` (``exit_guard`` None means
    every active thread exits). ``fallthrough`` is the next block in program order.
    """

    index: int
    start: int
    end: int
    branch_target: int | None
    branch_guard: Guard | None
    exits: bool
    exit_guard: Guard | None
    fallthrough: int | None
    successors: tuple[int, ...]
    ipdom: int


@dataclass(frozen=True)
class ControlFlowGraph:
    blocks: tuple[BasicBlock, ...]
    block_of_instruction: tuple[int, ...]


def build_cfg(entry: Entry) -> ControlFlowGraph:
    """Split ``entry`` into basic blocks and compute each block's immediate post-dominator."""
    instructions = entry.instructions
    if not instructions:
        raise PtxError(f"PTX line {entry.line}: kernel {entry.name} has no instructions")
    starts = _leaders(entry)
    ends = [*starts[1:], len(instructions)]
    block_at = {start: index for index, start in enumerate(starts)}
    raw = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        fallthrough = index + 1 if index + 1 < len(starts) else None
        exit_info = _terminator(entry, instructions[end - 1], block_at, fallthrough)
        raw.append((start, end, *exit_info, fallthrough))
    successors = [_successors(*fields[2:]) for fields in raw]
    ipdoms = _immediate_post_dominators(successors, [fields[4] for fields in raw])
    blocks = tuple(
        BasicBlock(
            index=index,
            start=start,
            end=end,
            branch_target=target,
            branch_guard=branch_guard,
            exits=exits,
            exit_guard=exit_guard,
            fallthrough=fallthrough,
            successors=successors[index],
            ipdom=ipdoms[index],
        )
        for index, (start, end, target, branch_guard, exits, exit_guard, fallthrough) in enumerate(
            raw
        )
    )
    block_of_instruction = tuple(
        block.index for block in blocks for _ in range(block.start, block.end)
    )
    return ControlFlowGraph(blocks, block_of_instruction)


def _terminator(
    entry: Entry, last: Instruction, block_at: dict[int, int], fallthrough: int | None
) -> tuple[int | None, Guard | None, bool, Guard | None]:
    """(branch target block, branch guard, exits, exit guard) of a block ending in ``last``."""
    if last.base == "bra":
        if last.guard is not None and fallthrough is None:
            raise last.fail("conditional branch at the end of the kernel")
        return block_at[_label_index(entry, last)], last.guard, False, None
    if last.base in ("ret", "exit"):
        if last.guard is not None and fallthrough is None:
            raise last.fail("conditional return at the end of the kernel")
        return None, None, True, last.guard
    if fallthrough is None:
        raise last.fail("control falls off the end of the kernel (no ret)")
    return None, None, False, None


def _label_index(entry: Entry, branch: Instruction) -> int:
    if len(branch.operands) != 1 or not isinstance(branch.operands[0], Label):
        raise branch.fail("expected one label operand")
    name = branch.operands[0].name
    index = entry.labels.get(name)
    if index is None:
        raise branch.fail(f"undefined label {name}")
    if index >= len(entry.instructions):
        raise branch.fail(f"label {name} marks no instruction")
    return index


def _leaders(entry: Entry) -> list[int]:
    leaders = {0}
    count = len(entry.instructions)
    leaders.update(index for index in entry.labels.values() if index < count)
    for index, instruction in enumerate(entry.instructions):
        if instruction.base in _TERMINATORS and index + 1 < count:
            leaders.add(index + 1)
        if instruction.base == "brx":
            raise instruction.fail("indirect branches are not supported")
    return sorted(leaders)


def _successors(
    target: int | None,
    branch_guard: Guard | None,
    exits: bool,
    exit_guard: Guard | None,
    fallthrough: int | None,
) -> tuple[int, ...]:
    if target is not None:
        if branch_guard is None:
            return (target,)
        assert fallthrough is not None
        return (target, fallthrough) if target != fallthrough else (target,)
    if exits:
        return () if exit_guard is None else ((fallthrough,) if fallthrough is not None else ())
    assert fallthrough is not None
    return (fallthrough,)


def _immediate_post_dominators(successors: list[tuple[int, ...]], exits: list[bool]) -> list[int]:
    """Dominators of the reversed CFG rooted at a virtual exit node (Cooper-Harvey-Kennedy).

    Blocks that cannot reach an exit (an infinite loop) get EXIT_BLOCK: they never
    reconverge, and the emulator's step limit reports them.
    """
    count = len(successors)
    virtual = count
    reverse_succ: list[list[int]] = [[] for _ in range(count + 1)]  # edges of the reversed CFG
    for block, succ in enumerate(successors):
        for target in succ:
            reverse_succ[target].append(block)
        if exits[block]:
            reverse_succ[virtual].append(block)
    postorder: list[int] = []
    seen = [False] * (count + 1)
    stack: list[tuple[int, int]] = [(virtual, 0)]
    seen[virtual] = True
    while stack:
        node, child = stack[-1]
        if child < len(reverse_succ[node]):
            stack[-1] = (node, child + 1)
            nxt = reverse_succ[node][child]
            if not seen[nxt]:
                seen[nxt] = True
                stack.append((nxt, 0))
        else:
            postorder.append(node)
            stack.pop()
    order_number = {node: i for i, node in enumerate(postorder)}
    idom: dict[int, int] = {virtual: virtual}
    # In the reversed CFG a node's predecessors are its CFG successors (and the virtual exit).
    preds = [[*succ, *([virtual] if exits[b] else [])] for b, succ in enumerate(successors)]
    changed = True
    while changed:
        changed = False
        for node in reversed(postorder):
            if node == virtual:
                continue
            processed = [p for p in preds[node] if p in idom]
            new_idom = processed[0]
            for other in processed[1:]:
                new_idom = _intersect(new_idom, other, idom, order_number)
            if idom.get(node) != new_idom:
                idom[node] = new_idom
                changed = True
    return [
        EXIT_BLOCK if idom.get(block, virtual) == virtual else idom[block] for block in range(count)
    ]


def _intersect(a: int, b: int, idom: dict[int, int], order_number: dict[int, int]) -> int:
    while a != b:
        while order_number[a] < order_number[b]:
            a = idom[a]
        while order_number[b] < order_number[a]:
            b = idom[b]
    return a
