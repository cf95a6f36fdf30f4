"""NVLS all-reduce: the reduction in the NVSwitch, bound by a GPU's port at large sizes."""

from __future__ import annotations

import pytest

from gpusim.collectives import simulate_collective
from gpusim.errors import CollectiveError
from gpusim.spec import SystemSpec, system_preset
from gpusim.workload import AllreduceWorkload

H100 = system_preset("8xH100-NVSwitch")
GIB = 1 << 30
NVLS_BASE_LATENCY_S = 23.0e-6  # NCCL 2.18.5 src/graph/tuning.cc, baseLat[NVLS][SIMPLE]


def _port_bound_s(system: SystemSpec, size_bytes: int) -> float:
    """NCCL's base latency, then (n+1)/n of the buffer through one GPU's port at its
    payload rate times the switch's multimem efficiency."""
    port = (
        system.gpu.nvlink.bandwidth_bytes_per_s_per_direction
        * system.link_efficiency.nvlink
        * system.nvswitch_reduce_efficiency
    )
    ranks = system.gpus_per_node
    return NVLS_BASE_LATENCY_S + size_bytes * (ranks + 1) / ranks / port


@pytest.mark.parametrize("efficiency", [0.85, 0.425])
def test_nvls_is_bound_by_a_port_at_the_switchs_efficiency(efficiency: float) -> None:
    system = H100.with_overrides({"nvswitch_reduce_efficiency": efficiency})
    result = simulate_collective(system, AllreduceWorkload(size_bytes=GIB, algo="nvls"))
    bound_s = _port_bound_s(system, GIB)
    assert result.channels == system.collective.nvls_channels
    assert bound_s <= result.time_s <= 1.02 * bound_s  # pipeline fill and drain: 1.5%


@pytest.mark.parametrize("size_bytes", [1024, 1 << 20, GIB])
def test_h200_and_h100_differ_only_by_the_copies_through_hbm(size_bytes: int) -> None:
    """The H200 node differs from the H100 node only in its GPU's HBM and memory size; the
    tuner's all-reduce (ring LL when small, NVLS from about 1 MiB) waits on HBM only for
    NVLS's scatter and gather copies, which links hide but for the first and last slice:
    the H200 is never slower, and at most 0.2% faster."""
    workload = AllreduceWorkload(size_bytes=size_bytes)
    h100 = simulate_collective(H100, workload)
    h200 = simulate_collective(system_preset("8xH200-NVSwitch"), workload)
    assert (h200.algo, h200.protocol) == (h100.algo, h100.protocol)
    assert h100.time_s * (1 - 2e-3) <= h200.time_s <= h100.time_s


def test_a_switch_that_cannot_reduce_runs_no_nvls() -> None:
    plain = H100.with_overrides({"nvswitch_reduces": False})
    assert simulate_collective(H100, AllreduceWorkload(size_bytes=GIB)).algo == "nvls"
    assert simulate_collective(plain, AllreduceWorkload(size_bytes=GIB)).algo == "ring"
    with pytest.raises(CollectiveError, match=r"^algo: nvls needs an NVSwitch that reduces"):
        simulate_collective(plain, AllreduceWorkload(size_bytes=GIB, algo="nvls"))


class _CopyOnly:
    """A reduction model that only copies, at ``ns_per_byte``, and counts what it copied."""

    def __init__(self, ns_per_byte: float) -> None:
        self.ns_per_byte = ns_per_byte
        self.copied_bytes = 0.0

    def reduce_ns(self, size_bytes: float) -> float:
        return 0.0

    def copy_ns(self, size_bytes: float) -> float:
        self.copied_bytes += size_bytes
        return size_bytes * self.ns_per_byte


def test_every_gpu_scatters_its_buffer_into_the_nvls_buffers_and_gathers_the_result() -> None:
    """NCCL's NVLS kernel (src/device/all_reduce.h, NVLS Simple: scatter and gather warps)
    copies each GPU's whole buffer in and the whole result out: 2 S per GPU, one copy at a
    time on each GPU, so at 1 ns per byte the collective cannot end before 2 S ns."""
    size_bytes = 16 << 20
    counting = _CopyOnly(ns_per_byte=0.0)
    simulate_collective(
        H100, AllreduceWorkload(size_bytes=size_bytes, algo="nvls"), reduction=counting
    )
    assert counting.copied_bytes == pytest.approx(2 * 8 * size_bytes)
    slow = simulate_collective(
        H100, AllreduceWorkload(size_bytes=size_bytes, algo="nvls"), reduction=_CopyOnly(1.0)
    )
    assert slow.time_s > 2 * size_bytes * 1e-9
