"""The instruction table of a trace: every PTX instruction classified for the engine.

An instruction's class says which unit executes it (OpClass); its memory columns say what
it moves; its register columns (destinations, sources incl. guard predicates and address
bases) feed an engine's scoreboard. Generic loads and stores are classified by the space
their executions resolved to (global when never executed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from gpusim.cuda.ptx.cfg import ControlFlowGraph
from gpusim.cuda.ptx.ir import (
    DualOperand,
    Entry,
    Instruction,
    MemOperand,
    NegPredOperand,
    Operand,
    RegOperand,
    TensorAddress,
    VectorOperand,
)
from gpusim.cuda.ptx.lanes import WARP_SIZE
from gpusim.cuda.ptx.operands import instruction_types
from gpusim.cuda.ptx.ops_async import ROW_ELEMENTS, cp_async_bytes, table_opcode
from gpusim.cuda.trace import InstructionTable, MemSpace, OpClass

MMA_SHAPE = re.compile(r"\.m(\d+)n(\d+)k(\d+)")
"""The ``.mMnNkK`` shape of an ``mma`` (2 x m x n x k operations per warp) or a
``wgmma.mma_async`` (per warpgroup) opcode."""

WARPGROUP_THREADS = 4 * WARP_SIZE
MBARRIER_BYTES = 8
_NO_DESTINATION = frozenset(
    {"st", "red", "bar", "barrier", "membar", "fence", "bra", "ret", "exit", "cp"}
)
_FIXED_CLASSES = {
    "bra": OpClass.BRANCH,
    "ret": OpClass.EXIT,
    "exit": OpClass.EXIT,
    "bar": OpClass.BARRIER,
    "barrier": OpClass.BARRIER,
    "membar": OpClass.MEMBAR,
    "fence": OpClass.MEMBAR,
    "shfl": OpClass.SHFL,
    "mma": OpClass.MMA,
    "cvt": OpClass.CONVERT,
    "mov": OpClass.MOVE,
    "cvta": OpClass.MOVE,
    "setp": OpClass.SETP,
}
_MEMORY_CLASSES = {
    ("ld", "global"): OpClass.LD_GLOBAL,
    ("st", "global"): OpClass.ST_GLOBAL,
    ("ld", "shared"): OpClass.LD_SHARED,
    ("st", "shared"): OpClass.ST_SHARED,
    ("ld", "local"): OpClass.LD_LOCAL,
    ("st", "local"): OpClass.ST_LOCAL,
    ("ld", "param"): OpClass.LD_PARAM,
    ("atom", "global"): OpClass.ATOM_GLOBAL,
    ("red", "global"): OpClass.ATOM_GLOBAL,
    ("atom", "shared"): OpClass.ATOM_SHARED,
    ("red", "shared"): OpClass.ATOM_SHARED,
}
_SPACE_NUMBERS = {
    "global": MemSpace.GLOBAL,
    "shared": MemSpace.SHARED,
    "local": MemSpace.LOCAL,
    "param": MemSpace.PARAM,
}
_FLOAT_FLOPS = {"fma": 2, "mad": 2, "add": 1, "sub": 1, "mul": 1, "div": 1, "sqrt": 1, "rcp": 1}


def _explicit_space(ins: Instruction) -> str | None:
    for modifier in ins.modifiers:
        head = modifier.split("::")[0]
        if head in _SPACE_NUMBERS:
            return head
    return None


def classify(ins: Instruction, resolved_space: str | None) -> tuple[OpClass, str | None]:
    """(op class, memory space or None) of one instruction.

    ``cp.async`` is the global load it starts (no register waits on it); its
    ``commit_group`` / ``wait_group`` are memory fences; ``ldmatrix`` is a shared load.
    """
    base = ins.base
    if base == "mbarrier":
        return OpClass.MBARRIER, "shared"
    if base == "wgmma":
        return (OpClass.WGMMA if ins.modifiers[0] == "mma_async" else OpClass.MEMBAR), None
    if ins.modifiers[:2] == ("async", "bulk"):
        return OpClass.TENSOR_COPY, "global"
    if base == "cp":
        if ins.modifiers[1:2] in (("commit_group",), ("wait_group",), ("wait_all",)):
            return OpClass.MEMBAR, None
        return OpClass.LD_GLOBAL, "global"
    if base == "ldmatrix":
        return OpClass.LD_SHARED, "shared"
    if base in ("ld", "st", "atom", "red"):
        space = _explicit_space(ins) or resolved_space or "global"
        return _MEMORY_CLASSES[(base, space)], space
    if base in _FIXED_CLASSES:
        return _FIXED_CLASSES[base], None
    types = instruction_types(ins)
    ptype = types[-1] if types else None
    if ptype is None:
        raise ins.fail("cannot classify an instruction without a type")
    if ptype.kind == "pred":
        return OpClass.PREDICATE, None
    if ptype.is_float:
        if base in ("div", "sqrt", "rcp"):
            return (OpClass.SFU if "approx" in ins.modifiers else OpClass.FP_DIV), None
        if ptype.bits == 64:
            return OpClass.FP64, None
        return (OpClass.FP16 if ptype.lanes > 1 or ptype.bits == 16 else OpClass.FP32), None
    if base in ("div", "rem"):
        return OpClass.INT_DIV, None
    return (OpClass.INT64 if ptype.bits == 64 else OpClass.INT32), None


def flops_per_lane(ins: Instruction) -> int:
    """Floating-point operations per executing lane (fma = 2, mma.m16n8k16 = 128, a
    wgmma its warpgroup's 2 x m x n x k over the warpgroup's 128 threads)."""
    if ins.base == "wgmma" and ins.modifiers[0] == "mma_async":
        shape = MMA_SHAPE.search(ins.opcode)
        if shape is None:
            raise ins.fail("wgmma.mma_async without an .mMnNkK shape")
        m, n, k = (int(extent) for extent in shape.groups())
        return 2 * m * n * k // WARPGROUP_THREADS
    if ins.base == "mma":
        shape = MMA_SHAPE.search(ins.opcode)
        if shape is None:
            raise ins.fail("mma without an .mMnNkK shape")
        m, n, k = (int(extent) for extent in shape.groups())
        return 2 * m * n * k // WARP_SIZE
    types = instruction_types(ins)
    if not types or not types[-1].is_float or ins.base not in _FLOAT_FLOPS:
        return 0
    return _FLOAT_FLOPS[ins.base] * types[-1].lanes


def _vector_width(ins: Instruction) -> int:
    for modifier in ins.modifiers:
        if modifier in ("v2", "v4", "v8"):
            return int(modifier[1:])
    return 1


def _bytes_per_lane(
    ins: Instruction, space: str | None, width: int, operands: tuple[int, ...] | None
) -> int:
    """Bytes one lane moves: a TMA copy its box (rows x row bytes, as it ran), an
    ``mbarrier`` its 8-byte object, a ``cp.async`` its cp-size, an ``ldmatrix`` lane one
    16-byte row, any other access its type's size times its vector width."""
    if ins.base == "cp" and ins.modifiers[:2] == ("async", "bulk"):
        rows, row_bytes, _ = operands or (0, 0, 0)
        return rows * row_bytes
    if ins.base == "mbarrier":
        return MBARRIER_BYTES
    if ins.base == "cp" and space:
        return cp_async_bytes(ins)
    if ins.base == "ldmatrix":
        return 2 * ROW_ELEMENTS
    types = instruction_types(ins)
    return types[-1].size_bytes * width if space and types else 0


def _registers(op: Operand) -> list[int]:
    if isinstance(op, (RegOperand, NegPredOperand)):
        return [op.reg.index]
    if isinstance(op, DualOperand):
        return _registers(op.first) + _registers(op.second)
    if isinstance(op, VectorOperand):
        return [r for item in op.items for r in _registers(item)]
    if isinstance(op, MemOperand) and isinstance(op.base, RegOperand):
        return [op.base.reg.index]
    if isinstance(op, TensorAddress):
        return _registers(op.tensor_map) + _registers(op.coordinates)
    return []


def register_operands(ins: Instruction) -> tuple[list[int], list[int]]:
    """(destination registers, source registers) of an instruction, guard included."""
    operands = list(ins.operands)
    destinations: list[int] = []
    writes = ins.base not in _NO_DESTINATION and ins.modifiers[:1] != ("init",)
    if writes and operands:
        destinations = _registers(operands.pop(0))
    sources = [r for op in operands for r in _registers(op)]
    if ins.guard is not None:
        sources.append(ins.guard.reg.index)
    return destinations, list(dict.fromkeys(sources))


def _ragged(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    values = np.array([v for r in rows for v in r], dtype=np.int32)
    return offsets, values


def _operand_columns(ins: Instruction, operands: tuple[int, ...] | None) -> tuple[int, int]:
    """(operand, row stride bytes) of the instruction table from what the emulation reported
    (``Observer.on_operand``): a TMA copy's box rows and row pitch, an ``mbarrier.init``'s
    count, an ``arrive.expect_tx``'s bytes; (0, 0) for the rest and for unexecuted ones."""
    if operands is None:
        return 0, 0
    if ins.base == "cp":
        rows, _, row_stride_bytes = operands
        return rows, row_stride_bytes
    return operands[0], 0


def build_instruction_table(
    entry: Entry,
    cfg: ControlFlowGraph,
    spaces: Mapping[int, str],
    operands: Mapping[int, tuple[int, ...]],
) -> InstructionTable:
    """The trace's instruction table for ``entry``; ``spaces`` resolves generic accesses,
    ``operands`` gives the Hopper instructions' data operands as they ran."""
    instructions = entry.instructions
    opcodes = [table_opcode(ins) for ins in instructions]
    opcode_names = tuple(dict.fromkeys(opcodes))
    opcode_index = {name: i for i, name in enumerate(opcode_names)}
    classes, mem_spaces, widths, bytes_per_lane, flops = [], [], [], [], []
    operand_column, row_strides = [], []
    destinations, sources = [], []
    for index, ins in enumerate(instructions):
        op_class, space = classify(ins, spaces.get(index))
        classes.append(op_class)
        mem_spaces.append(_SPACE_NUMBERS[space] if space else MemSpace.NONE)
        width = _vector_width(ins)
        widths.append(width)
        bytes_per_lane.append(_bytes_per_lane(ins, space, width, operands.get(index)))
        operand, row_stride_bytes = _operand_columns(ins, operands.get(index))
        operand_column.append(operand)
        row_strides.append(row_stride_bytes)
        flops.append(flops_per_lane(ins))
        dst, src = register_operands(ins)
        destinations.append(dst)
        sources.append(src)
    dst_offsets, dst_regs = _ragged(destinations)
    src_offsets, src_regs = _ragged(sources)
    block_start = [block.start for block in cfg.blocks] + [len(instructions)]
    return InstructionTable(
        block=np.array(cfg.block_of_instruction, dtype=np.int32),
        op_class=np.array(classes, dtype=np.uint8),
        opcode=np.array([opcode_index[name] for name in opcodes], dtype=np.int32),
        dst_offsets=dst_offsets,
        dst_regs=dst_regs,
        src_offsets=src_offsets,
        src_regs=src_regs,
        mem_space=np.array(mem_spaces, dtype=np.uint8),
        bytes_per_lane=np.array(bytes_per_lane, dtype=np.int32),
        vector_width=np.array(widths, dtype=np.uint8),
        flops_per_lane=np.array(flops, dtype=np.int32),
        ptx_line=np.array([ins.line for ins in instructions], dtype=np.int32),
        operand=np.array(operand_column, dtype=np.int64),
        row_stride_bytes=np.array(row_strides, dtype=np.int64),
        block_start=np.array(block_start, dtype=np.int64),
        opcode_names=opcode_names,
        register_names=tuple(r.name for r in entry.registers),
        register_bits=np.array(
            [1 if r.ptype.kind == "pred" else r.ptype.bits for r in entry.registers], dtype=np.int32
        ),
    )
