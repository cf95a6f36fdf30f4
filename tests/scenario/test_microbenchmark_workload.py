"""Microbenchmark workloads: the kernel's size field, the params the kernel path takes from
it, and the one-line errors of a scenario that gives the wrong size or a bad one."""

from __future__ import annotations

from typing import Any

import pytest

from gpusim.api import kernel_of
from gpusim.cuda.kernels.microbench_def import MAX_CHASE_STEPS
from gpusim.cuda.kernels.params import PointerChaseParams, ReadBandwidthParams, StreamParams
from gpusim.errors import ScenarioError
from gpusim.scenario import scenario_from_dict
from gpusim.spec import gpu_preset
from gpusim.workload import MicrobenchmarkWorkload


def document(**workload: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "gpu": {"preset": "H100-SXM5-80GB"},
        "workload": {"kind": "microbenchmark", **workload},
    }


def test_each_kernel_gets_its_params_through_kernel_of() -> None:
    chase = MicrobenchmarkWorkload(kernel="pointer_chase", working_set_bytes=128 * 100)
    read = MicrobenchmarkWorkload(kernel="read_bandwidth", size_bytes=8 * 1000)
    stream = MicrobenchmarkWorkload(kernel="stream_scale", size_bytes=8 * 1000)
    assert kernel_of(chase) == ("pointer_chase", PointerChaseParams(128 * 100, 100))
    assert kernel_of(read) == ("read_bandwidth", ReadBandwidthParams(8 * 1000, 2))
    assert kernel_of(stream) == ("stream_scale", StreamParams(8 * 1000))


def test_a_long_chain_is_chased_for_the_capped_steps() -> None:
    chase = MicrobenchmarkWorkload(kernel="pointer_chase", working_set_bytes=512 << 20)
    assert chase.steps == MAX_CHASE_STEPS


def test_a_scenario_loads_and_bounds_a_bandwidth_kernel_by_its_reads() -> None:
    scenario = scenario_from_dict(document(kernel="read_bandwidth", size_bytes=1 << 30))
    bound = scenario.bound()
    assert bound.bytes_moved == 1 << 30
    assert (
        bound.movement_time_s >= (1 << 30) / gpu_preset("H100-SXM5-80GB").dram.bandwidth_bytes_per_s
    )


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        ({"kernel": "pointer_chase", "size_bytes": 4096}, "workload.working_set_bytes"),
        ({"kernel": "read_bandwidth", "working_set_bytes": 4096}, "workload.size_bytes"),
        (
            {"kernel": "stream_scale", "size_bytes": 8, "working_set_bytes": 128},
            "workload.working_set_bytes",
        ),
        ({"kernel": "pointer_chase", "working_set_bytes": 100}, "workload.working_set_bytes"),
        ({"kernel": "pointer_chase", "working_set_bytes": 8 << 20}, "working_set_bytes between"),
        ({"kernel": "stream_scale", "size_bytes": 12}, "workload.size_bytes"),
        ({"kernel": "gemm_naive", "size_bytes": 8}, "workload.kernel"),
    ],
)
def test_a_wrong_or_bad_size_is_one_line_naming_the_field(
    workload: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError, match=message) as error:
        scenario_from_dict(document(**workload))
    assert "\n" not in str(error.value)
