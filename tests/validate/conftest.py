"""A synthetic measurement file and a stand-in simulator whose errors are known exactly.

The stand-in simulates a GEMM at 1 TFLOP/s and anything else at 1 TB/s of its minimal
DRAM traffic (no launch overhead); each synthetic case's measured time is that simulated
time divided by ``1 + error``, so compare must report exactly ``error`` for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusim.cuda.kernels import CopyParams, GemmParams, KernelParams, get_kernel
from gpusim.spec import GpuSpec
from gpusim.validate.measurements import (
    CaseRecord,
    Correctness,
    LaunchRecord,
    MeasurementFile,
    SkippedCase,
    save_measurements,
)
from gpusim.validate.suite import Case, KernelCase, LibraryCase, RingAllreduceCase

H100_NAME = "NVIDIA H100 80GB HBM3"
FAKE_FLOPS_PER_S = 1e12
FAKE_BYTES_PER_S = 1e12


def fake_simulate(gpu: GpuSpec, kernel: str, params: KernelParams) -> float:
    """Seconds of one launch: FLOPs at 1 TFLOP/s for GEMMs, bytes at 1 TB/s otherwise."""
    definition = get_kernel(kernel)
    if isinstance(params, GemmParams):
        return definition.flops(params) / FAKE_FLOPS_PER_S
    return definition.min_dram_bytes(params) / FAKE_BYTES_PER_S


def fake_case_seconds(case: Case) -> float:
    """What fake_simulate gives for a whole repetition of ``case``."""
    if isinstance(case, KernelCase) and isinstance(case.params, GemmParams):
        return case.flops() / FAKE_FLOPS_PER_S
    return case.min_dram_bytes() / FAKE_BYTES_PER_S


def passed_check() -> Correctness:
    return Correctness(
        rel_error=1e-7,
        rel_tolerance=1e-5,
        non_finite_elements=0,
        sampled_elements=64,
        output_elements=1024,
        passed=True,
    )


def case_record(case: Case, measured_s: float, *, passed: bool = True) -> CaseRecord:
    """A recorded case whose median is ``measured_s`` (samples around it)."""
    correctness = passed_check()
    if not passed:
        correctness = Correctness(None, 1e-5, 3, 64, 1024, passed=False)
    launches = len(case.steps()) if isinstance(case, RingAllreduceCase) else 1
    return CaseRecord(
        case_id=case.case_id,
        kind=case.kind,
        family=case.family,
        kernel=case.kernel,
        params=case.record_params(),
        launches_per_repetition=launches,
        launch=None if case.kind == "library" else LaunchRecord((4, 4, 1), (16, 16, 1), 0),
        warmup_repetitions=3,
        repetitions=3,
        median_s=measured_s,
        min_s=measured_s * 0.99,
        max_s=measured_s * 1.02,
        series_total_s=measured_s * 3.1,
        samples_s=(measured_s * 0.99, measured_s, measured_s * 1.02),
        queue_ahead=True,
        flops=case.flops(),
        min_dram_bytes=case.min_dram_bytes(),
        correctness=correctness,
        wall_s=0.5,
    )


SYNTHETIC_ERRORS: tuple[tuple[Case, float], ...] = (
    (KernelCase("gemm_naive", GemmParams(256, 256, 256)), 0.10),
    (KernelCase("gemm_naive", GemmParams(512, 512, 512)), -0.20),
    (KernelCase("gemm_naive", GemmParams(1024, 1024, 1024)), 0.30),
    (KernelCase("gemm_smem_tiled_16", GemmParams(512, 512, 512)), 0.05),
    (KernelCase("gemm_smem_tiled_32", GemmParams(512, 512, 512)), -0.05),
    (KernelCase("copy", CopyParams(1 << 20)), 0.0),
    (KernelCase("copy", CopyParams(1 << 24)), 0.5),
    (RingAllreduceCase(ranks=4, message_bytes=1 << 20), -0.1),
    (RingAllreduceCase(ranks=8, message_bytes=1 << 22), 0.1),
)
"""Each case and the signed simulator error (fraction of the measurement) built into it."""


def synthetic_measurements() -> MeasurementFile:
    """The synthetic file: the cases above, a failed check, a library reference, a skip."""
    cases = [
        case_record(case, fake_case_seconds(case) / (1 + error)) for case, error in SYNTHETIC_ERRORS
    ]
    failing = KernelCase("gemm_register_blocked_64", GemmParams(256, 256, 256))
    cases.append(case_record(failing, 1e-3, passed=False))
    library = LibraryCase("gemm", "bf16", GemmParams(4096, 4096, 4096))
    cases.append(case_record(library, 2e-4))
    return MeasurementFile(
        suite="synthetic",
        status="complete",
        provenance={
            "device": {
                "name": H100_NAME,
                "simulator": False,
                "sm_count": 132,
                "l2_size_bytes": 52428800,
                "clock_rate_khz": 1980000,
            }
        },
        cases=tuple(cases),
        skipped=(SkippedCase("gemm_tensor_core/m=256,n=256,k=256", "time budget"),),
    )


@pytest.fixture
def synthetic_file(tmp_path: Path) -> Path:
    """The synthetic measurement file, written where a test can read it."""
    path = tmp_path / "synthetic-h100.json"
    save_measurements(synthetic_measurements(), path)
    return path
