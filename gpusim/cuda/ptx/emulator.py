"""Emulate a PTX kernel on NumPy arrays: compile once, launch, run batches of CTAs.

``PtxKernel`` runs nothing: it parses the PTX (when given text), lays out the kernel's
variables, builds its CFG and compiles every instruction to a step. ``EmulatorLaunch`` binds
arguments (NumPy arrays are mapped into global memory in place, so results land in them;
``VirtualArray``s are paged, materialised where touched: see ``memory``) and runs batches
in lockstep: all warps of a list of CTAs (``run``), every CTA of the grid (``run_all``), or
any lane layout (``execute``; e.g. single warps of a barrier-free kernel, to check that
the lockstep streams are per-warp SIMT streams).

Kernel arguments follow Numba's calling convention: an array expands to (meminfo, parent,
nitems, itemsize, data, shape..., strides...) parameters; a scalar is one parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gpusim.cuda.ptx.cfg import ControlFlowGraph, build_cfg
from gpusim.cuda.ptx.codegen import compile_instruction
from gpusim.cuda.ptx.ir import Entry, Module, Param, Variable
from gpusim.cuda.ptx.lanes import WARP_SIZE, Dim3, LaneGrid, check_dims
from gpusim.cuda.ptx.machine import LaunchMemory, Machine, Observer
from gpusim.cuda.ptx.memory import GlobalMemory, VirtualArray
from gpusim.cuda.ptx.operands import CompileContext, SymbolInfo
from gpusim.cuda.ptx.parser import parse_ptx
from gpusim.cuda.ptx.simt import CompiledBlock, execute
from gpusim.errors import PtxError

DEFAULT_MAX_BLOCK_STEPS = 20_000_000
DEFAULT_MAX_LANES_PER_BATCH = 1 << 15
KernelArgument = np.ndarray | VirtualArray | int | float


def _align_up(value: int, alignment: int) -> int:
    return -(-value // max(alignment, 1)) * max(alignment, 1)


@dataclass(frozen=True)
class VariableLayout:
    """Offsets of a state space's variables; ``dynamic_offset`` is where dynamic shared starts."""

    offsets: dict[str, int]
    static_bytes: int
    dynamic_offset: int


def _layout(variables: Sequence[Variable]) -> VariableLayout:
    offsets: dict[str, int] = {}
    end = 0
    for variable in variables:
        if variable.dynamic:
            continue
        start = _align_up(end, variable.align_bytes)
        offsets[variable.name] = start
        end = start + variable.size_bytes
    dynamic = [v for v in variables if v.dynamic]
    dynamic_offset = _align_up(end, max((v.align_bytes for v in dynamic), default=1))
    for variable in dynamic:
        offsets[variable.name] = dynamic_offset
    return VariableLayout(offsets, end, dynamic_offset)


class PtxKernel:
    """One kernel of a PTX module, ready to launch any number of times."""

    def __init__(self, module: Module | str, entry: str | None = None) -> None:
        self.module = parse_ptx(module) if isinstance(module, str) else module
        self.entry: Entry = self.module.entry(entry)
        self.cfg: ControlFlowGraph = build_cfg(self.entry)
        variables = [*self.module.variables, *self.entry.variables]
        self.shared = _layout([v for v in variables if v.space == "shared"])
        self.local = _layout([v for v in variables if v.space == "local"])
        symbols: dict[str, SymbolInfo] = {}
        for space, layout in (("shared", self.shared), ("local", self.local)):
            symbols.update(
                {name: SymbolInfo(space, offset) for name, offset in layout.offsets.items()}
            )
        for name, base, _ in self.new_global_memory().segments():
            symbols[name] = SymbolInfo("global", base)
        self.symbols = symbols
        ctx = CompileContext(symbols, {p.name: p for p in self.entry.params})
        steps = [
            compile_instruction(ins, index, ctx)
            for index, ins in enumerate(self.entry.instructions)
        ]
        self.blocks = tuple(
            CompiledBlock(
                block=block,
                steps=tuple(s for s in steps[block.start : block.end] if s is not None),
                last_line=self.entry.instructions[block.end - 1].line,
            )
            for block in self.cfg.blocks
        )

    @property
    def static_shared_bytes(self) -> int:
        return self.shared.static_bytes

    @property
    def local_bytes_per_thread(self) -> int:
        return self.local.static_bytes

    def new_global_memory(self) -> GlobalMemory:
        """A global memory holding this module's ``.global`` variables (initialised)."""
        memory = GlobalMemory()
        for variable in self.module.variables:
            if variable.space == "global":
                memory.allocate_module_variable(
                    variable.name,
                    variable.size_bytes,
                    variable.align_bytes,
                    variable.initializer or b"",
                )
            elif variable.space == "const":
                raise PtxError(f"PTX line {variable.line}: .const variables are not supported")
        return memory

    def launch(
        self,
        args: Sequence[KernelArgument],
        grid: Dim3,
        block: Dim3,
        dynamic_shared_bytes: int = 0,
    ) -> EmulatorLaunch:
        return EmulatorLaunch(self, args, grid, block, dynamic_shared_bytes)


class EmulatorLaunch:
    """The emulator's state of one launch: a kernel bound to arguments and a geometry, and
    the global memory its batches share."""

    def __init__(
        self,
        kernel: PtxKernel,
        args: Sequence[KernelArgument],
        grid: Dim3,
        block: Dim3,
        dynamic_shared_bytes: int,
    ) -> None:
        self.kernel = kernel
        self.grid = tuple(int(g) for g in grid)
        self.block = tuple(int(b) for b in block)
        check_dims(self.grid, self.block)  # type: ignore[arg-type]
        if dynamic_shared_bytes < 0:
            raise PtxError(f"dynamic shared memory must be >= 0, got {dynamic_shared_bytes}")
        self.global_memory = kernel.new_global_memory()
        values = self._expand_arguments(args)
        params = kernel.entry.params
        if len(values) != len(params):
            raise PtxError(
                f"kernel {kernel.entry.name} takes {len(params)} parameters, the arguments "
                f"expand to {len(values)} (arrays expand to 5 + 2 * ndim)"
            )
        self.params = _pack_params(params, values, kernel.entry.param_bytes)
        self.memory = LaunchMemory(
            global_memory=self.global_memory,
            params=self.params,
            shared_bytes=kernel.shared.dynamic_offset + dynamic_shared_bytes
            if dynamic_shared_bytes
            else kernel.static_shared_bytes,
            dynamic_shared_bytes=dynamic_shared_bytes,
            local_bytes=kernel.local_bytes_per_thread,
        )

    def _expand_arguments(self, args: Sequence[KernelArgument]) -> list[int | float]:
        values: list[int | float] = []
        for position, arg in enumerate(args):
            if isinstance(arg, (np.ndarray, VirtualArray)):
                try:
                    base = self.global_memory.map_array(f"arg{position}", arg)
                except ValueError as exc:
                    raise PtxError(str(exc)) from None
                values += [0, 0, int(arg.size), int(arg.itemsize), base]
                values += [int(s) for s in arg.shape] + [int(s) for s in arg.strides]
            elif isinstance(arg, (bool, int, np.integer)):
                values.append(int(arg))
            elif isinstance(arg, (float, np.floating)):
                values.append(float(arg))
            else:
                raise PtxError(f"argument {position} has unsupported type {type(arg).__name__}")
        return values

    def segments(self) -> list[tuple[str, int, int]]:
        """(name, base address, bytes) of each global segment: ``argN`` arrays, module variables."""
        return self.global_memory.segments()

    def lanes_for(self, ctas: Sequence[Dim3]) -> LaneGrid:
        """The lane layout of a batch holding all warps of ``ctas``."""
        return LaneGrid.for_ctas(self.grid, self.block, ctas)  # type: ignore[arg-type]

    def execute(
        self,
        lanes: LaneGrid,
        observer: Observer | None = None,
        max_block_steps: int = DEFAULT_MAX_BLOCK_STEPS,
    ) -> int:
        """Run one lockstep batch; return its number of block executions."""
        machine = Machine(self.kernel.entry.registers, lanes, self.memory, observer)
        return execute(self.kernel.blocks, machine, max_block_steps)

    def run(self, ctas: Sequence[Dim3], observer: Observer | None = None) -> None:
        """Run all warps of ``ctas`` in one lockstep batch."""
        self.execute(self.lanes_for(ctas), observer)

    def run_all(self, max_lanes_per_batch: int = DEFAULT_MAX_LANES_PER_BATCH) -> None:
        """Run every CTA of the grid, in batches of whole CTAs, in CTA index order."""
        for batch in cta_batches(all_ctas(self.grid), self.block, max_lanes_per_batch):  # type: ignore[arg-type]
            self.run(batch)


def cta_batches(ctas: Sequence[Dim3], block: Dim3, max_lanes_per_batch: int) -> list[list[Dim3]]:
    """``ctas`` cut into consecutive batches of at most ``max_lanes_per_batch`` lanes."""
    warps_per_cta = -(-(block[0] * block[1] * block[2]) // WARP_SIZE)
    per_batch = max(1, max_lanes_per_batch // (warps_per_cta * WARP_SIZE))
    return [list(ctas[start : start + per_batch]) for start in range(0, len(ctas), per_batch)]


def all_ctas(grid: Dim3) -> list[Dim3]:
    """Every CTA index of ``grid``, x fastest (the hardware's linear CTA order)."""
    return [(x, y, z) for z in range(grid[2]) for y in range(grid[1]) for x in range(grid[0])]


def _pack_params(params: Sequence[Param], values: Sequence[int | float], size_bytes: int) -> bytes:
    buffer = bytearray(size_bytes)
    for param, value in zip(params, values, strict=True):
        if param.size_bytes != param.ptype.size_bytes:
            raise PtxError(f"parameter {param.name}: array parameters are not supported")
        if param.ptype.is_float:
            encoded = np.array(value, dtype=param.ptype.value).tobytes()
        else:
            mask = (1 << (8 * param.size_bytes)) - 1
            encoded = (int(value) & mask).to_bytes(param.size_bytes, "little")
        buffer[param.offset_bytes : param.offset_bytes + param.size_bytes] = encoded
    return bytes(buffer)


def emulate(
    ptx: str | Module,
    args: Sequence[KernelArgument],
    grid: Dim3,
    block: Dim3,
    *,
    dynamic_shared_bytes: int = 0,
    entry: str | None = None,
) -> EmulatorLaunch:
    """Run every CTA of a kernel on ``args`` (arrays are updated in place); return the launch."""
    launch = PtxKernel(ptx, entry).launch(args, grid, block, dynamic_shared_bytes)
    launch.run_all()
    return launch
