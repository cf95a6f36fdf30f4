"""The SASS room: nvdisasm listings as blocks, loops, classes, and the PTX-to-SASS map."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.sass import sass_costing
from gpusim.cuda.sass.classes import SassClass, access_bytes, sass_class
from gpusim.cuda.sass.listing import parse_listing
from gpusim.cuda.sass.loops import TOP_LEVEL, Loop, find_loops, region_of_blocks
from gpusim.cuda.sass.mapping import unroll_fit
from gpusim.cuda.trace import OpClass
from gpusim.cuda.tracecache import cached_trace
from gpusim.errors import KernelError

LISTING = """
        /*0000*/                   S2R R2, SR_TID.X ;
        /*0010*/              @!P1 BRA `(.L_x_0) ;
.L_x_1:
        /*0020*/                   LDS.128 R12, [R7] ;
        /*0030*/                   FFMA R8, R8, R12, R11 ;
        /*0040*/               @P1 BRA `(.L_x_1) ;
.L_x_0:
        /*0050*/               @P0 EXIT ;
        /*0060*/                   STG.E desc[UR12][R2.64], R11 ;
        /*0070*/                   EXIT ;
.L_x_2:
        /*0080*/                   BRA `(.L_x_2);
        /*0090*/                   NOP;
"""


def test_a_listing_splits_at_labels_and_after_branches_and_exits() -> None:
    blocks = parse_listing(LISTING, "test.cubin")
    assert [[i.opcode for i in b.instructions] for b in blocks] == [
        ["S2R", "BRA"],
        ["LDS.128", "FFMA", "BRA"],
        ["EXIT"],
        ["STG.E", "EXIT"],
    ]
    assert [b.successors for b in blocks] == [(2, 1), (1, 2), (3,), ()]
    assert blocks[1].instructions[2].guarded


def test_a_listing_without_instructions_is_refused_naming_the_cubin() -> None:
    with pytest.raises(KernelError, match=r"^k\.cubin: nvdisasm printed no instructions$"):
        parse_listing("\t.target sm_90\n", "k.cubin")


def test_loops_are_closed_by_back_edges_and_nest_by_containment() -> None:
    edges = [(0, 1), (1, 2), (2, 3), (3, 2), (3, 4), (4, 1), (4, 5)]
    loops = find_loops(edges)
    assert loops == (Loop(header=1, last=4, parent=TOP_LEVEL, depth=1), Loop(2, 3, 0, 2))
    assert region_of_blocks(loops, 6) == [TOP_LEVEL, 0, 1, 1, 0, TOP_LEVEL]


def test_an_edge_back_to_a_block_that_does_not_dominate_its_source_closes_no_loop() -> None:
    """LLVM's shared exit (block 1) placed before a second version of a loop (block 2)
    that branches back to it: an earlier block, but a path reaches block 3 around it."""
    edges = [(0, 1), (0, 2), (2, 2), (2, 3), (3, 1)]
    assert find_loops(edges) == (Loop(header=2, last=2, parent=TOP_LEVEL, depth=1),)


@pytest.mark.parametrize(
    ("opcode", "cls", "width"),
    [
        ("LDS.128", SassClass.LD_SHARED, 16),
        ("LDG.E.64", SassClass.LD_GLOBAL, 8),
        ("STS.U8", SassClass.ST_SHARED, 1),
        ("IMAD.WIDE.U32", SassClass.FMA, 4),
        ("IADD3.X", SassClass.INT, 4),
        ("ULDC.64", SassClass.UNIFORM, 8),
        ("HMMA.16816.F32", SassClass.TENSOR, 4),
        ("LDSM.16.M88.4", SassClass.LD_SHARED, 16),
        ("LDSM.16.MT88.2", SassClass.LD_SHARED, 8),
        ("BAR.SYNC.DEFER_BLOCKING", SassClass.CONTROL, 4),
    ],
)
def test_sass_classes_and_access_widths(opcode: str, cls: SassClass, width: int) -> None:
    assert sass_class(opcode) == cls
    assert access_bytes(opcode) == width


def test_the_unroll_factor_is_the_common_ratio_of_every_measure() -> None:
    ptx = np.array([8.0, 0.0, 4.0, 0.0, 0.0, 1.0])
    assert unroll_fit(ptx, 4 * ptx) == (4, 0.0)
    assert unroll_fit(ptx, np.array([8.0, 0.0, 16.0, 0.0, 0.0, 1.0])) is None
    assert unroll_fit(np.zeros(6), ptx) is None


def test_a_few_instructions_moved_across_a_loop_edge_still_pair_the_loops() -> None:
    """The Ampere tensor-core GEMM's outer loop: ptxas hoists 12 B of LDSM per lane from
    the inner loop into it (software pipelining), 12 against 64 B of cp.async."""
    fit = unroll_fit(np.array([0.0, 0, 64, 0, 0, 0]), np.array([12.0, 0, 64, 0, 0, 0]))
    assert fit == (1, 12 / 64)


def test_the_tiled_gemm_loop_is_charged_its_sass_forty_shared_loads_for_sixty_four() -> None:
    """ptxas turns the k loop's 64 ld.shared.f32 into 8 LDS.128 (the A row) and 32 LDS
    (the B column) on sm_90: each PTX shared load stands for 40/64 of an LDS, and the
    loop's issue slots add up to its SASS instructions."""
    trace = cached_trace("gemm_smem_tiled_32", GemmParams(128, 128, 128), (9, 0))
    costing = sass_costing(trace)
    assert costing is not None
    program = trace.program
    loads = program.op_class == OpClass.LD_SHARED
    assert costing.mapped[program.op_class != OpClass.LD_PARAM].all()
    assert costing.pipe_instructions[loads] == pytest.approx(np.full(64, 40 / 64))
    assert set(costing.unroll[costing.mapped]) == {1}
