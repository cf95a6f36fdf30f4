"""The gpu-benches microbenchmark kernels: emulated results, chain layout, reported figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import (
    KernelParams,
    PointerChaseParams,
    ReadBandwidthParams,
    StreamParams,
    get_kernel,
)
from gpusim.cuda.kernels.microbench_def import LINE_BYTES, POINTER_CHASE, READ_BANDWIDTH
from gpusim.cuda.ptx import emulate
from gpusim.errors import KernelError

CASES: list[tuple[str, KernelParams]] = [
    ("pointer_chase", PointerChaseParams(64 * LINE_BYTES, 150)),  # wraps the chain twice
    ("read_bandwidth", ReadBandwidthParams(8 * 3001, 3)),  # rotated passes, idle threads
    ("stream_scale", StreamParams(8 * 3001)),  # a partial last block
]


@pytest.mark.parametrize(("name", "params"), CASES, ids=[name for name, _ in CASES])
def test_emulated_microbenchmark_matches_numpy(name: str, params: KernelParams) -> None:
    kernel = get_kernel(name)
    args = kernel.make_args(params, np.random.default_rng(5))
    before: tuple[Any, ...] = tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in args)
    config = kernel.launch(params)
    emulate(compile_ptx(kernel, params).ptx, args, config.grid, config.block)
    assert np.array_equal(np.asarray(args[kernel.output_arg]), kernel.reference(before, params))


def test_every_chase_step_is_a_new_line_until_the_chain_wraps() -> None:
    params = PointerChaseParams(8 * LINE_BYTES, 8)
    chain, _, _ = POINTER_CHASE.make_args(params, np.random.default_rng(0))
    assert isinstance(chain, np.ndarray)
    index, lines = 15, []
    for _ in range(8):
        lines.append(index * 8 // LINE_BYTES)
        index = int(chain[index])
    assert lines == list(range(8)) and index == 15


def test_warm_pairs_add_one_traversal() -> None:
    assert POINTER_CHASE.warm_pair(POINTER_CHASE.parse_size("16384")) == (
        PointerChaseParams(16384, 128),
        PointerChaseParams(16384, 256),
    )
    # A chain past every L2 is capped: the measured steps are all new lines.
    big = POINTER_CHASE.parse_size(str(512 << 20))
    assert big.steps == 1 << 14
    assert READ_BANDWIDTH.warm_pair(READ_BANDWIDTH.parse_size("4096")) == (
        ReadBandwidthParams(4096, 1),
        ReadBandwidthParams(4096, 2),
    )


def test_a_capped_chain_that_could_fit_in_l2_is_refused() -> None:
    with pytest.raises(KernelError, match="working_set_bytes between"):
        POINTER_CHASE.check(PointerChaseParams(32 << 20, 100))


def test_figures_are_what_the_sources_report() -> None:
    # 100 accesses in 1 us at 1 GHz: 10 cycles each; 1 GB in 1 ms: 1 TB/s.
    assert POINTER_CHASE.figure(100, 1e-6, 1e9) == pytest.approx(10.0)
    assert READ_BANDWIDTH.figure(1e9, 1e-3, 1e9) == pytest.approx(1e12)
