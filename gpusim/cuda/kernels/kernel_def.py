"""What every registered kernel says about itself: the contract between kernels and users.

A ``KernelDef`` holds the raw Python kernel function and answers, for one problem size,
everything the rest of gpusim needs without running it: the Numba signature to compile,
the launch configuration, the inputs to feed it, the output to expect, and the work it
does. The compiler, the PTX emulator, the self-check and the GPU timing harness all read
the same description, so the kernel they compile, emulate and time is one and the same.

Dispatchers are created lazily: ``cuda.jit("sig")`` compiles eagerly and needs a driver,
which machines without a GPU do not have; the raw function plus ``numba_signature`` is
enough to compile PTX anywhere. Kernel functions are device code typed by Numba, not by
mypy: they carry ``@no_type_check``.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
from numba import cuda

from gpusim.cuda.kernels.params import KernelParams
from gpusim.errors import KernelError

Family = Literal["gemm", "copy", "allreduce"]
KernelArg: TypeAlias = npt.NDArray[Any] | int
"""A kernel argument as ``make_args`` builds it: a host array, or an int64 scalar."""

P = TypeVar("P", bound=KernelParams)

THREADS_PER_WARP = 32


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer ceiling of numerator / denominator for positive operands."""
    return -(-numerator // denominator)


@dataclass(frozen=True)
class LaunchConfig:
    """Grid and block as 3-tuples (x, y, z), plus dynamic shared memory per block."""

    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    dynamic_shared_bytes: int = 0

    @property
    def threads_per_block(self) -> int:
        x, y, z = self.block
        return x * y * z

    @property
    def blocks(self) -> int:
        x, y, z = self.grid
        return x * y * z

    @property
    def warps_per_block(self) -> int:
        return ceil_div(self.threads_per_block, THREADS_PER_WARP)


@dataclass(frozen=True, kw_only=True)
class KernelDef(ABC, Generic[P]):
    """One concrete, registered kernel variant.

    ``output_arg`` is the index in ``make_args``'s tuple of the array the kernel writes;
    ``rel_tolerance`` bounds ``||out - ref|| / ||ref||`` for a correct run;
    ``runs_on_cudasim`` is False for kernels the CUDA simulator cannot execute (inline PTX).
    """

    name: str
    family: Family
    pyfunc: Callable[..., None]
    params_type: type[P]
    output_arg: int
    rel_tolerance: float
    runs_on_cudasim: bool = True

    @abstractmethod
    def numba_signature(self, params: P) -> str:
        """The explicit Numba signature (e.g. ``void(float32[:, ::1], ...)``) for these sizes."""

    @abstractmethod
    def check_sizes(self, params: P) -> None:
        """Raise KernelError, naming the kernel and the parameter, if it cannot run these sizes."""

    @abstractmethod
    def launch_for(self, params: P) -> LaunchConfig:
        """The launch configuration, for sizes already checked."""

    @abstractmethod
    def make_args(self, params: P, rng: np.random.Generator) -> tuple[KernelArg, ...]:
        """Fresh host arguments: random non-zero inputs, outputs poisoned with NaN.

        No input element is zero, so an output element the kernel forgets to write can
        never equal the reference by accident (in-place outputs included).
        """

    @abstractmethod
    def reference(self, args: tuple[KernelArg, ...], params: P) -> npt.NDArray[Any]:
        """What ``args[output_arg]`` must hold after one launch on ``args`` (taken before it)."""

    @abstractmethod
    def flops(self, params: P) -> int:
        """Floating-point operations of one launch (a fused multiply-add counts two)."""

    @abstractmethod
    def min_dram_bytes(self, params: P) -> int:
        """DRAM traffic if every input element is read once and every output written once."""

    def check(self, params: P) -> None:
        """Raise KernelError unless ``params`` is this kernel's params type and fits it."""
        if not isinstance(params, self.params_type):
            raise KernelError(
                f"{self.name}: params must be {self.params_type.__name__}, "
                f"got {type(params).__name__}"
            )
        self.check_sizes(params)

    def launch(self, params: P) -> LaunchConfig:
        """The checked launch configuration for these sizes."""
        self.check(params)
        return self.launch_for(params)

    def dispatcher(self, params: P) -> Any:
        """The specialised Numba dispatcher for these sizes' signature (needs a device).

        Created on first use and shared afterwards, so a timing loop pays no compilation
        and the launch path skips argument-type dispatch.
        """
        self.check(params)
        return _specialised_dispatcher(self.pyfunc, self.numba_signature(params))

    def launcher(self, params: P, stream: Any = 0) -> Any:
        """``dispatcher[grid, block, stream, dynamic_shared_bytes]``: call it with the args.

        This is the single place that turns a launch configuration into a Numba launch; the
        self-check and the GPU timing harness both launch through it.
        """
        config = self.launch(params)
        return self.dispatcher(params)[
            config.grid, config.block, stream, config.dynamic_shared_bytes
        ]


@functools.cache
def _specialised_dispatcher(pyfunc: Callable[..., None], signature: str) -> Any:
    return cuda.jit(signature)(pyfunc)


def random_nonzero(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: npt.DTypeLike
) -> npt.NDArray[Any]:
    """Uniform magnitudes in [0.25, 1) with random signs: never zero, even rounded to fp16."""
    magnitude = rng.uniform(0.25, 1.0, size=shape)
    sign = rng.choice(np.array([-1.0, 1.0]), size=shape)
    values: npt.NDArray[Any] = (magnitude * sign).astype(dtype)
    return values


def poisoned(shape: tuple[int, ...], dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """An output buffer full of NaN: any element the kernel does not write stays NaN."""
    return np.full(shape, np.nan, dtype=dtype)
