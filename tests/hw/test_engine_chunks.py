"""The jitted loop runs in chunks of bounded work, so Ctrl-C is seen within a chunk's time;
where the chunks end never moves a simulated result."""

from __future__ import annotations

import pytest

from gpusim.api import simulate_kernel
from gpusim.cuda.kernels import CopyParams, GemmParams, KernelParams
from gpusim.hw.sm import issue
from gpusim.hw.sm.result import KernelResult, Mode
from gpusim.spec import gpu_preset

SMALL = gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 8, "name": "H100-8SM"})
CASES: list[tuple[str, KernelParams]] = [
    ("gemm_smem_tiled_16", GemmParams(256, 256, 128)),
    ("gemm_tensor_core", GemmParams(256, 256, 256)),
    ("copy", CopyParams(1 << 20)),
]


def simulated(kernel: str, params: KernelParams, mode: Mode) -> KernelResult:
    return simulate_kernel(SMALL, kernel, params, mode=mode, timeline=True)


@pytest.mark.parametrize("mode", ["fast", "detailed"])
@pytest.mark.parametrize(("kernel", "params"), CASES, ids=[name for name, _ in CASES])
@pytest.mark.parametrize("chunk_sm_cycles", [1, 8 * 37])
def test_chunks_of_any_size_give_the_uninterrupted_result(
    kernel: str,
    params: KernelParams,
    mode: Mode,
    chunk_sm_cycles: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = simulated(kernel, params, mode)
    paused: list[int] = []
    jitted = issue.simulate_cycles

    def counted(*args: object) -> tuple[bool, int, float]:
        stopped, cycle, t = jitted(*args)
        if not stopped:
            paused.append(cycle)
        return stopped, cycle, t

    monkeypatch.setattr(issue, "simulate_cycles", counted)
    monkeypatch.setattr(issue, "CHUNK_SM_CYCLES", chunk_sm_cycles)
    assert simulated(kernel, params, mode) == whole
    assert len(paused) > whole.ctas // 8  # handed back between completions too
