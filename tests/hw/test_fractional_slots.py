"""Instructions that stand for part of a SASS instruction share an issue cycle."""

from __future__ import annotations

import pytest

import gpusim
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.program import Pipe
from tests.hw.builders import Kernel, Op, build

GPU = gpusim.gpu_preset("H100-SXM5-80GB")
ITERATIONS = 400
"""Loop iterations of one warp: long enough that launch and exit are a small remainder."""


def _cycles_per_iteration(slots: float) -> float:
    # Eight independent single-cycle integer adds (no register dependences); the pipe
    # interval follows the slots, as SASS costing sets both.
    ops = [Op(pipe=Pipe.INT, issue_cycles=slots, slots=slots) for _ in range(8)]
    kernel = Kernel(ops=ops, iterations=ITERATIONS)
    result = simulate_kernel(build(kernel, GPU), GPU, mode="detailed")
    return result.execution_s * GPU.sm.clock_hz / ITERATIONS


@pytest.mark.parametrize(("slots", "expected"), [(1.0, 8.0), (0.5, 4.0), (0.25, 2.0)])
def test_a_warp_issues_as_many_instructions_a_cycle_as_their_slots_fill(
    slots: float, expected: float
) -> None:
    assert _cycles_per_iteration(slots) == pytest.approx(expected, rel=0.02)
