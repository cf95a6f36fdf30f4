"""``cp.async`` in the engine: a copy does not hold its warp, ``wait_group`` does until the
groups it waits for have landed, and the wait is its own stall reason."""

from __future__ import annotations

import pytest

import gpusim
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.program import AsyncOp, MemKind, Pipe, Producer
from gpusim.hw.sm.result import KernelResult
from tests.hw.builders import Kernel, Op, Run, build

GPU = gpusim.gpu_preset("A100-SXM4-80GB")
COPY_BYTES = 16
LANES = 32
ROW_STRIDE_BYTES = 1 << 20
"""Each execution copies from a new megabyte: every copy misses L1 and L2."""
VALUE = 1
"""The register a plain load writes."""


def _copy(async_op: AsyncOp = AsyncOp.OPERATION, dst: tuple[int, ...] = ()) -> Op:
    return Op(
        pipe=Pipe.LSU,
        mem=MemKind.GLOBAL_LOAD,
        width_bytes=COPY_BYTES,
        producer=Producer.LONG,
        dst=dst,
        async_op=async_op,
    )


def _control(async_op: AsyncOp = AsyncOp.NONE, pending: int = 0, src: tuple[int, ...] = ()) -> Op:
    return Op(
        pipe=Pipe.CONTROL, latency_cycles=1.0, src=src, async_op=async_op, async_pending=pending
    )


def _run(ops: list[Op], iterations: int) -> KernelResult:
    runs = {0: [Run(base=[lane * COPY_BYTES for lane in range(LANES)], stride=ROW_STRIDE_BYTES)]}
    kernel = Kernel(ops=[*ops, Op(pipe=Pipe.FP32)], iterations=iterations, runs=runs)
    return simulate_kernel(build(kernel, GPU), GPU, mode="detailed")


def _plain_load(iterations: int) -> KernelResult:
    """The copy as a plain load whose register the third instruction reads."""
    return _run([_copy(AsyncOp.NONE, dst=(VALUE,)), _control(), _control(src=(VALUE,))], iterations)


@pytest.mark.parametrize("iterations", [1, 20])
def test_wait_group_0_stalls_until_the_copy_lands_as_a_register_read_would(
    iterations: int,
) -> None:
    waited = _run([_copy(), _control(AsyncOp.COMMIT), _control(AsyncOp.WAIT, 0)], iterations)
    loaded = _plain_load(iterations)
    assert waited.execution_s == pytest.approx(loaded.execution_s, rel=1e-12)
    # The same time, named as the wait it is, not as a scoreboard wait.
    assert loaded.stall_fractions["async_copy_wait"] == 0.0
    assert waited.stall_fractions["long_scoreboard"] == 0.0
    assert waited.stall_fractions["async_copy_wait"] == pytest.approx(
        loaded.stall_fractions["long_scoreboard"], rel=1e-12
    )
    # A round trip to HBM per iteration: the wait is most of the warp's time.
    assert waited.stall_fractions["async_copy_wait"] > 0.9


def test_wait_all_commits_the_open_group_and_waits_for_it() -> None:
    waited = _run([_copy(), _control(), _control(AsyncOp.COMMIT_AND_WAIT)], 20)
    assert waited.execution_s == pytest.approx(_plain_load(20).execution_s, rel=1e-12)


def test_wait_group_1_lets_the_most_recent_group_stay_in_flight() -> None:
    """One group committed, one allowed pending: the warp goes on at once; the CTA still
    ends only once its copy has landed."""
    waited = _run([_copy(), _control(AsyncOp.COMMIT), _control(AsyncOp.WAIT, 1)], 1)
    not_waited = _run([_copy(), _control(AsyncOp.COMMIT), _control()], 1)
    assert waited.stall_fractions["async_copy_wait"] == 0.0
    assert waited.execution_s == not_waited.execution_s
    # The plain load's last instructions issue after it lands: a few cycles more.
    loaded_s = _plain_load(1).execution_s
    assert loaded_s - 5 / GPU.sm.clock_hz < waited.execution_s < loaded_s


def test_a_two_deep_pipeline_overlaps_consecutive_copies() -> None:
    """Waiting for the group before the last lets two copies be in flight: faster than
    waiting for each, slower than not waiting (half the round trips, at most)."""
    body = [_copy(), _control(AsyncOp.COMMIT)]
    each = _run([*body, _control(AsyncOp.WAIT, 0)], 20).execution_s
    two_deep = _run([*body, _control(AsyncOp.WAIT, 1)], 20).execution_s
    assert each / 2 * 0.9 < two_deep < each * 0.75
