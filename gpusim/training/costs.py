"""Operator durations from the SM engine, simulated once per (GPU, kernel, shape) and kept.

A product runs as one launch of the chosen GEMM kernel at its shape, padded up to the
kernel's size multiples (the kernel computes whole tiles). A memory-bound operator runs at
the sustained rate of the copy kernel: one copy of ``COPY_REFERENCE_L2_MULTIPLE`` times the
L2 size is simulated per GPU, and an operator moving ``B`` bytes takes the copy's launch
overhead plus ``B`` at the copy's bytes per second of execution (operators whose data would
stay in L2 are timed at DRAM rate: an overestimate for small ones).

Every duration is cached on disk under ``<gpusim cache>/training/``, keyed by a digest of the
GPU spec (less its NVLink ports, which the engine does not read), the engine's sources, the
kernel, the shape and the engine mode, so a 70B-class model, whose layers repeat the same
shapes, simulates each shape once, a second run of a step simulates nothing, and an NVLink
study simulates its operators once for all its points.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpusim.api import Progress, simulate_kernel
from gpusim.cache import cache_dir, warn_not_caching, writable_folder
from gpusim.cuda.kernels import CopyParams, GemmParams, KernelParams
from gpusim.cuda.kernels.copy_def import VECTOR_BYTES
from gpusim.cuda.kernels.gemm_def import GemmKernelDef
from gpusim.files import write_atomically
from gpusim.hw.sm.engine_cache import engine_digest
from gpusim.hw.sm.result import Mode
from gpusim.spec.gpu import GpuSpec
from gpusim.training.operators import Gemm, Operator

COPY_KERNEL = "copy"
COPY_REFERENCE_L2_MULTIPLE = 4
"""The reference copy moves four times L2's size, so its rate is DRAM's sustained rate."""

LaunchWatch = Callable[[str, KernelParams], Progress | None]
"""Told of each launch the engine is about to simulate (one no cache holds): its kernel and
shape; returns the engine's progress callback for that launch, or ``None``."""


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def padded(gemm: Gemm, kernel: GemmKernelDef) -> GemmParams:
    """The launch's shape: ``gemm`` rounded up to the kernel's size multiples."""
    return GemmParams(
        _round_up(gemm.m, kernel.m_multiple),
        _round_up(gemm.n, kernel.n_multiple),
        _round_up(gemm.k, kernel.k_multiple),
    )


class OperatorCosts:
    """Seconds each operator takes on one GPU, from the engine (cached in memory and on disk)."""

    def __init__(
        self,
        gpu: GpuSpec,
        kernel: GemmKernelDef,
        *,
        mode: Mode = "fast",
        folder: Path | None = None,
        watch: LaunchWatch | None = None,
    ) -> None:
        """``folder`` keeps the durations (default: ``<gpusim cache>/training``); ``watch``
        is told of each launch the engine simulates."""
        self.gpu = gpu
        self.kernel = kernel
        self.mode: Mode = mode
        self.simulated = 0
        """Engine simulations this object ran (the rest came from a cache)."""
        self._folder = cache_dir() / "training" if folder is None else folder
        self._watch = watch
        # the SM engine never reads the GPU's NVLink ports (the network model does), so a
        # study of NVLink bandwidth reuses every operator's time
        spec = gpu.model_dump(exclude={"nvlink"})
        self._spec_digest = _digest({"gpu": spec, "engine": engine_digest()})
        self._launches: dict[str, tuple[float, float]] = {}
        self._copy: tuple[float, float] | None = None

    def seconds(self, op: Operator) -> float:
        """Duration of ``op`` on this GPU."""
        if isinstance(op, Gemm):
            params = padded(op, self.kernel)
            return self._launch(self.kernel.name, params)[0]
        overhead_s, bytes_per_s = self._copy_rate()
        return overhead_s + op.bytes_moved / bytes_per_s

    def _copy_rate(self) -> tuple[float, float]:
        """The reference copy's launch overhead (s) and execution rate (bytes/s)."""
        if self._copy is None:
            size = _round_up(COPY_REFERENCE_L2_MULTIPLE * self.gpu.l2.size_bytes, VECTOR_BYTES)
            total_s, overhead_s = self._launch(COPY_KERNEL, CopyParams(size))
            self._copy = (overhead_s, 2 * size / (total_s - overhead_s))
        return self._copy

    def _launch(self, kernel: str, params: KernelParams) -> tuple[float, float]:
        """One launch's time and launch overhead (s), from a cache or the engine."""
        name = _digest([self._spec_digest, self.mode, kernel, params])
        if name in self._launches:
            return self._launches[name]
        path = self._folder / f"{name}.json"
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            launch = (float(stored["time_s"]), float(stored["launch_overhead_s"]))
        except (OSError, ValueError, KeyError, TypeError):
            self.simulated += 1
            progress = None if self._watch is None else self._watch(kernel, params)
            result = simulate_kernel(self.gpu, kernel, params, mode=self.mode, progress=progress)
            launch = (result.time_s, result.launch_overhead_s)
            self._store(path, launch)
        self._launches[name] = launch
        return launch

    def _store(self, path: Path, launch: tuple[float, float]) -> None:
        error = writable_folder(self._folder)
        if error is not None:
            warn_not_caching("training operator times", self._folder, error)
            return
        time_s, overhead_s = launch
        write_atomically(path, json.dumps({"time_s": time_s, "launch_overhead_s": overhead_s}))


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:24]
