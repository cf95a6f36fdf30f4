"""The PTX parser and CFG: real Numba PTX, tricky snippets, and clear errors with line numbers."""

from __future__ import annotations

import pytest

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.ptx.cfg import EXIT_BLOCK, build_cfg
from gpusim.cuda.ptx.ir import (
    DualOperand,
    ImmFloat,
    ImmFloatBits,
    ImmInt,
    Label,
    MemOperand,
    NegPredOperand,
    RegOperand,
    Sink,
    SpecialReg,
    Symbol,
    VectorOperand,
)
from gpusim.cuda.ptx.parser import parse_ptx
from gpusim.errors import PtxError

HEADER = ".version 8.5\n.target sm_90\n.address_size 64\n"


def kernel(body: str, params: str = "") -> str:
    return HEADER + f".visible .entry k({params})\n{{\n{body}\n}}\n"


@pytest.mark.parametrize("name", ["gemm_smem_tiled_16", "gemm_tensor_core"])
def test_parses_real_lto_ptx(name: str) -> None:
    compiled = compile_ptx(name, GemmParams(64, 64, 32))
    module = parse_ptx(compiled.ptx)
    entry = module.entry()
    assert module.target == "sm_90a" and module.address_size == 64
    assert entry.name == compiled.entry_name
    assert len(entry.params) == 27  # three 2-D arrays, 9 parameters each
    assert {v.space for v in entry.variables} == {"shared"}
    opcodes = {ins.opcode for ins in entry.instructions}
    assert "bar.sync" in opcodes and "ret" in opcodes
    if name == "gemm_tensor_core":
        assert "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in opcodes
    cfg = build_cfg(entry)
    assert cfg.blocks[0].start == 0 and cfg.blocks[-1].end == len(entry.instructions)


def test_operands_of_every_kind() -> None:
    body = """
    .reg .pred %p<3>;
    .reg .b32 %r<4>;
    .reg .f32 %f<3>;
    .reg .b64 %rd<3>;
    .shared .align 4 .b8 smem[64];
    mov.u32 %r1, %tid.x;
    mov.f32 %f1, 0f3F800000;
    mov.f64 %rd1, 0d3FF0000000000000;
    add.f32 %f2, %f1, 1.5;
    mov.u64 %rd2, smem;
    ld.shared.v2.f32 {%f1, %f2}, [%rd2+-8];
    st.shared.f32 [smem+4], %f1;
    setp.lt.and.s32 %p1|%p2, %r1, -7, !%p0;
    shfl.sync.down.b32 %r2|%p1, %r1, 0x10, 0x1f, -1;
    mov.b32 {%r3, _}, %rd1;
    @!%p1 bra $L__done;
$L__done:
    ret;
"""
    entry = parse_ptx(kernel(body)).entry()
    ins = {i.opcode: i for i in entry.instructions}
    assert ins["mov.u32"].operands[1] == SpecialReg("tid.x")
    assert ins["mov.f32"].operands[1] == ImmFloatBits(0x3F800000, 32)
    assert ins["mov.f64"].operands[1] == ImmFloatBits(0x3FF0000000000000, 64)
    assert ins["add.f32"].operands[2] == ImmFloat(1.5)
    assert ins["mov.u64"].operands[1] == Symbol("smem")
    load = ins["ld.shared.v2.f32"]
    assert isinstance(load.operands[0], VectorOperand) and len(load.operands[0].items) == 2
    assert isinstance(load.operands[1], MemOperand) and load.operands[1].offset == -8
    assert ins["st.shared.f32"].operands[0] == MemOperand(Symbol("smem"), 4)
    setp = ins["setp.lt.and.s32"]
    assert isinstance(setp.operands[0], DualOperand)
    assert setp.operands[2] == ImmInt(-7)
    assert isinstance(setp.operands[3], NegPredOperand)
    assert ins["shfl.sync.down.b32"].operands[2] == ImmInt(16)
    unpack = ins["mov.b32"].operands[0]
    assert isinstance(unpack, VectorOperand) and unpack.items[1] == Sink()
    branch = ins["bra"]
    assert branch.guard is not None and branch.guard.negated
    assert branch.operands == (Label("$L__done"),)
    assert entry.labels["$L__done"] == len(entry.instructions) - 1


def test_register_declarations_are_dense_and_typed() -> None:
    entry = parse_ptx(
        kernel(".reg .pred %p<2>;\n.reg .b16 %rs<3>;\n.reg .f64 %x, %y;\nret;")
    ).entry()
    assert [r.name for r in entry.registers] == ["%p0", "%p1", "%rs0", "%rs1", "%rs2", "%x", "%y"]
    assert [r.index for r in entry.registers] == list(range(7))
    assert entry.registers[3].ptype.bits == 16 and entry.registers[5].ptype.name == "f64"


def test_inline_asm_scopes_get_their_own_registers() -> None:
    body = """
    .reg .b16 %rs<3>;
    {
    .reg .b16 %tmp;
    mov.b16 %tmp, %rs1;
    }
    {.reg .b16 %tmp;
    add.f16 %rs2, %tmp, %rs1;
    }
    ret;
"""
    entry = parse_ptx(kernel(body)).entry()
    first, second = (i for i in entry.instructions if i.base in ("mov", "add"))
    tmp_first, tmp_second = first.operands[0], second.operands[1]
    assert isinstance(tmp_first, RegOperand) and isinstance(tmp_second, RegOperand)
    assert tmp_first.reg.index != tmp_second.reg.index
    assert len(entry.registers) == 5


def test_nul_padding_comments_and_debug_lines_are_ignored() -> None:
    text = kernel("/* block\ncomment */\n.loc 1 2 3\n// line comment\nret;") + "\x00"
    entry = parse_ptx(text).entry()
    assert [i.opcode for i in entry.instructions] == ["ret"]
    assert entry.instructions[0].line == 10


def test_module_variables_with_initializers() -> None:
    text = (
        HEADER
        + ".global .align 4 .u32 table[3] = {1, 2, 0x10};\n.common .global .align 8 .u64 env;\n"
    )
    module = parse_ptx(text + ".visible .entry k()\n{\nret;\n}\n")
    table, env = module.variables
    assert table.size_bytes == 12 and table.initializer == bytes(
        [1, 0, 0, 0, 2, 0, 0, 0, 16, 0, 0, 0]
    )
    assert env.size_bytes == 8 and env.initializer is None


def test_params_get_aligned_offsets() -> None:
    text = kernel("ret;", ".param .u32 a, .param .u64 b, .param .align 8 .b8 c[12], .param .f32 d")
    params = parse_ptx(text).entry().params
    assert [(p.name, p.offset_bytes, p.size_bytes) for p in params] == [
        ("a", 0, 4),
        ("b", 8, 8),
        ("c", 16, 12),
        ("d", 28, 4),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (kernel("ret;\n    add.s32 %r1, %r2, %r3;"), r"PTX line 7: undeclared register %r1"),
        (kernel(".reg .b32 %r;\n  mov.b32 %r, #;"), r"PTX line 7: unexpected character '#'"),
        (kernel(".reg .q32 %r;"), r"PTX line 6: unsupported type \.q32"),
        (kernel(".param .b64 p;"), r"PTX line 6: call sequences are not supported"),
        (HEADER + ".func f()\n{\nret;\n}\n", r"PTX line 4: device functions \(\.func\)"),
        (kernel("bra $L_nowhere;"), r"PTX line 6: bra: undefined label \$L_nowhere"),
        (
            kernel(".reg .b32 %r;\n  mov.b32 %r, 1;"),
            r"PTX line 7: mov\.b32: control falls off the end",
        ),
        (".target sm_90\n", r"missing \.version"),
        (kernel("ret"), r"PTX line 7: unsupported operand '}'"),
        (kernel("ret;").rstrip("}\n"), r"PTX line 6: unexpected end of PTX"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(PtxError, match=message):
        build_cfg(parse_ptx(text).entry())


def test_immediate_post_dominators_of_if_else_and_loop() -> None:
    body = """
    .reg .pred %p<3>;
    .reg .b32 %r<3>;
    mov.u32 %r1, %tid.x;
    setp.lt.u32 %p1, %r1, 16;
    @%p1 bra $L_then;
    add.s32 %r2, %r1, 1;
    bra.uni $L_join;
$L_then:
    add.s32 %r2, %r1, 2;
$L_join:
    add.s32 %r2, %r2, -1;
    setp.ne.s32 %p2, %r2, 0;
    @%p2 bra $L_join;
    ret;
"""
    cfg = build_cfg(parse_ptx(kernel(body)).entry())
    starts = [(b.start, b.end) for b in cfg.blocks]
    assert starts == [(0, 3), (3, 5), (5, 6), (6, 9), (9, 10)]
    assert [b.ipdom for b in cfg.blocks] == [3, 3, 3, 4, EXIT_BLOCK]
    assert cfg.blocks[0].successors == (2, 1)
    assert cfg.blocks[3].successors == (3, 4)
