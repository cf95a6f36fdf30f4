"""The SIMT core: runs a batch of warps in lockstep with a reconvergence stack.

The whole batch behaves as one wide warp. Each stack entry is (block to run, block where
it reconverges, lanes). At a branch that splits the active lanes, the entry becomes the
reconvergence entry at the branch block's immediate post-dominator and the two paths are
pushed (taken path on top, so it runs first); a path entry is popped when it reaches its
reconvergence block. When the post-dominator is already the entry's own reconvergence
point, the entry is simply replaced by the two paths.

Why this yields per-warp SIMT streams: a warp's active mask in any entry is its own lanes'
slice of the entry's mask, and every decision (taken / not taken, exit) is per lane. A
warp whose lanes agree at a branch where the batch splits sees the same block sequence as
if it had not split: the entries in which it has no lanes contribute no visits, and the
entry order (taken path, then fall-through path, then the post-dominator) is the order a
per-warp stack uses. So restricting the batch's (block, mask) sequence to one warp gives
exactly that warp's stream under a per-warp IPDOM stack; tests check this on divergent
loops by running each warp alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gpusim.cuda.ptx.cfg import EXIT_BLOCK, BasicBlock
from gpusim.cuda.ptx.ir import Guard
from gpusim.cuda.ptx.machine import Machine, Mask
from gpusim.cuda.ptx.operands import Step
from gpusim.errors import PtxError


@dataclass(frozen=True)
class CompiledBlock:
    block: BasicBlock
    steps: tuple[Step, ...]
    last_line: int


class _Entry:
    __slots__ = ("mask", "pc", "rpc")

    def __init__(self, pc: int, rpc: int, mask: Mask) -> None:
        self.pc = pc
        self.rpc = rpc
        self.mask = mask


def execute(blocks: Sequence[CompiledBlock], m: Machine, max_block_steps: int) -> int:
    """Run the batch to completion; return the number of block executions."""
    stack = [_Entry(0, EXIT_BLOCK, ~m.exited)]
    block_steps = 0
    observer = m.observer
    with np.errstate(all="ignore"):
        while stack:
            entry = stack[-1]
            if entry.pc == entry.rpc:
                stack.pop()
                continue
            mask = entry.mask & ~m.exited
            if not mask.any():
                stack.pop()
                continue
            if entry.pc == EXIT_BLOCK:
                raise PtxError("internal: live threads waiting at the kernel exit")
            block_steps += 1
            if block_steps > max_block_steps:
                line = blocks[entry.pc].last_line
                raise PtxError(
                    f"PTX line {line}: more than {max_block_steps} block executions in one "
                    "batch: the kernel does not terminate (or raise max_block_steps)"
                )
            compiled = blocks[entry.pc]
            m.set_exec(mask, not (~mask & ~m.exited).any())
            if observer is not None:
                observer.on_block(entry.pc, mask)
            for step in compiled.steps:
                step(m)
            _leave_block(stack, entry, compiled.block, mask, m)
    return block_steps


def _leave_block(
    stack: list[_Entry], entry: _Entry, block: BasicBlock, mask: Mask, m: Machine
) -> None:
    if block.exits:
        leaving = mask if block.exit_guard is None else mask & _predicate(m, block.exit_guard)
        m.exited = m.exited | leaving
        staying = mask & ~leaving
        if block.fallthrough is None or not staying.any():
            stack.pop()
            return
        entry.pc, entry.mask = block.fallthrough, staying
        return
    if block.branch_target is None:
        assert block.fallthrough is not None
        entry.pc, entry.mask = block.fallthrough, mask
        return
    taken = mask if block.branch_guard is None else mask & _predicate(m, block.branch_guard)
    not_taken = mask & ~taken
    if not not_taken.any():
        entry.pc, entry.mask = block.branch_target, mask
        return
    if not taken.any():
        assert block.fallthrough is not None
        entry.pc, entry.mask = block.fallthrough, mask
        return
    assert block.fallthrough is not None
    reconverge = block.ipdom
    if reconverge == entry.rpc:
        stack.pop()
    else:
        entry.pc, entry.mask = reconverge, mask
    if block.fallthrough != reconverge:
        stack.append(_Entry(block.fallthrough, reconverge, not_taken))
    if block.branch_target != reconverge:
        stack.append(_Entry(block.branch_target, reconverge, taken))


def _predicate(m: Machine, guard: Guard) -> Mask:
    value: Mask = m.regs[guard.reg.index]
    return ~value if guard.negated else value
