"""What every registered kernel says about itself: the contract between kernels and users.

A ``KernelDef`` holds a kernel's facts and answers, for one problem size, everything the
rest of gpusim needs without running it: its family and params type, how a command-line
size and a scenario workload become params, the sizes and GPUs it can run on, the Numba
signature to compile, the launch configuration, the inputs to feed it, the output to
expect, and the work it does. The compiler, the PTX emulator, the self-check, the GPU
timing harness and scenario validation all read the same description, so the kernel they
check, compile, emulate and time is one and the same.

This module and the facts modules (``*_def.py``) never import Numba: scenario validation
and the command line read kernel facts without paying for it. The kernel function itself
lives in its Numba module (``kernel_module``, under the kernel's name) and is imported on
first use of ``pyfunc``. Dispatchers are created lazily too: ``cuda.jit("sig")`` compiles
eagerly and needs a driver, which machines without a GPU do not have; the raw function
plus ``numba_signature`` is enough to compile PTX anywhere. Kernel functions are device
code typed by Numba, not by mypy: they carry ``@no_type_check``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels.operands import Operand
from gpusim.cuda.kernels.params import KernelParams
from gpusim.errors import KernelError

Family = Literal["gemm", "copy", "allreduce", "microbenchmark"]
KernelArg: TypeAlias = npt.NDArray[Any] | int | float
"""A kernel argument as ``make_args`` builds it: a host array, or an int64 or fp64 scalar."""

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


@dataclass(frozen=True)
class SizeOptions:
    """The command-line options beside ``--size`` that some families read.

    All-reduce kernels take the ring's ``ranks``, the ``step`` and (one-rank steps) the
    ``rank``; other families ignore them.
    """

    ranks: int = 8
    step: int = 0
    rank: int = 0


@dataclass(frozen=True, kw_only=True)
class KernelDef(ABC, Generic[P]):
    """One concrete, registered kernel variant.

    ``kernel_module`` is the Numba module that defines the kernel function under ``name``;
    ``sample_params`` a small size, not a tile multiple where the kernel allows it, that the
    self-check and the smoke suite run; ``output_arg`` the index in ``make_args``'s tuple of
    the array the kernel writes; ``rel_tolerance`` bounds ``||out - ref|| / ||ref||`` for a
    correct run; ``runs_on_cudasim`` is False for kernels the CUDA simulator cannot execute
    (inline PTX); ``min_compute_capability`` is the oldest GPU generation whose instructions
    the kernel uses (None: any the compiler targets).
    """

    name: str
    family: Family
    kernel_module: str
    params_type: type[P]
    sample_params: P
    output_arg: int
    rel_tolerance: float
    runs_on_cudasim: bool = True
    min_compute_capability: tuple[int, int] | None = None
    planning_flops_per_s: float | None = None
    """FLOP/s an H100 roughly reaches with it, to plan recordings (None: plan by bytes)."""

    size_syntax: str = "one integer"
    """What ``--size`` takes, for help texts and errors (families override it)."""

    @property
    def pyfunc(self) -> Callable[..., None]:
        """The raw Python kernel function, imported from ``kernel_module`` (loads Numba)."""
        return _kernel_function(self.kernel_module, self.name)

    def parse_size(self, size: str, options: SizeOptions = SizeOptions()) -> P:
        """The params of the command line's ``--size`` text (``x``-separated integers).

        KernelError names the kernel and the size syntax when the text does not fit it.
        """
        try:
            numbers = tuple(int(part) for part in size.lower().split("x"))
        except ValueError:
            numbers = ()
        params = self.params_from_size(numbers, options) if numbers else None
        if params is None:
            raise KernelError(f"{self.name}: size must be {self.size_syntax}, got {size!r}")
        return params

    def params_from_size(self, numbers: tuple[int, ...], options: SizeOptions) -> P | None:
        """Params from a size's integers, or None if they do not fit ``size_syntax``.

        The default reads one integer as the params type's first field.
        """
        if len(numbers) != 1:
            return None
        first = dataclasses.fields(self.params_type)[0].name
        return self.params_type(**{first: numbers[0]})

    def params_for(self, workload: object) -> P:
        """The params of a scenario workload, which carries the params' fields by name."""
        names = [field.name for field in dataclasses.fields(self.params_type)]
        missing = [name for name in names if not hasattr(workload, name)]
        if missing:
            raise KernelError(
                f"{self.name}: a {type(workload).__name__} has no {', '.join(missing)} "
                f"for {self.params_type.__name__}"
            )
        return self.params_type(**{name: getattr(workload, name) for name in names})

    def check_compute_capability(self, cc: tuple[int, int], gpu_name: str) -> None:
        """Raise KernelError if a GPU of compute capability ``cc`` lacks the kernel's opcodes."""
        needed = self.min_compute_capability
        if needed is not None and cc < needed:
            raise KernelError(
                f"{self.name} needs compute capability {needed[0]}.{needed[1]} or newer, "
                f"{gpu_name} has {cc[0]}.{cc[1]}"
            )

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
    def operands(self, params: P) -> tuple[Operand | int | float, ...]:
        """The arguments, arrays described (not allocated): random non-zero inputs, outputs
        poisoned with NaN; raises KernelError like ``check`` for sizes it cannot run.

        No input element is zero, so an output element the kernel forgets to write can
        never equal the reference by accident (in-place outputs included).
        """

    def make_args(self, params: P, rng: np.random.Generator) -> tuple[KernelArg, ...]:
        """Fresh host arguments: ``operands`` materialised, drawn from ``rng`` in order."""
        return tuple(
            arg.dense(rng) if isinstance(arg, Operand) else arg for arg in self.operands(params)
        )

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
def _kernel_function(module: str, name: str) -> Callable[..., None]:
    function: Callable[..., None] = getattr(importlib.import_module(module), name)
    return function


@functools.cache
def _specialised_dispatcher(pyfunc: Callable[..., None], signature: str) -> Any:
    from numba import cuda  # needs a device: imported only where one is used

    return cuda.jit(signature)(pyfunc)
