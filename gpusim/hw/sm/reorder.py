"""Reorder each basic block as ptxas would before it issues: loads first.

A warp issues in order, so instruction order inside a block decides how much memory
latency a warp hides by itself. NVVM's PTX puts each load right before its first use
(``ld.global`` then the ``st.shared`` of its value, eight times over in a tile loop);
ptxas's scheduler hoists the loads so that they are all in flight before the first use
stalls, which is what the SASS of the project's kernels shows (LDG instructions grouped at
the top of their blocks). Simulating the PTX order would serialise those loads and charge
the kernel several memory latencies per tile that the hardware never pays.

This module computes that order with a critical-path list scheduler over each block's
dependence graph: register dependences (read after write, write after read, write after
write), memory order within a state space (a store is not moved across a load or store of
its space; global loads are never moved across global stores or atomics), and fences
(``bar.sync``, ``membar``, branches and exits keep everything on their side). Among the
instructions whose predecessors are placed, the one heading the longest chain of nominal
latencies goes first (so a load and the address arithmetic feeding it rise together),
ties in original order. The nominal latencies only rank instructions; timing comes from
the spec.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gpusim.cuda.trace import InstructionTable, OpClass

_FENCES = frozenset({OpClass.BARRIER, OpClass.MEMBAR, OpClass.BRANCH, OpClass.EXIT})
_SPACE_OF: dict[OpClass, tuple[str, bool]] = {
    OpClass.LD_GLOBAL: ("global", False),
    OpClass.ST_GLOBAL: ("global", True),
    OpClass.ATOM_GLOBAL: ("global", True),
    OpClass.LD_LOCAL: ("local", False),
    OpClass.ST_LOCAL: ("local", True),
    OpClass.LD_SHARED: ("shared", False),
    OpClass.ST_SHARED: ("shared", True),
    OpClass.ATOM_SHARED: ("shared", True),
}
"""Memory state space of an instruction, and whether it writes there."""
_NOMINAL_LATENCY: dict[OpClass, int] = {
    OpClass.LD_GLOBAL: 400,
    OpClass.LD_LOCAL: 400,
    OpClass.ATOM_GLOBAL: 400,
    OpClass.LD_SHARED: 30,
    OpClass.ATOM_SHARED: 30,
    OpClass.SHFL: 30,
    OpClass.MMA: 30,
    OpClass.SFU: 20,
    OpClass.FP_DIV: 40,
    OpClass.INT_DIV: 80,
}
"""Rough cycles by class, to rank chains the way ptxas does; other classes count 4."""
_DEFAULT_LATENCY = 4


def block_order(program: InstructionTable) -> npt.NDArray[np.int64]:
    """A permutation of the instructions: each block scheduled loads-first, blocks in place."""
    order = np.arange(program.n_instructions, dtype=np.int64)
    for block in range(program.n_blocks):
        start, stop = int(program.block_start[block]), int(program.block_start[block + 1])
        order[start:stop] = start + np.asarray(_schedule(program, start, stop), dtype=np.int64)
    return order


def _schedule(program: InstructionTable, start: int, stop: int) -> list[int]:
    """The issue order of instructions ``start..stop-1``, as offsets from ``start``."""
    predecessors = _dependences(program, start, stop)
    successors: list[list[int]] = [[] for _ in predecessors]
    for node, preds in enumerate(predecessors):
        for pred in preds:
            successors[pred].append(node)
    height = [0] * len(predecessors)
    for node in reversed(range(len(predecessors))):
        below = max((height[succ] for succ in successors[node]), default=0)
        op = OpClass(int(program.op_class[start + node]))
        height[node] = _NOMINAL_LATENCY.get(op, _DEFAULT_LATENCY) + below
    waiting = [len(p) for p in predecessors]
    ready = [(-height[n], n) for n, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    placed: list[int] = []
    while ready:
        _, node = heapq.heappop(ready)
        placed.append(node)
        for succ in successors[node]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(ready, (-height[succ], succ))
    return placed


def _registers(
    offsets: npt.NDArray[np.int64], regs: npt.NDArray[np.int32], i: int
) -> Sequence[int]:
    return regs[offsets[i] : offsets[i + 1]].tolist()  # type: ignore[no-any-return]


def _dependences(program: InstructionTable, start: int, stop: int) -> list[set[int]]:
    """For each instruction of the block, the earlier ones it must follow."""
    last_write: dict[int, int] = {}
    reads_since_write: dict[int, list[int]] = {}
    last_store: dict[str, int] = {}
    accesses_since_store: dict[str, list[int]] = {}
    last_fence = -1
    since_fence: list[int] = []
    predecessors: list[set[int]] = []
    for node in range(stop - start):
        index = start + node
        op = OpClass(int(program.op_class[index]))
        preds: set[int] = set()
        if last_fence >= 0:
            preds.add(last_fence)
        sources = _registers(program.src_offsets, program.src_regs, index)
        destinations = _registers(program.dst_offsets, program.dst_regs, index)
        for register in sources:
            if register in last_write:
                preds.add(last_write[register])
        for register in destinations:
            if register in last_write:
                preds.add(last_write[register])
            preds.update(reads_since_write.get(register, ()))
        space = _SPACE_OF.get(op)
        if space is not None:
            name, writes = space
            if name in last_store:
                preds.add(last_store[name])
            if writes:
                preds.update(accesses_since_store.get(name, ()))
        if op in _FENCES:
            preds.update(since_fence)
        preds.discard(node)
        predecessors.append(preds)
        for register in sources:
            reads_since_write.setdefault(register, []).append(node)
        for register in destinations:
            last_write[register] = node
            reads_since_write[register] = []
        if space is not None:
            name, writes = space
            if writes:
                last_store[name] = node
                accesses_since_store[name] = []
            else:
                accesses_since_store.setdefault(name, []).append(node)
        if op in _FENCES:
            last_fence = node
            since_fence = []
        else:
            since_fence.append(node)
    return predecessors
