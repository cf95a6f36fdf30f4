"""The PTX-to-SASS map on a small hand-written program: which SASS loop a PTX loop pairs
with, and what a loop and the top level are charged."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.cuda.sass.listing import parse_listing
from gpusim.cuda.sass.mapping import SassCosting, map_to_sass
from gpusim.cuda.trace import InstructionTable, OpClass

Row = tuple[OpClass, str, int]
"""(class, opcode, bytes per lane) of one PTX instruction."""

LOOP_BODY: list[Row] = [
    *[(OpClass.LD_GLOBAL, "ld.global.f64", 8), (OpClass.FP64, "add.f64", 0)] * 4,
    (OpClass.INT64, "add.s64", 0),
    (OpClass.SETP, "setp.lt.s64", 0),
    (OpClass.BRANCH, "bra", 0),
]
PTX_BLOCKS: list[list[Row]] = [
    [(OpClass.INT64, "add.s64", 0), (OpClass.SETP, "setp.lt.s64", 0), (OpClass.BRANCH, "bra", 0)],
    LOOP_BODY,
    [(OpClass.EXIT, "exit", 0)],
    # a path the trace never takes, laid out after the exit it branches back to
    [(OpClass.MOVE, "mov.u64", 0), (OpClass.INT64, "add.s64", 0), (OpClass.BRANCH, "bra", 0)],
]
PTX_SUCCESSORS = [(1, 3), (1, 2), (), (2,)]
VISITS = np.array([1.0, 10.0, 1.0, 0.0])

SASS = """
        /*0000*/                   S2R R0, SR_TID.X ;
        /*0010*/                   IADD3 R8, R0, 0x1, RZ ;
        /*0020*/                   ISETP.GE.U32.AND P2, PT, R8, R12, PT ;
        /*0030*/               @P2 BRA `(.L_x_2) ;
.L_x_0:
        /*0040*/                   LDG.E.64 R2, desc[UR4][R8.64] ;
        /*0050*/                   LDG.E.64 R4, desc[UR4][R8.64+0x8] ;
        /*0060*/                   LDG.E.64 R6, desc[UR4][R8.64+0x10] ;
        /*0070*/                   DADD R10, R10, R2 ;
        /*0080*/                   DADD R10, R10, R4 ;
        /*0090*/                   DADD R10, R10, R6 ;
        /*00a0*/               @P0 BRA `(.L_x_0) ;
.L_x_1:
        /*00b0*/                   LDG.E.64 R2, desc[UR4][R8.64] ;
        /*00c0*/                   LDG.E.64 R4, desc[UR4][R8.64+0x8] ;
        /*00d0*/                   LDG.E.64 R6, desc[UR4][R8.64+0x10] ;
        /*00e0*/                   LDG.E.64 R14, desc[UR4][R8.64+0x18] ;
        /*00f0*/                   DADD R10, R10, R2 ;
        /*0100*/                   DADD R10, R10, R4 ;
        /*0110*/                   DADD R10, R10, R6 ;
        /*0120*/                   DADD R10, R10, R14 ;
        /*0130*/                   IADD3 R8, P3, R8, 0x20, RZ ;
        /*0140*/                   IMAD.X R9, RZ, RZ, R9, P3 ;
        /*0150*/                   ISETP.GE.U32.AND P1, PT, R8, R12, PT ;
        /*0160*/               @P1 BRA `(.L_x_1) ;
.L_x_3:
        /*0170*/                   EXIT ;
.L_x_2:
        /*0180*/                   IADD3 R8, R8, 0x1, RZ ;
        /*0190*/                   IADD3 R8, R8, 0x1, RZ ;
        /*01a0*/                   BRA `(.L_x_3) ;
"""


def _table(blocks: list[list[Row]]) -> InstructionTable:
    rows = [row for block in blocks for row in block]
    n = len(rows)
    names = tuple(dict.fromkeys(opcode for _, opcode, _ in rows))
    none = np.zeros(n, dtype=np.int32)
    return InstructionTable(
        block=np.repeat(np.arange(len(blocks)), [len(b) for b in blocks]).astype(np.int32),
        op_class=np.array([op for op, _, _ in rows], dtype=np.uint8),
        opcode=np.array([names.index(opcode) for _, opcode, _ in rows], dtype=np.int32),
        dst_offsets=np.zeros(n + 1, dtype=np.int64),
        dst_regs=np.zeros(0, dtype=np.int32),
        src_offsets=np.zeros(n + 1, dtype=np.int64),
        src_regs=np.zeros(0, dtype=np.int32),
        mem_space=np.zeros(n, dtype=np.uint8),
        bytes_per_lane=np.array([size for _, _, size in rows], dtype=np.int32),
        vector_width=np.ones(n, dtype=np.uint8),
        flops_per_lane=none,
        ptx_line=np.arange(n, dtype=np.int32),
        operand=np.zeros(n, dtype=np.int64),
        row_stride_bytes=np.zeros(n, dtype=np.int64),
        block_start=np.cumsum([0] + [len(b) for b in blocks]).astype(np.int64),
        opcode_names=names,
        register_names=(),
        register_bits=np.zeros(0, dtype=np.int32),
    )


@pytest.fixture(scope="module")
def costing() -> SassCosting:
    return map_to_sass(
        _table(PTX_BLOCKS), PTX_SUCCESSORS, VISITS, parse_listing(SASS, "test.cubin")
    )


LOOP = slice(3, 3 + len(LOOP_BODY))


def test_of_two_sass_loops_of_the_same_unroll_factor_the_closer_fit_pairs(
    costing: SassCosting,
) -> None:
    """Both SASS loops fit the PTX loop's 32 B of loads and 4 float adds within 25% at
    k = 1 (the first does 24 B and 3: 25% off); the second fits exactly and is the pair,
    so each ld.global.f64 stands for one LDG.E.64, not three quarters of one, and the two
    integer PTX instructions for its IADD3, ISETP and IMAD.X (no float math to carry it)."""
    assert costing.mapped[LOOP].all()
    assert list(costing.unroll[LOOP]) == [1.0] * len(LOOP_BODY)
    assert list(costing.pipe_instructions[LOOP]) == [1.0] * 8 + [1.5, 1.5, 1.0]
    assert list(costing.slots[LOOP]) == [1.0] * 8 + [1.5, 1.5, 1.0]


def test_the_top_level_is_charged_all_its_sass_over_its_executed_ptx(
    costing: SassCosting,
) -> None:
    """The edge from the path after the exit back to the exit closes no loop (the exit
    does not dominate it), in PTX and SASS alike, so both paths are top level; the top
    level's SASS (4 integer-ALU, S2R, 3 control) is shared over the PTX that executes
    (2 integer, 2 control instructions), the path the trace never takes included: 2.5
    (S2R with the integer instructions: no conversion in the PTX) and 1.5 SASS each."""
    top = [0, 1, 2, 3 + len(LOOP_BODY)]  # add.s64, setp.lt.s64, bra, exit
    assert list(costing.pipe_instructions[top]) == [2.5, 2.5, 1.5, 1.5]
    assert list(costing.slots[top]) == [2.5, 2.5, 1.5, 1.5]
