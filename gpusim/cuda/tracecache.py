"""Traces kept on disk, so a kernel at a size is emulated once per gpusim version.

A trace is a pure function of the kernel's source, its parameters, the compute capability
and the code that builds traces (compiler glue, PTX front end, trace format). The cache key
hashes all of them, so an edited kernel or emulator never serves a stale trace. Files are
written atomically by ``KernelTrace.save``; an unreadable cache file is rebuilt, and a cache
folder that cannot be written costs only the caching (one warning line).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path

from gpusim.cache import cache_dir, warn_not_caching
from gpusim.cuda.kernels import KernelParams, get_kernel
from gpusim.cuda.trace import FORMAT_VERSION, KernelTrace
from gpusim.cuda.tracegen import build_trace
from gpusim.errors import TraceError

CUDA_DIR = Path(__file__).parent


@functools.cache
def _front_end_digest() -> str:
    """A digest of every source that decides what a trace holds."""
    digest = hashlib.sha256(str(FORMAT_VERSION).encode())
    for source in sorted(CUDA_DIR.rglob("*.py")):
        digest.update(str(source.relative_to(CUDA_DIR)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def trace_path(kernel: str, params: KernelParams, cc: tuple[int, int]) -> Path:
    """Where the trace of ``kernel`` at ``params`` for ``cc`` is kept."""
    get_kernel(kernel).check(params)
    key = json.dumps(
        {
            "kernel": kernel,
            "params": dataclasses.asdict(params),
            "cc": list(cc),
            "front_end": _front_end_digest(),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_dir() / "traces" / f"{kernel}-{digest}.npz"


def cached_trace(kernel: str, params: KernelParams, cc: tuple[int, int] = (9, 0)) -> KernelTrace:
    """The trace of one launch, from the disk cache or built (and cached) now."""
    path = trace_path(kernel, params, cc)
    if path.exists():
        try:
            return KernelTrace.load(path)
        except TraceError:
            pass  # rebuilt below, and the bad file replaced
    trace = build_trace(kernel, params, cc)
    try:
        trace.save(path)
    except OSError as error:
        warn_not_caching("traces", path.parent, error)
    return trace
