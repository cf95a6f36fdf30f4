"""Loops of a control-flow graph laid out in program order, as both nvdisasm's SASS and
the PTX are: an edge to an earlier (or the same) block whose target dominates its source
(every path from the entry, block 0, to the source passes through the target) is a back
edge, and the loop it closes is the contiguous range of blocks from its target (the
header) to its source. Back edges to one header close one loop (the widest range). Loops
nest by containment.

Dominance keeps out edges that only run backwards in the layout: LLVM places a kernel's
shared exit block (``st.global``; ``ret``) after the first version of a loop it versions
and branches to it from the later versions, an earlier block but no loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TOP_LEVEL = -1
"""The region of blocks in no loop."""


@dataclass(frozen=True)
class Loop:
    """Blocks ``[header, last]`` repeat; ``parent`` is the enclosing loop (or TOP_LEVEL)."""

    header: int
    last: int
    parent: int
    depth: int


def find_loops(edges: Iterable[tuple[int, int]]) -> tuple[Loop, ...]:
    """The loops closed by the back edges among ``edges``, outermost first, in layout order."""
    edge_list = list(edges)
    dominators = _dominators(edge_list)
    last_of: dict[int, int] = {}
    for source, target in edge_list:
        if target <= source and target in dominators.get(source, ()):
            last_of[target] = max(last_of.get(target, source), source)
    ranges = sorted(last_of.items(), key=lambda item: (item[0], -item[1]))
    loops: list[Loop] = []
    for header, last in ranges:
        enclosing = [i for i, loop in enumerate(loops) if loop.header <= header <= loop.last]
        parent = enclosing[-1] if enclosing else TOP_LEVEL
        depth = loops[parent].depth + 1 if enclosing else 1
        loops.append(Loop(header, max(last, header), parent, depth))
    return tuple(loops)


def _dominators(edges: list[tuple[int, int]]) -> dict[int, frozenset[int]]:
    """Each block reachable from block 0 and the blocks that dominate it (itself included)."""
    successors: dict[int, list[int]] = {}
    for source, target in edges:
        successors.setdefault(source, []).append(target)
    reachable, stack = {0}, [0]
    while stack:
        for target in successors.get(stack.pop(), ()):
            if target not in reachable:
                reachable.add(target)
                stack.append(target)
    predecessors: dict[int, list[int]] = {block: [] for block in reachable}
    for source, target in edges:
        if source in reachable:
            predecessors[target].append(source)
    everything = frozenset(reachable)
    dominators = {block: everything for block in reachable}
    dominators[0] = frozenset({0})
    changed = True
    while changed:
        changed = False
        for block in sorted(reachable - {0}):
            found = frozenset.intersection(*(dominators[p] for p in predecessors[block]))
            found |= {block}
            if found != dominators[block]:
                dominators[block], changed = found, True
    return dominators


def region_of_blocks(loops: tuple[Loop, ...], n_blocks: int) -> list[int]:
    """Each block's innermost loop (an index into ``loops``), or TOP_LEVEL."""
    region = [TOP_LEVEL] * n_blocks
    for index, loop in enumerate(loops):  # outermost first, so inner loops overwrite
        for block in range(loop.header, min(loop.last, n_blocks - 1) + 1):
            region[block] = index
    return region
