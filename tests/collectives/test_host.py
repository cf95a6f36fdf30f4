"""The host thread that launches a collective (nccl-tests -g): back-to-back collectives run
no faster than one thread launches them; NVLS pays NCCL's NVLS latencies."""

from __future__ import annotations

import pytest

from gpusim.collectives import simulate_collective
from gpusim.errors import GpusimError
from gpusim.spec import system_preset
from gpusim.workload import AllreduceWorkload


def _time(overrides: dict[str, object], size_bytes: int, algo: str = "auto") -> tuple[float, float]:
    system = system_preset("8xA100-NVSwitch").with_overrides(overrides)
    result = simulate_collective(system, AllreduceWorkload(size_bytes=size_bytes, algo=algo))
    return result.time_s, result.host_launch_s


def test_one_thread_for_eight_gpus_sets_the_floor_of_small_collectives() -> None:
    gpu_s, launch_s = _time({"host.kernel_launch_s": 10e-6}, 1024)
    assert launch_s == pytest.approx(10e-6)
    assert gpu_s < 80e-6  # one thread per GPU: the GPUs' time
    time_s, launch_s = _time({"host.kernel_launch_s": 10e-6, "collective.gpus_per_thread": 8}, 1024)
    assert launch_s == pytest.approx(80e-6)
    assert time_s == pytest.approx(80e-6)


def test_the_thread_hides_behind_large_collectives() -> None:
    alone, _ = _time({}, 1 << 30)
    driven, launch_s = _time({"collective.gpus_per_thread": 8}, 1 << 30)
    assert launch_s == pytest.approx(8 * 4.9e-6)
    assert driven == alone


def test_a_thread_drives_gpus_of_its_own_node_only() -> None:
    with pytest.raises(GpusimError, match=r"collective\.gpus_per_thread"):
        system_preset("8xA100-NVSwitch").with_overrides({"collective.gpus_per_thread": 9})


def test_nvls_pays_nccls_nvls_base_and_no_protocol_hop_latency() -> None:
    system = system_preset("8xH100-NVSwitch")
    result = simulate_collective(system, AllreduceWorkload(size_bytes=1024, algo="nvls"))
    # baseLat 23 us (NCCL 2.18.5 tuning.cc, NVLS) plus four GPU-switch hops at the links'
    # own latency and tiny transfers: well under the 4 x 3.4 us the ring's hops would add
    assert 23e-6 < result.time_s < 23e-6 + 4 * 3.4e-6
