"""What an instruction is, in the trace's ISA-neutral terms: its op class and state space.

The numbers of both enums are stored in trace files, so they only ever grow (append only).
"""

from __future__ import annotations

from enum import IntEnum


class OpClass(IntEnum):
    """What executes an instruction: enough for an engine to pick a unit and a latency.

    The numbers are part of the file format (append only).
    """

    INT32 = 0
    """16/32-bit integer ALU work (add, logic, shifts, 32-bit select)."""
    INT64 = 1
    """64-bit integer ALU work; SASS splits each into two to four 32-bit operations."""
    INT_DIV = 2
    """Integer division / remainder: a multi-instruction SASS sequence."""
    FP32 = 3
    FP16 = 4
    FP64 = 5
    FP_DIV = 6
    """IEEE-rounded float div / sqrt / rcp: multi-instruction SASS sequences."""
    SFU = 7
    """Approximate transcendental / reciprocal on the special function unit."""
    CONVERT = 8
    MOVE = 9
    SETP = 10
    PREDICATE = 11
    """Logic on predicates (and/or/xor/not .pred)."""
    BRANCH = 12
    BARRIER = 13
    MEMBAR = 14
    EXIT = 15
    LD_GLOBAL = 16
    ST_GLOBAL = 17
    LD_SHARED = 18
    ST_SHARED = 19
    LD_LOCAL = 20
    ST_LOCAL = 21
    LD_PARAM = 22
    ATOM_GLOBAL = 23
    ATOM_SHARED = 24
    SHFL = 25
    MMA = 26
    MBARRIER = 27
    """``mbarrier.init`` / ``arrive{.expect_tx}`` / ``try_wait`` / ``test_wait`` on a shared
    8-byte barrier object (its address recorded as a shared access)."""
    TENSOR_COPY = 28
    """``cp.async.bulk.tensor``: the TMA copies a box of a tensor into shared memory (the
    issuing lane's address is the box's first global byte)."""
    WGMMA = 29
    """``wgmma.mma_async``: one warp's quarter of a warpgroup's asynchronous matrix multiply."""


class MemSpace(IntEnum):
    """State space of a memory instruction (NONE for everything else); numbers are stable."""

    NONE = 0
    GLOBAL = 1
    SHARED = 2
    LOCAL = 3
    PARAM = 4
