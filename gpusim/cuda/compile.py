"""Compile a registered kernel to the PTX the GPU runs, with ptxas's resource figures.

``numba.cuda.jit`` links with LTO when nvJitLink is present, so the PTX a GPU executes is
the LTO-linked one (for fp16 kernels it differs from ``compile_ptx``'s: operator calls are
inlined only at link time). ``compile_ptx`` here reproduces it without a GPU: Numba compiles
the kernel to LTO-IR for the target cc (with the architecture-specific ``a`` suffix from 9.0
on, ``sm_90a``, as numba-cuda does on a device of that cc), nvJitLink links it with
``-lto -ptx``, and the linked PTX is what the emulator and the trace see. ptxas's figures
(registers per thread, static shared memory, stack, spills) come from a second nvJitLink
run that links the same LTO-IR straight to a cubin with ``-verbose``, as numba-cuda does to
load a kernel: that cubin is the code the GPU runs (ptxas run on the linked PTX text can
differ by a few registers), and its info log reports them. Without nvJitLink the plain NVVM
PTX is returned (``ptx_kind == "nvvm"``) and there are no ptxas figures or cubin.

Results are cached on disk, keyed by kernel name, the SHA-256 of the kernel module's source
and of the kernel modules it imports from (together they hold everything its kernels
compile), the Numba signature, the cc (and its ``a`` suffix), and the numba-cuda and
nvJitLink versions. The cache lives in ``$GPUSIM_CACHE_DIR``, else
``$XDG_CACHE_HOME/gpusim``, else ``~/.cache/gpusim``; entries are written atomically (temp
file and rename), an unreadable entry is recompiled and replaced, and a cache folder that
cannot be written costs only the caching (one warning line), never an error.
"""

from __future__ import annotations

import ast
import base64
import binascii
import functools
import hashlib
import importlib.util
import inspect
import json
import logging
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

from numba.cuda import compile_all

from gpusim.cache import cache_dir as gpusim_cache_dir
from gpusim.cache import warn_not_caching
from gpusim.cuda.kernels import KernelDef, KernelParams, get_kernel
from gpusim.errors import KernelError
from gpusim.files import write_atomically

CACHE_FORMAT_VERSION = 1
DEFAULT_CC = (9, 0)
KERNELS_PACKAGE = "gpusim.cuda.kernels."
PtxKind = Literal["lto", "nvvm"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PtxasResources:
    """What ptxas reports for the kernel's entry function."""

    registers_per_thread: int
    static_shared_bytes: int
    stack_frame_bytes: int
    spill_store_bytes: int
    spill_load_bytes: int
    barriers: int


@dataclass(frozen=True)
class CompiledKernel:
    """A kernel's PTX for one signature and cc, with its ptxas figures and cubin.

    ``ptx_kind`` is "lto" for nvJitLink-linked LTO PTX (what the GPU runs), "nvvm" for the
    plain NVVM PTX used only when nvJitLink is unavailable (then ``resources`` and ``cubin``
    are None). ``from_cache`` tells whether this result was read from the disk cache.
    ``entry_name`` is Numba's mangled name, which carries a per-process compile counter (its
    ``v<N>`` ABI tag): two fresh compiles of one kernel may differ in that name only.
    """

    kernel_name: str
    signature: str
    cc: tuple[int, int]
    entry_name: str
    ptx: str
    ptx_kind: PtxKind
    resources: PtxasResources | None
    cubin: bytes | None
    from_cache: bool

    @property
    def registers_per_thread(self) -> int | None:
        return None if self.resources is None else self.resources.registers_per_thread

    @property
    def static_shared_bytes(self) -> int | None:
        return None if self.resources is None else self.resources.static_shared_bytes


def compile_ptx(
    kernel: str | KernelDef[Any],
    params: KernelParams,
    cc: tuple[int, int] = DEFAULT_CC,
    *,
    cache_dir: Path | None = None,
) -> CompiledKernel:
    """The LTO-linked PTX of ``kernel`` for ``params``'s signature on ``cc``, cached on disk.

    ``params`` are checked against the kernel first (KernelError naming the parameter).
    ``cache_dir`` overrides the directory chosen from the environment.
    """
    kernel_def = get_kernel(kernel) if isinstance(kernel, str) else kernel
    kernel_def.check(params)
    signature = kernel_def.numba_signature(params)
    ptx_kind: PtxKind = "lto" if nvjitlink_version() is not None else "nvvm"
    key = _cache_key(kernel_def, signature, cc, ptx_kind)
    path = (cache_dir or gpusim_cache_dir()) / "ptx" / f"{kernel_def.name}-{key}.json"
    cached = _read_entry(path, key)
    if cached is not None:
        return cached
    compiled = _build(kernel_def, signature, cc, ptx_kind)
    _write_entry(path, key, compiled)
    return compiled


@functools.cache
def nvjitlink_version() -> tuple[int, int] | None:
    """nvJitLink's (major, minor), or None where it cannot be loaded (no LTO then)."""
    try:
        from cuda.bindings import nvjitlink

        major, minor = nvjitlink.version()
    except Exception:  # ImportError, or the shared library missing or unloadable
        return None
    return int(major), int(minor)


def source_sha256(kernel: KernelDef[Any]) -> str:
    """SHA-256 of the source file of the module that defines the kernel function, and of
    the other kernel modules it imports from (``gpusim.cuda.kernels.*``: the Hopper GEMM
    borrows the Ampere module's inline-asm helpers)."""
    source_file = inspect.getsourcefile(kernel.pyfunc)
    if source_file is None:
        raise KernelError(f"{kernel.name}: the kernel function has no source file")
    source = Path(source_file).read_bytes()
    digest = hashlib.sha256(source)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(KERNELS_PACKAGE):
            spec = importlib.util.find_spec(node.module or "")
            if spec is not None and spec.origin is not None:
                digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()


def _cache_key(
    kernel: KernelDef[Any], signature: str, cc: tuple[int, int], ptx_kind: PtxKind
) -> str:
    fields = {
        "format": CACHE_FORMAT_VERSION,
        "kernel": kernel.name,
        "source_sha256": source_sha256(kernel),
        "signature": signature,
        "cc": list(cc),
        "arch_suffix": arch_suffix(cc),
        "numba_cuda": version("numba-cuda"),
        "nvjitlink": nvjitlink_version(),
        "ptx_kind": ptx_kind,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def arch_suffix(cc: tuple[int, int]) -> str:
    """``"a"`` for compute capability 9.0 and newer, as numba-cuda compiles for a device of
    that cc (``sm_90a``: the architecture-specific target whose ``wgmma`` and
    ``setmaxnreg`` the Hopper kernels need), ``""`` before."""
    return "a" if cc >= (9, 0) else ""


def _build(
    kernel: KernelDef[Any], signature: str, cc: tuple[int, int], ptx_kind: PtxKind
) -> CompiledKernel:
    suffix = arch_suffix(cc)
    codes, _ = compile_all(
        kernel.pyfunc,
        signature,
        device=False,
        abi="numba",
        cc=(*cc, suffix),
        output="ltoir" if ptx_kind == "lto" else "ptx",
    )
    if len(codes) != 1:
        raise RuntimeError(f"{kernel.name}: expected one code object, Numba gave {len(codes)}")
    resources: PtxasResources | None = None
    cubin: bytes | None = None
    if ptx_kind == "lto":
        arch = f"-arch=sm_{cc[0]}{cc[1]}{suffix}"
        ptx_bytes, _ = _nvjitlink(codes[0], [arch, "-lto", "-ptx"], output="ptx")
        ptx = ptx_bytes.decode()
        cubin, info_log = _nvjitlink(codes[0], [arch, "-lto", "-verbose"], output="cubin")
        resources = parse_ptxas_info(info_log)
    else:
        ptx = str(codes[0])
    return CompiledKernel(
        kernel_name=kernel.name,
        signature=signature,
        cc=cc,
        entry_name=entry_name(ptx),
        ptx=ptx,
        ptx_kind=ptx_kind,
        resources=resources,
        cubin=cubin,
        from_cache=False,
    )


def _nvjitlink(
    ltoir: bytes, options: list[str], output: Literal["ptx", "cubin"]
) -> tuple[bytes, str]:
    """Run one nvJitLink link of ``ltoir``: (the linked PTX or cubin, the info log)."""
    from cuda.bindings import nvjitlink

    handle = nvjitlink.create(len(options), options)
    try:
        nvjitlink.add_data(handle, nvjitlink.InputType.LTOIR, ltoir, len(ltoir), "gpusim-kernel")
        try:
            nvjitlink.complete(handle)
        except nvjitlink.nvJitLinkError as error:
            error_log = _log_text(nvjitlink, handle, "error")
            raise RuntimeError(f"nvJitLink failed: {error_log}") from error
        if output == "ptx":
            result = bytearray(nvjitlink.get_linked_ptx_size(handle))
            nvjitlink.get_linked_ptx(handle, result)
            linked = bytes(result).rstrip(b"\0")  # the size counts the C string's terminator
        else:
            result = bytearray(nvjitlink.get_linked_cubin_size(handle))
            nvjitlink.get_linked_cubin(handle, result)
            linked = bytes(result)
        return linked, _log_text(nvjitlink, handle, "info")
    finally:
        nvjitlink.destroy(handle)


def _log_text(nvjitlink: Any, handle: int, which: Literal["info", "error"]) -> str:
    size = getattr(nvjitlink, f"get_{which}_log_size")(handle)
    text = bytearray(size)
    getattr(nvjitlink, f"get_{which}_log")(handle, text)
    return bytes(text).rstrip(b"\0").decode(errors="replace")


_REGISTERS = re.compile(r"Used (\d+) registers")
_BARRIERS = re.compile(r"used (\d+) barriers")
_SHARED = re.compile(r"(\d+) bytes smem")
_STACK = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_ENTRY = re.compile(r"\.entry\s+([^\s(]+)")


def parse_ptxas_info(info_log: str) -> PtxasResources:
    """The resource figures of ptxas's verbose log for a module with one entry function.

    ptxas omits "bytes smem" and "barriers" when they are zero.
    """
    registers = _REGISTERS.search(info_log)
    stack = _STACK.search(info_log)
    if registers is None or stack is None:
        raise RuntimeError(f"no ptxas resource report in the nvJitLink log: {info_log!r}")
    shared = _SHARED.search(info_log)
    barriers = _BARRIERS.search(info_log)
    return PtxasResources(
        registers_per_thread=int(registers.group(1)),
        static_shared_bytes=int(shared.group(1)) if shared else 0,
        stack_frame_bytes=int(stack.group(1)),
        spill_store_bytes=int(stack.group(2)),
        spill_load_bytes=int(stack.group(3)),
        barriers=int(barriers.group(1)) if barriers else 0,
    )


def entry_name(ptx: str) -> str:
    """The name of the PTX module's (single) kernel entry."""
    match = _ENTRY.search(ptx)
    if match is None:
        raise RuntimeError("the PTX has no .entry")
    return match.group(1)


def _read_entry(path: Path, key: str) -> CompiledKernel | None:
    """The cached result at ``path`` if it is intact and for ``key``; None otherwise."""
    try:
        entry = json.loads(path.read_text())
        if entry["format"] != CACHE_FORMAT_VERSION or entry["key"] != key:
            return None
        resources = entry["resources"]
        cubin = entry["cubin_base64"]
        cc_major, cc_minor = entry["cc"]
        return CompiledKernel(
            kernel_name=str(entry["kernel_name"]),
            signature=str(entry["signature"]),
            cc=(int(cc_major), int(cc_minor)),
            entry_name=str(entry["entry_name"]),
            ptx=str(entry["ptx"]),
            ptx_kind="lto" if entry["ptx_kind"] == "lto" else "nvvm",
            resources=None if resources is None else PtxasResources(**resources),
            cubin=None if cubin is None else base64.b64decode(cubin, validate=True),
            from_cache=True,
        )
    except (FileNotFoundError, NotADirectoryError):  # not cached (yet, or not cacheable here)
        return None
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as error:
        _log.warning("recompiling: unreadable cache entry %s (%s)", path, error)
        return None


def _write_entry(path: Path, key: str, compiled: CompiledKernel) -> None:
    """Store ``compiled`` at ``path`` atomically; a cache that cannot be written is skipped."""
    entry = {
        "format": CACHE_FORMAT_VERSION,
        "key": key,
        "kernel_name": compiled.kernel_name,
        "signature": compiled.signature,
        "cc": list(compiled.cc),
        "entry_name": compiled.entry_name,
        "ptx": compiled.ptx,
        "ptx_kind": compiled.ptx_kind,
        "resources": None if compiled.resources is None else asdict(compiled.resources),
        "cubin_base64": None
        if compiled.cubin is None
        else base64.b64encode(compiled.cubin).decode(),
    }
    try:
        write_atomically(path, json.dumps(entry))
    except OSError as error:
        warn_not_caching("compiled PTX", path.parent, error)


def sass_opcode_counts(compiled: CompiledKernel) -> dict[str, int]:
    """Static count of each SASS opcode (with modifiers, e.g. ``HMMA.16816.F32``).

    Counts every instruction of the entry's code section (``sass_listing``) once,
    including the alignment ``NOP``s ptxas places after the final branch; predicates are
    not part of the opcode.
    """
    return dict(Counter(_SASS_INSTRUCTION.findall(sass_listing(compiled))).most_common())


_SASS_INSTRUCTION = re.compile(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_.]*)")


def sass_listing(compiled: CompiledKernel, *, cache_dir: Path | None = None) -> str:
    """``nvdisasm -c`` of the kernel's cubin (the ``nvidia-cuda-nvdisasm`` wheel's).

    Cached beside the compiled PTX, keyed by the SHA-256 of the cubin and nvdisasm's path
    (a cache that cannot be written costs only the caching).
    """
    if compiled.cubin is None:
        raise KernelError(f"{compiled.kernel_name}: no cubin (nvJitLink unavailable)")
    nvdisasm = find_nvdisasm()
    digest = hashlib.sha256(compiled.cubin + nvdisasm.encode()).hexdigest()
    path = (cache_dir or gpusim_cache_dir()) / "sass" / f"{digest}.txt"
    try:
        return path.read_text()
    except OSError:
        pass  # not cached yet (or unreadable): disassembled and stored below
    with tempfile.TemporaryDirectory() as temp_dir:
        cubin_path = Path(temp_dir) / "kernel.cubin"
        cubin_path.write_bytes(compiled.cubin)
        listing = subprocess.run(
            [nvdisasm, "-c", str(cubin_path)], capture_output=True, text=True, check=True
        ).stdout
    try:
        write_atomically(path, listing)
    except OSError as error:
        warn_not_caching("SASS listings", path.parent, error)
    return listing


def find_nvdisasm() -> str:
    """The path of the nvidia-cuda-nvdisasm wheel's nvdisasm; KernelError where it is absent."""
    from cuda.pathfinder import find_nvidia_binary_utility

    path = find_nvidia_binary_utility("nvdisasm")
    if path is None:
        raise KernelError("nvdisasm not found: install the nvidia-cuda-nvdisasm wheel")
    return str(path)
