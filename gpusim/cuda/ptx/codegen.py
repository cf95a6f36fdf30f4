"""Instructions to step closures: each PTX instruction is compiled once into a Python
function of the machine state, so executing it costs one call plus its NumPy work.

Integer and float forms of the same mnemonic (``add.s64`` / ``add.f32``) are routed by
their type. Guards wrap the step: the executing mask narrows to the lanes whose predicate
holds, and the observer hears which lanes those are. Control flow (``bra``, ``ret``,
``exit``) has no step: the SIMT core in the emulator executes it.
"""

from __future__ import annotations

from collections.abc import Callable

from gpusim.cuda.ptx import (
    ops_async,
    ops_compare,
    ops_convert,
    ops_float,
    ops_hopper,
    ops_integer,
    ops_memory,
    ops_warp,
)
from gpusim.cuda.ptx.ir import Guard, Instruction
from gpusim.cuda.ptx.machine import Machine
from gpusim.cuda.ptx.operands import CompileContext, Step, instruction_types

Handler = Callable[[Instruction, int, CompileContext], Step]

CONTROL_FLOW = frozenset({"bra", "ret", "exit"})

_HANDLERS: dict[str, Handler] = {
    **ops_integer.HANDLERS,
    **ops_compare.HANDLERS,
    **ops_convert.HANDLERS,
    **ops_memory.HANDLERS,
    **ops_warp.HANDLERS,
    **ops_async.HANDLERS,
    **ops_hopper.HANDLERS,
    "fma": ops_float.float_op,
    "rcp": ops_float.float_op,
    "sqrt": ops_float.float_op,
}


def compile_instruction(ins: Instruction, index: int, ctx: CompileContext) -> Step | None:
    """The step executing ``ins`` (instruction number ``index``), or None for control flow."""
    base = ins.base
    if base in CONTROL_FLOW:
        return None
    handler = _HANDLERS.get(base)
    if base in ops_float.FLOAT_BASES:
        types = instruction_types(ins)
        if types and types[-1].is_float:
            handler = ops_float.float_op
    if handler is None:
        raise ins.fail("unsupported instruction")
    step = handler(ins, index, ctx)
    return step if ins.guard is None else _guarded(step, ins.guard, index)


def _guarded(step: Step, guard: Guard, index: int) -> Step:
    register, negated = guard.reg.index, guard.negated

    def run(m: Machine) -> None:
        predicate = m.regs[register]
        mask = m.exec_mask & (~predicate if negated else predicate)
        if m.observer is not None:
            m.observer.on_guarded(index, mask)
        if not mask.any():
            return
        saved = (m.exec_mask, m.write_all, m.positions())
        m.set_exec(mask, False)
        try:
            step(m)
        finally:
            m.set_exec(*saved)

    return run
