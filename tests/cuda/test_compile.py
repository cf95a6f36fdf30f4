"""Compiling the kernels to LTO-linked PTX on a machine without a GPU, and the PTX cache."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gpusim.cache import cache_dir as gpusim_cache_dir
from gpusim.cuda import compile as compile_module
from gpusim.cuda.compile import (
    CompiledKernel,
    PtxasResources,
    compile_ptx,
    parse_ptxas_info,
    sass_opcode_counts,
)
from gpusim.cuda.kernels import (
    KERNEL_NAMES,
    AllreduceRingParams,
    AllreduceStepParams,
    CopyParams,
    GemmParams,
    KernelParams,
    PointerChaseParams,
    ReadBandwidthParams,
    StreamParams,
    get_kernel,
)
from gpusim.errors import KernelError

MMA = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"
SMALL_STEP = AllreduceStepParams(elements=100, ranks=2, step=0, rank=1)

PARAMS: dict[str, KernelParams] = {
    "gemm_naive_uncoalesced": GemmParams(256, 256, 256),
    "gemm_naive": GemmParams(256, 256, 256),
    "gemm_smem_tiled_16": GemmParams(256, 256, 256),
    "gemm_smem_tiled_32": GemmParams(256, 256, 256),
    "gemm_register_blocked_64": GemmParams(256, 256, 256),
    "gemm_register_blocked_128": GemmParams(256, 256, 256),
    "gemm_1d_blocktiled_64": GemmParams(256, 256, 256),
    "gemm_vectorized_128": GemmParams(256, 256, 256),
    "gemm_tensor_core": GemmParams(256, 256, 256),
    "gemm_tc_ampere_fp16": GemmParams(256, 256, 256),
    "gemm_tc_ampere_bf16": GemmParams(256, 256, 256),
    "gemm_tc_ampere_tf32": GemmParams(256, 256, 256),
    "gemm_tc_ampere_int8": GemmParams(256, 256, 256),
    "gemm_tc_ampere_fp16_stages1": GemmParams(256, 256, 256),
    "gemm_tc_ampere_fp16_stages2": GemmParams(256, 256, 256),
    "gemm_tc_ampere_fp16_stages4": GemmParams(256, 256, 256),
    "gemm_tc_hopper_bf16": GemmParams(256, 256, 256),
    "gemm_tc_hopper_fp16": GemmParams(256, 256, 256),
    "gemm_tc_hopper_fp8": GemmParams(256, 256, 256),
    "copy": CopyParams(1 << 20),
    "allreduce_reduce_scatter_step": AllreduceStepParams(1 << 20, 8, 0, 0),
    "allreduce_all_gather_step": AllreduceStepParams(1 << 20, 8, 0, 0),
    "allreduce_ring_single_device": AllreduceRingParams(1 << 20, 8, 0),
    "pointer_chase": PointerChaseParams(1 << 16, 512),
    "read_bandwidth": ReadBandwidthParams(1 << 20, 2),
    "stream_scale": StreamParams(1 << 20),
}

STATIC_SHARED_BYTES = {
    "gemm_naive_uncoalesced": 0,
    "gemm_naive": 0,
    "gemm_smem_tiled_16": 2 * 16 * 16 * 4,
    "gemm_smem_tiled_32": 2 * 32 * 32 * 4,
    "gemm_register_blocked_64": (64 * 16 + 16 * 64) * 4,
    "gemm_register_blocked_128": (128 * 8 + 8 * 128) * 4,
    "gemm_1d_blocktiled_64": (64 * 8 + 8 * 64) * 4,
    "gemm_vectorized_128": (8 * 128 + 8 * 128) * 4,
    "gemm_tensor_core": 2 * 64 * 20 * 4,  # two 64-row pair arrays, rows padded to 20 words
    "gemm_tc_ampere_fp16": 3 * (8192 + 8192),  # 3 stages of A 128x32 and B 32x128 halves
    "gemm_tc_ampere_bf16": 3 * (8192 + 8192),
    "gemm_tc_ampere_tf32": 3 * (8192 + 8192),  # A 128x16 and B^T 128x16 fp32
    "gemm_tc_ampere_int8": 3 * (8192 + 8192),  # A 128x64 and B^T 128x64 int8
    "gemm_tc_ampere_fp16_stages1": 1 * (8192 + 8192),
    "gemm_tc_ampere_fp16_stages2": 2 * (8192 + 8192),
    "gemm_tc_ampere_fp16_stages4": 0,  # 64 KiB: dynamic, past the 48 KiB static limit
    "gemm_tc_hopper_bf16": 8 * 8,  # the 8 mbarriers; the stages are dynamic
    "gemm_tc_hopper_fp16": 8 * 8,
    "gemm_tc_hopper_fp8": 8 * 8,
    "copy": 0,
    "allreduce_reduce_scatter_step": 0,
    "allreduce_all_gather_step": 0,
    "allreduce_ring_single_device": 0,
    "pointer_chase": 0,
    "read_bandwidth": 0,
    "stream_scale": 0,
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ptx-cache")


@pytest.fixture(scope="module")
def compiled(cache_dir: Path) -> dict[str, CompiledKernel]:
    return {name: compile_ptx(name, PARAMS[name], cache_dir=cache_dir) for name in KERNEL_NAMES}


def _without_entry_name(kernel: CompiledKernel) -> str:
    """The PTX with its entry name blanked.

    Numba's mangled name carries a per-process compile counter (its ``v<N>`` ABI tag), so
    two compiles of one kernel differ in that name and nowhere else.
    """
    return kernel.ptx.replace(kernel.entry_name, "ENTRY")


def _opcodes(ptx: str) -> list[str]:
    return re.findall(r"^\s+(?:@%p\d+\s+)?([a-z][\w.]*)", ptx, re.MULTILINE)


@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_every_kernel_compiles_to_lto_ptx_for_sm_90a(
    name: str, compiled: dict[str, CompiledKernel]
) -> None:
    kernel = compiled[name]
    assert (kernel.kernel_name, kernel.cc, kernel.ptx_kind) == (name, (9, 0), "lto")
    assert kernel.signature == get_kernel(name).numba_signature(PARAMS[name])
    assert "\n.target sm_90a\n" in kernel.ptx  # numba-cuda's target on a 9.0 device
    assert f".entry {kernel.entry_name}(" in kernel.ptx
    assert kernel.cubin is not None and kernel.cubin[:4] == b"\x7fELF"


@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_ptxas_figures_are_plausible_and_nothing_spills(
    name: str, compiled: dict[str, CompiledKernel]
) -> None:
    resources = compiled[name].resources
    assert resources is not None
    assert 0 < resources.registers_per_thread <= 255
    assert resources.static_shared_bytes == STATIC_SHARED_BYTES[name]
    assert (resources.stack_frame_bytes, resources.spill_store_bytes) == (0, 0)
    shares_memory = (
        STATIC_SHARED_BYTES[name] or get_kernel(name).launch(PARAMS[name]).dynamic_shared_bytes
    )
    assert resources.barriers == (1 if shares_memory else 0)
    # Accumulators and fragments are cuda.local arrays promoted to registers.
    assert not [op for op in _opcodes(compiled[name].ptx) if ".local" in op]


def test_register_blocking_keeps_its_tiles_in_registers(
    compiled: dict[str, CompiledKernel],
) -> None:
    # Each unrolled k step of a micro-tile is micro_tile^2 FMAs on registers.
    rb64 = _opcodes(compiled["gemm_register_blocked_64"].ptx)
    rb128 = _opcodes(compiled["gemm_register_blocked_128"].ptx)
    assert rb64.count("fma.rn.f32") % 16 == 0 and rb64.count("fma.rn.f32") >= 16
    assert rb128.count("fma.rn.f32") % 64 == 0 and rb128.count("fma.rn.f32") >= 64
    naive = compiled["gemm_naive"].registers_per_thread
    assert naive is not None and compiled["gemm_register_blocked_128"].resources is not None
    assert compiled["gemm_register_blocked_128"].resources.registers_per_thread > naive


def test_tensor_core_gemm_issues_mma_sync(compiled: dict[str, CompiledKernel]) -> None:
    ptx = compiled["gemm_tensor_core"].ptx
    # Per 32-wide k slab: 2 k-steps x (2 x 4) warp tiles of m16n8k16, fully unrolled.
    assert ptx.count(MMA) == 16
    assert "ld.global.u32" in ptx  # A's fp16 pairs, one 32-bit load each


def test_copy_moves_128_bits_per_access(compiled: dict[str, CompiledKernel]) -> None:
    memory_ops = {op for op in _opcodes(compiled["copy"].ptx) if ".global" in op}
    assert memory_ops == {"ld.global.v2.u64", "st.global.v2.u64", "cvta.to.global.u64"}


def test_second_compile_is_read_from_the_cache_file(tmp_path: Path) -> None:
    first = compile_ptx("copy", CopyParams(64), cache_dir=tmp_path)
    [entry] = (tmp_path / "ptx").iterdir()
    assert entry.name.startswith("copy-") and entry.suffix == ".json"
    second = compile_ptx("copy", CopyParams(1 << 30), cache_dir=tmp_path)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert (second.ptx, second.resources, second.cubin) == (first.ptx, first.resources, first.cubin)
    assert [path.name for path in (tmp_path / "ptx").iterdir()] == [entry.name]


def test_signature_and_cc_are_part_of_the_cache_key(tmp_path: Path) -> None:
    sm90 = compile_ptx("copy", CopyParams(64), cache_dir=tmp_path)
    sm80 = compile_ptx("copy", CopyParams(64), cc=(8, 0), cache_dir=tmp_path)
    assert (sm90.from_cache, sm80.from_cache) == (False, False)
    assert "\n.target sm_80\n" in sm80.ptx and sm80.cc == (8, 0)
    assert len(list((tmp_path / "ptx").iterdir())) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated JSON
        lambda text: "not json at all",
        lambda text: json.dumps({**json.loads(text), "resources": {"registers": "many"}}),
        lambda text: json.dumps({**json.loads(text), "cubin_base64": "%%%"}),
        lambda text: json.dumps({**json.loads(text), "key": "another key"}),
    ],
)
def test_a_damaged_cache_entry_is_recompiled_and_replaced(
    tmp_path: Path, damage: Callable[[str], str]
) -> None:
    original = compile_ptx("allreduce_all_gather_step", SMALL_STEP, cache_dir=tmp_path)
    [entry] = (tmp_path / "ptx").iterdir()
    entry.write_text(damage(entry.read_text()))
    recompiled = compile_ptx("allreduce_all_gather_step", SMALL_STEP, cache_dir=tmp_path)
    assert recompiled.from_cache is False
    assert _without_entry_name(recompiled) == _without_entry_name(original)
    again = compile_ptx("allreduce_all_gather_step", SMALL_STEP, cache_dir=tmp_path)
    assert again.from_cache is True


def test_an_unwritable_cache_only_costs_the_caching(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("the cache directory cannot be created under a file")
    compiled = compile_ptx("copy", CopyParams(64), cache_dir=blocked)
    assert compiled.from_cache is False and compiled.ptx_kind == "lto"


def test_cache_directory_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GPUSIM_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert gpusim_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("GPUSIM_CACHE_DIR")
    assert gpusim_cache_dir() == tmp_path / "xdg" / "gpusim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert gpusim_cache_dir() == tmp_path / "home" / ".cache" / "gpusim"
    compile_ptx("copy", CopyParams(64))
    assert len(list((tmp_path / "home" / ".cache" / "gpusim" / "ptx").iterdir())) == 1


def test_without_nvjitlink_the_plain_nvvm_ptx_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(compile_module, "nvjitlink_version", lambda: None)
    compiled = compile_ptx("copy", CopyParams(64), cache_dir=tmp_path)
    assert (compiled.ptx_kind, compiled.resources, compiled.cubin) == ("nvvm", None, None)
    assert compiled.registers_per_thread is None and compiled.static_shared_bytes is None
    assert f".entry {compiled.entry_name}(" in compiled.ptx
    assert compile_ptx("copy", CopyParams(64), cache_dir=tmp_path).from_cache is True


def test_sizes_are_checked_before_compiling(tmp_path: Path) -> None:
    with pytest.raises(KernelError) as error:
        compile_ptx("gemm_tensor_core", GemmParams(64, 64, 48), cache_dir=tmp_path)
    assert str(error.value) == "gemm_tensor_core: k must be a multiple of 32, got 48"
    with pytest.raises(KernelError, match=r"^unknown kernel 'gemm'; known kernels: "):
        compile_ptx("gemm", GemmParams(64, 64, 64), cache_dir=tmp_path)
    assert not (tmp_path / "ptx").exists()


def test_ptxas_info_log_is_parsed() -> None:
    log = (
        "ptxas info    : 0 bytes gmem\n"
        "ptxas info    : Compiling entry function '_Z1k' for 'sm_90'\n"
        "ptxas info    : Function properties for _Z1k\n"
        "ptxas         .     8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads\n"
        "ptxas info    : Used 72 registers, used 1 barriers, 10240 bytes smem\n"
    )
    assert parse_ptxas_info(log) == PtxasResources(
        registers_per_thread=72,
        static_shared_bytes=10240,
        stack_frame_bytes=8,
        spill_store_bytes=4,
        spill_load_bytes=12,
        barriers=1,
    )
    quiet = "ptxas . 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
    quiet += "ptxas info    : Used 14 registers"
    assert parse_ptxas_info(quiet).static_shared_bytes == 0
    with pytest.raises(RuntimeError, match="no ptxas resource report"):
        parse_ptxas_info("INFO: nothing here")


def test_sass_of_the_tensor_core_gemm_runs_on_hmma(compiled: dict[str, CompiledKernel]) -> None:
    try:
        counts = sass_opcode_counts(compiled["gemm_tensor_core"])
    except KernelError as missing:
        pytest.skip(str(missing))
    assert counts["HMMA.16816.F32"] == 16
    assert sum(count for opcode, count in counts.items() if opcode.startswith("BAR.")) == 2
    fp32 = sass_opcode_counts(compiled["gemm_register_blocked_128"])
    assert fp32["FFMA"] % 64 == 0 and "HMMA.16816.F32" not in fp32
