"""Every numeric spec field is live: changing it moves a small workload it should affect, or
it is on the documented list of informational fields (gpusim/spec/informational.py).

Each field names the probe that shows it (a small kernel on a two-SM H100, a microbenchmark
trace, or an all-reduce) and the value it is changed to (twice the preset's unless the
table says otherwise); the probe's simulated time must differ from the preset's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

import pytest

from gpusim.collectives import simulate_collective
from gpusim.cuda.kernels import CopyParams, GemmParams, KernelParams
from gpusim.cuda.trace import OpClass
from gpusim.cuda.tracecache import cached_trace
from gpusim.errors import KernelError
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.lowering import lower
from gpusim.spec import GpuSpec, SystemSpec, gpu_preset, system_preset
from gpusim.spec.informational import INFORMATIONAL_GPU_FIELDS, INFORMATIONAL_SYSTEM_FIELDS
from gpusim.workload import CollectiveWorkload
from tests.hw.microbench import Bench, Op, trace

GPU = gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 2})
MOVED = 1e-9
"""A change smaller than this (relative) is rounding, not a move."""


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def _numeric_fields(spec: GpuSpec | SystemSpec) -> list[str]:
    """Numeric fields, and optional ones left unset (``None``: a rule applies unless a
    number is given, as ``collective.channels``)."""
    return [
        path
        for path, value in _leaves(spec.model_dump())
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    ]


# --- GPU probes: simulated seconds of one small workload -----------------------------------


def _kernel(name: str, params: KernelParams) -> Callable[[GpuSpec], float]:
    def probe(gpu: GpuSpec) -> float:
        program = lower(cached_trace(name, params, gpu.compute_capability_tuple), gpu)
        return simulate_kernel(program, gpu, mode="detailed").time_s

    return probe


def _bench(bench: Bench) -> Callable[[GpuSpec], float]:
    def probe(gpu: GpuSpec) -> float:
        return simulate_kernel(lower(trace(bench), gpu), gpu, mode="detailed").time_s

    return probe


def _chain(op_class: OpClass, opcode: str) -> Bench:
    """One warp, each instruction waiting on the last: time is the latency."""
    return Bench(body=[Op(op_class, opcode, dst=(0,), src=(0,))], iterations=64)


def _independent(op_class: OpClass, opcode: str, warps: int = 32) -> Bench:
    """Many warps of independent instructions: time is the pipe's throughput."""
    body = [Op(op_class, opcode, dst=(i,), src=(i,)) for i in range(8)]
    return Bench(body=body, iterations=32, warps=warps)


def _mma(types: str) -> Bench:
    """Independent tensor-core instructions: time is the tensor pipe's rate for ``types``."""
    opcode = f"mma.sync.aligned.m16n8k16.row.col{types}"
    body = [Op(OpClass.MMA, opcode, dst=(i,), src=(i,)) for i in range(4)]
    return Bench(body=body, iterations=32, warps=16)


def _wgmma(shape_and_types: str) -> Bench:
    """A warpgroup of wgmmas back to back: time is wgmma's rate for its input types."""
    m, n, k = 64, 128, 32 if "e4m3" in shape_and_types else 16
    opcode = f"wgmma.mma_async.sync.aligned.{shape_and_types}"
    wgmma = Op(OpClass.WGMMA, opcode, flops_per_lane=2 * m * n * k // 128)
    return Bench(body=[wgmma], iterations=32, warps=4)


def _revisits(lines: list[int], passes: int) -> Bench:
    """One warp chasing through ``lines`` (128-byte line numbers) ``passes`` times."""
    order = lines * passes
    load = Op(OpClass.LD_GLOBAL, "ld.global.u64", dst=(0,), src=(0,), bytes_per_lane=8)
    return Bench(
        body=[load], iterations=len(order), addresses={0: lambda warp, k: [128 * order[k]] * 32}
    )


def _shared_hungry() -> Bench:
    """One-warp CTAs of 63 KiB of shared memory (64 KiB with the runtime's reservation),
    each a dependent chain: three fit in the H100's 228 KiB, four in 256 KiB, so eight on
    two SMs take two rounds or one."""
    fma = Op(OpClass.FP32, "fma.rn.f32", dst=(0,), src=(0,))
    return Bench(body=[fma], iterations=64, grid=(8, 1, 1), shared_bytes=63 * 1024)


def _shared_unaligned() -> Bench:
    """Eight one-warp CTAs of 56 KiB + 1 KiB reserved: four fit in 228 KiB when shared
    memory is given in 128-byte units, three when in 4 KiB units (60 KiB each)."""
    fma = Op(OpClass.FP32, "fma.rn.f32", dst=(0,), src=(0,))
    return Bench(body=[fma], iterations=64, grid=(8, 1, 1), shared_bytes=56 * 1024)


GPU_PROBES: dict[str, Callable[[GpuSpec], float]] = {
    "copy": _kernel("copy", CopyParams(1 << 18)),
    "tiled_gemm": _kernel("gemm_smem_tiled_16", GemmParams(128, 128, 128)),
    "naive_gemm": _kernel("gemm_naive", GemmParams(128, 128, 128)),
    "tensor_gemm": _kernel("gemm_tensor_core", GemmParams(128, 128, 128)),
    "int_add_chain": _bench(_chain(OpClass.INT32, "add.s32")),
    "int_mul_chain": _bench(_chain(OpClass.INT32, "mul.lo.s32")),
    "fp16_chain": _bench(_chain(OpClass.FP16, "fma.rn.f16x2")),
    "fp64_chain": _bench(_chain(OpClass.FP64, "fma.rn.f64")),
    "sfu_chain": _bench(_chain(OpClass.SFU, "ex2.approx.f32")),
    "int_throughput": _bench(_independent(OpClass.INT32, "add.s32")),
    "fp32_throughput": _bench(_independent(OpClass.FP32, "fma.rn.f32")),
    "fp64_throughput": _bench(_independent(OpClass.FP64, "fma.rn.f64")),
    "sfu_throughput": _bench(_independent(OpClass.SFU, "ex2.approx.f32")),
    "shfl_throughput": _bench(_independent(OpClass.SHFL, "shfl.sync.bfly.b32")),
    "mma_bf16": _bench(_mma(".f32.bf16.bf16.f32")),
    "mma_tf32": _bench(_mma(".f32.tf32.tf32.f32")),
    "mma_fp8": _bench(_mma(".f32.e4m3.e4m3.f32")),
    "mma_int8": _bench(_mma(".s32.s8.s8.s32")),
    "mma_fp64": _bench(_mma(".f64.f64.f64.f64")),
    "wgmma_bf16": _bench(_wgmma("m64n128k16.f32.bf16.bf16")),
    "wgmma_fp8": _bench(_wgmma("m64n128k32.f32.e4m3.e4m3")),
    "mma_chain": _bench(_chain(OpClass.MMA, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32")),
    "mma_tf32_chain": _bench(
        _chain(OpClass.MMA, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")
    ),
    "mma_int8_chain": _bench(
        _chain(OpClass.MMA, "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32")
    ),
    # L1 keeps 224 KiB (32 resident CTAs reserve 1 KiB of shared memory each): two lines
    # 224 KiB apart share a set, which 64 ways hold and 1 way does not.
    "l1_conflict": _bench(_revisits([0, 1792], 16)),
    # 384 KiB read twice: the second pass hits in a 512 KiB L1, not in 256 KiB.
    "l1_capacity": _bench(_revisits(list(range(3072)), 2)),
    "shared_hungry": _bench(_shared_hungry()),
    "shared_unaligned": _bench(_shared_unaligned()),
}

GPU_FIELDS: dict[str, tuple[str, Any]] = {
    # field: (probe, value or None for twice the preset's)
    "launch_overhead_s": ("copy", None),
    "sm.count": ("tiled_gemm", None),
    "sm.clock_hz": ("tiled_gemm", None),
    "sm.warp_schedulers": ("fp32_throughput", 2),
    "sm.max_threads": ("tiled_gemm", 256),
    "sm.max_ctas": ("tiled_gemm", 1),
    "sm.max_threads_per_cta": ("tiled_gemm", 128),
    "sm.registers": ("tiled_gemm", 8192),
    "sm.max_registers_per_thread": ("tiled_gemm", 16),
    "sm.register_allocation_unit": ("tiled_gemm", 4096),
    "sm.warp_allocation_granularity": ("tiled_gemm", 48),
    "sm.shared_bytes": ("shared_hungry", 262144),
    "sm.shared_bytes_per_cta": ("tiled_gemm", 1024),
    "sm.shared_allocation_unit_bytes": ("shared_unaligned", 4096),
    "sm.reserved_shared_bytes_per_cta": ("tiled_gemm", 65536),
    "sm.fp32_lanes": ("fp32_throughput", 64),
    "sm.int32_lanes": ("int_throughput", 32),
    "sm.fp64_lanes": ("fp64_throughput", 32),
    "sm.sfu_lanes": ("sfu_throughput", 8),
    "sm.ldst_lanes": ("shfl_throughput", 16),
    "sm.latency.int_alu_cycles": ("int_add_chain", None),
    "sm.latency.int_mul_cycles": ("int_mul_chain", None),
    "sm.latency.fp32_cycles": ("tiled_gemm", None),
    "sm.latency.fp16_cycles": ("fp16_chain", None),
    "sm.latency.fp64_cycles": ("fp64_chain", None),
    "sm.latency.sfu_cycles": ("sfu_chain", None),
    "tensor.fp16_flops_per_cycle_per_sm": ("tensor_gemm", 256),
    "tensor.bf16_flops_per_cycle_per_sm": ("mma_bf16", None),
    "tensor.tf32_flops_per_cycle_per_sm": ("mma_tf32", None),
    "tensor.fp8_flops_per_cycle_per_sm": ("mma_fp8", None),
    "tensor.int8_ops_per_cycle_per_sm": ("mma_int8", None),
    "tensor.fp64_flops_per_cycle_per_sm": ("mma_fp64", None),
    "tensor.low_precision_clock_hz": ("tensor_gemm", 0.2e9),
    "tensor.mma_sync.fp16_fraction_of_peak": ("mma_bf16", 0.25),
    "tensor.mma_sync.tf32_fraction_of_peak": ("mma_tf32", 0.25),
    "tensor.mma_sync.int8_fraction_of_peak": ("mma_int8", 0.25),
    "tensor.mma_sync.fp16_latency_cycles": ("mma_chain", None),
    "tensor.mma_sync.tf32_latency_cycles": ("mma_tf32_chain", None),
    "tensor.mma_sync.int8_latency_cycles": ("mma_int8_chain", None),
    "tensor.wgmma.fp16_fraction_of_peak": ("wgmma_bf16", 0.25),
    "tensor.wgmma.fp8_fraction_of_peak": ("wgmma_fp8", 0.25),
    "l1.size_bytes": ("l1_capacity", 524288),
    "l1.line_bytes": ("naive_gemm", 64),
    "l1.sector_bytes": ("naive_gemm", 64),
    "l1.associativity": ("l1_conflict", 1),
    "l1.latency_cycles": ("naive_gemm", None),
    "l1.bandwidth_bytes_per_cycle": ("naive_gemm", 32),
    "l1.max_misses_in_flight": ("copy", 4),
    "l1.shared_latency_cycles": ("tiled_gemm", None),
    "l1.shared_banks": ("tiled_gemm", 4),
    "l1.shared_bank_width_bytes": ("tiled_gemm", 1),
    "l2.size_bytes": ("naive_gemm", 80 * 16 * 128),
    "l2.slices": ("copy", 2),
    "l2.associativity": ("tiled_gemm", 1),
    "l2.line_bytes": ("copy", 64),
    "l2.sector_bytes": ("copy", 64),
    "l2.latency_cycles": ("tiled_gemm", None),
    "l2.bandwidth_bytes_per_cycle": ("copy", 64),
    "dram.bandwidth_bytes_per_s": ("copy", None),
    "dram.efficiency": ("copy", 0.45),
    "dram.latency_cycles": ("copy", None),
    "dram.channels": ("copy", 2),
}


@cache
def _preset_time(probe: str) -> float:
    return GPU_PROBES[probe](GPU)


def test_every_numeric_gpu_field_is_probed_or_informational() -> None:
    # The GPU's links are shown by the system probes (SYSTEM_FIELDS).
    fields = {f for f in _numeric_fields(GPU) if not f.startswith(("pcie.", "nvlink."))}
    assert set(GPU_FIELDS).isdisjoint(INFORMATIONAL_GPU_FIELDS)
    assert fields == set(GPU_FIELDS) | set(INFORMATIONAL_GPU_FIELDS)
    assert all(reason.strip() for reason in INFORMATIONAL_GPU_FIELDS.values())


def _changed(spec: GpuSpec | SystemSpec, path: str, value: Any) -> Any:
    if value is not None:
        return value
    current: Any = spec.model_dump()
    for part in path.split("."):
        current = current[part]
    return 2 * current


@pytest.mark.parametrize("field", sorted(GPU_FIELDS))
def test_a_gpu_field_moves_its_probe(field: str) -> None:
    probe, value = GPU_FIELDS[field]
    changed = GPU.with_overrides({field: _changed(GPU, field, value)})
    try:
        moved = GPU_PROBES[probe](changed) != pytest.approx(_preset_time(probe), rel=MOVED)
    except KernelError:
        moved = True  # a limit field: the changed limit refuses the launch
    assert moved


# --- System probes: simulated seconds of one all-reduce -----------------------------------

NVSWITCH = system_preset("8xH100-NVSwitch")
PCIE = system_preset("8xH100-PCIe")
SMALL = CollectiveWorkload(kind="allreduce", size_bytes=64 * 1024)
LARGE = CollectiveWorkload(kind="allreduce", size_bytes=64 << 20)
PROTOCOLS = ("simple", "ll128", "ll")
SYSTEM_PROBES: dict[str, tuple[SystemSpec, CollectiveWorkload]] = {
    "nvswitch_small": (NVSWITCH, SMALL),
    "nvswitch_large": (NVSWITCH, LARGE),
    "pcie_small": (PCIE, SMALL),
    "pcie_large": (PCIE, LARGE),
    "two_nodes_small": (NVSWITCH.with_overrides({"nodes": 2}), SMALL),
    # nccl-tests -g 8: one thread launches all eight GPUs' kernels (the launch floor).
    "one_thread_small": (NVSWITCH.with_overrides({"collective.gpus_per_thread": 8}), SMALL),
    "two_nodes_large": (NVSWITCH.with_overrides({"nodes": 2}), LARGE),
    "ring_large": (NVSWITCH, LARGE.with_overrides({"algo": "ring"})),
    "mesh_five_small": (
        system_preset("8xV100-NVLink-Mesh"),
        SMALL.with_overrides({"ranks": 5, "algo": "ring"}),  # GPUs 1 and 4: PCIe
    ),
}


def _protocol_fields() -> dict[str, tuple[str, Any]]:
    """Each protocol's figures, shown with that protocol forced (``_system_time``)."""
    fields: dict[str, tuple[str, Any]] = {}
    for protocol in PROTOCOLS:
        prefix = f"collective.{protocol}."
        fields[prefix + "efficiency"] = ("nvswitch_large", 0.125)
        fields[prefix + "base_latency_s"] = ("nvswitch_small", None)
        fields[prefix + "nvlink_hop_latency_s"] = ("nvswitch_small", None)
        fields[prefix + "pcie_hop_latency_s"] = ("pcie_small", None)
        fields[prefix + "net_hop_latency_s"] = ("two_nodes_small", None)
        fields[prefix + "slice_bytes"] = ("pcie_small", 64)
        fields[prefix + "min_channel_bytes"] = ("nvswitch_small", 1 << 20)
        fields[prefix + "line_payload_fraction"] = ("nvswitch_large", 0.1)
        fields[prefix + "slice_steps"] = ("nvswitch_small", 8)
        fields[prefix + "slices_per_chunk"] = ("nvswitch_small", 4)
    # NCCL runs LL128 only over NVLink: its PCIe figures show on the mesh's PCIe hops.
    fields["collective.ll128.pcie_hop_latency_s"] = ("mesh_five_small", None)
    fields["collective.ll128.slice_bytes"] = ("nvswitch_small", 64)
    return fields


SYSTEM_FIELDS: dict[str, tuple[str, Any]] = {
    "gpu.pcie.generation": ("pcie_large", 3),
    "gpu.pcie.lanes": ("pcie_large", 4),
    "gpu.pcie.latency_s": ("pcie_small", None),
    "gpu.nvlink.links": ("nvswitch_large", 9),
    "gpu.nvlink.bandwidth_bytes_per_s_per_link_per_direction": ("nvswitch_large", None),
    "gpu.nvlink.latency_s": ("nvswitch_small", None),
    "gpus_per_node": ("nvswitch_large", 4),
    "nodes": ("nvswitch_large", 2),
    "gpus_per_pcie_switch": ("pcie_small", 2),
    "host_uplink.generation": ("pcie_large", 3),
    "host_uplink.lanes": ("pcie_large", 4),
    "host_uplink.latency_s": ("pcie_small", None),
    "nic.bandwidth_bytes_per_s_per_direction": ("two_nodes_large", None),
    "nic.latency_s": ("two_nodes_small", None),
    "link_efficiency.nvlink": ("nvswitch_large", 0.5),
    "link_efficiency.pcie": ("pcie_large", 0.5),
    "link_efficiency.nic": ("two_nodes_large", 0.5),
    "collective.channels": ("nvswitch_small", 1),
    "collective.nvls_channels": ("nvswitch_large", 1),
    "collective.steps_per_channel": ("ring_large", 2),
    "nvswitch_reduce_efficiency": ("nvswitch_large", 0.5),
    "host.kernel_launch_s": ("one_thread_small", None),
    "collective.gpus_per_thread": ("nvswitch_small", 8),
    **_protocol_fields(),
}


def _system_fields() -> set[str]:
    """The system's own numeric fields and its GPU's link fields (the GPU's others are the
    GPU test's)."""
    return {
        path
        for path in _numeric_fields(NVSWITCH)
        if not path.startswith("gpu.") or path.startswith(("gpu.pcie.", "gpu.nvlink."))
    }


def _system_time(field: str, *, changed: bool) -> float:
    """The all-reduce time of ``field``'s probe, with the field changed or not (and, for a
    protocol's figure, that protocol forced on a ring, where every protocol runs)."""
    probe, value = SYSTEM_FIELDS[field]
    system, workload = SYSTEM_PROBES[probe]
    overrides: dict[str, Any] = {}
    table = field.split(".")
    if table[0] == "collective" and table[1] in PROTOCOLS:
        overrides["collective.protocol"] = table[1]
        workload = workload.with_overrides({"algo": "ring"})
    if changed:
        overrides[field] = _changed(system, field, value)
    return simulate_collective(system.with_overrides(overrides), workload).time_s


def test_every_numeric_system_field_is_probed_or_informational() -> None:
    assert set(SYSTEM_FIELDS).isdisjoint(INFORMATIONAL_SYSTEM_FIELDS)
    assert _system_fields() == set(SYSTEM_FIELDS) | set(INFORMATIONAL_SYSTEM_FIELDS)
    assert all(reason.strip() for reason in INFORMATIONAL_SYSTEM_FIELDS.values())


@pytest.mark.parametrize("field", sorted(SYSTEM_FIELDS))
def test_a_system_field_moves_its_probe(field: str) -> None:
    preset = _system_time(field, changed=False)
    assert _system_time(field, changed=True) != pytest.approx(preset, rel=MOVED)
