"""The recording path end to end under the CUDA simulator, and the recorder's boundaries.

The simulator must be chosen before Numba is imported, so these run in subprocesses. Its
"timings" are the simulator's own run time: the tests check structure and the output
checks, never the times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gpusim.validate.measurements import load_measurements

CUDASIM = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "PYTHONUNBUFFERED": "1"}


def _python(code_or_args: list[str], env: dict[str, str], timeout_s: float = 120):
    return subprocess.run(
        [sys.executable, *code_or_args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
        check=False,
    )


def test_the_smoke_suite_records_and_checks_every_kernel_on_the_simulator(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    completed = _python(
        ["-m", "gpusim.validate.record", "--suite", "smoke", "--out", str(out)], CUDASIM
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    measurements = load_measurements(out)
    assert measurements.status == "complete" and measurements.simulator
    assert measurements.provenance["device"]["name"] == "CUDA simulator"
    assert measurements.provenance["packages"]["numba-cuda"]
    kernels = [case.kernel for case in measurements.cases]
    assert kernels == [
        "gemm_naive",
        "gemm_smem_tiled_16",
        "gemm_smem_tiled_32",
        "gemm_register_blocked_64",
        "gemm_register_blocked_128",
        "gemm_1d_blocktiled_64",
        "gemm_vectorized_128",
        "copy",
        "allreduce_ring_single_device",
        "allreduce_ring_single_device",
    ]
    # The tensor-core kernels' inline PTX does not run on the CUDA simulator.
    assert [s.case_id for s in measurements.skipped] == [
        "gemm_tensor_core/m=64,n=128,k=64",
        "gemm_tc_ampere_fp16/m=128,n=256,k=128",
        "gemm_tc_ampere_bf16/m=128,n=256,k=128",
        "gemm_tc_ampere_tf32/m=128,n=256,k=64",
        "gemm_tc_ampere_int8/m=128,n=256,k=256",
        "gemm_tc_ampere_fp16_stages1/m=128,n=256,k=128",
        "gemm_tc_ampere_fp16_stages2/m=128,n=256,k=128",
        "gemm_tc_ampere_fp16_stages4/m=128,n=256,k=128",
        "gemm_tc_hopper_bf16/m=128,n=512,k=320",
        "gemm_tc_hopper_fp16/m=128,n=512,k=320",
        "gemm_tc_hopper_fp8/m=128,n=512,k=640",
    ]
    assert measurements.failed == ()
    for case in measurements.cases:
        check = case.correctness
        assert check.passed and check.non_finite_elements == 0, case.case_id
        assert 0 < check.sampled_elements <= check.output_elements
        assert len(case.samples_s) == case.repetitions == 2
        assert case.launch is not None and case.flops >= 0 and case.min_dram_bytes > 0
    naive = measurements.cases[0]  # 33 rows: four spans of 8 rows, first and last included
    assert (naive.correctness.sampled_elements, naive.correctness.output_elements) == (
        32 * 47,
        33 * 47,
    )
    ring = measurements.cases[-1]
    assert ring.launches_per_repetition == 6 and ring.params == {"elements": 257, "ranks": 4}
    assert "[" in completed.stdout and "21/21" in completed.stdout  # progress lines


WRONG_REFERENCE = textwrap.dedent(
    """
    import dataclasses, json, numpy as np
    from gpusim.cuda.kernels import GemmParams, get_kernel
    from gpusim.cuda.kernels.gemm_def import GemmKernelDef
    from gpusim.validate.inputs import HostInputs
    from gpusim.validate.runners import host_elements, prepare_kernel_case
    from gpusim.validate.suite import KernelCase

    class OffByOne(GemmKernelDef):
        def reference(self, args, params):
            return super().reference(args, params) + 1.0

    right = get_kernel("gemm_naive")
    wrong = OffByOne(**{f.name: getattr(right, f.name) for f in dataclasses.fields(right)})
    case = KernelCase("gemm_naive", GemmParams(20, 17, 9))
    results = {}
    for name, kernel in (("right", right), ("wrong", wrong)):
        inputs = HostInputs(seed=3, threads=1)
        inputs.reserve(*host_elements(case)[:2])
        prepared = prepare_kernel_case(case, inputs, np.random.default_rng(0), kernel)
        prepared.repeat()
        results[name] = dataclasses.asdict(prepared.check())
    print(json.dumps(results))
    """
)


def test_a_wrong_reference_fails_the_check() -> None:
    completed = _python(["-c", WRONG_REFERENCE], CUDASIM)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert results["right"]["passed"] is True
    assert results["wrong"]["passed"] is False
    assert results["wrong"]["rel_error"] > 0.1


def test_without_a_gpu_the_recorder_says_so_and_exits_2(tmp_path: Path) -> None:
    from numba import cuda

    if cuda.is_available():
        pytest.skip("a CUDA GPU is present: this test is for machines without one")
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_ENABLE_CUDASIM"}
    out = tmp_path / "none.json"
    completed = _python(["-m", "gpusim.validate.record", "--out", str(out)], env, timeout_s=60)
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: no CUDA GPU")
    assert completed.stderr.count("\n") == 1
    assert not out.exists()


BLOCKED_IMPORTS = textwrap.dedent(
    """
    import importlib.abc, sys
    BLOCKED = ("pydantic", "simpy", "plotly", "textual", "typer", "rich", "torch", "cupy")

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not on the GPU machine")
            return None

    sys.meta_path.insert(0, Block())
    import gpusim.validate.record as record
    assert record.main(["--plan", "--quick"]) == 0
    loaded = sorted({m.split(".")[0] for m in sys.modules})
    assert not set(loaded) & set(BLOCKED), loaded
    assert "gpusim.spec" not in sys.modules
    print("imported")
    """
)


def test_the_recorder_imports_without_the_cpu_side_dependencies() -> None:
    completed = _python(["-c", BLOCKED_IMPORTS], {**os.environ}, timeout_s=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith("imported")
