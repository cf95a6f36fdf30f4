"""The microbenchmark kernels' facts, after te42kyfo/gpu-benches, and what they report.

The kernels (Numba module ``microbench``) are the project's versions of three gpu-benches
programs whose published curves are in ``validation/published/``:

* ``pointer_chase`` (gpu-latency): one thread chases a chain with one element per 128-byte
  line of a ``working_set_bytes`` buffer (the line's last 8 bytes), line i pointing to line
  i + 1 (the last back to the first), so every load touches a new line and depends on the
  one before. Reported:
  cycles per access.
* ``read_bandwidth`` (gpu-l2-cache): the whole GPU reads a ``size_bytes`` buffer of fp64
  ``passes`` times, each pass rotated by a block so that no SM re-reads its own lines (L1
  would serve them): a buffer that fits in L2 is read from L2. Reported: bytes read per
  second.
* ``stream_scale`` (gpu-stream's "scale"): ``a[i] = b[i] * scalar`` over fp64 arrays of
  ``size_bytes`` each, 1024-thread blocks. Reported: bytes read and written per second.

The sources run each kernel many times on the same buffers and report the steady state.
A simulated launch starts with empty caches, so the chase and the read kernel are measured
as the difference of two launches (``warm_pair``): one that makes a first traversal
(which leaves in the caches what the source's earlier repetitions left there), and one
that makes the same traversal and then the measured one; the figure is the second's extra
work over its extra time, launch overhead and cold misses cancelled. The stream kernel
moves arrays far larger than any L2 once per launch, which is its steady state too: it is
one launch (``warm_pair`` None).

Chains are capped at ``MAX_CHASE_STEPS`` a traversal to keep tracing to seconds. A chain
longer than that is walked for its first ``MAX_CHASE_STEPS`` lines twice over, so the
measured traversal touches only new lines: the steady state of a chase over a working set
larger than every cache, and only that. ``check_sizes`` refuses a longer chain whose
working set does not exceed ``MIN_CAPPED_WORKING_SET_BYTES`` (larger than every preset's
L2), where that would be wrong.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels.kernel_def import (
    KernelArg,
    KernelDef,
    LaunchConfig,
    SizeOptions,
    ceil_div,
)
from gpusim.cuda.kernels.operands import (
    POISONED,
    Computed,
    Constant,
    Indices,
    Operand,
    RandomNonzero,
    Values,
)
from gpusim.cuda.kernels.params import (
    KernelParams,
    PointerChaseParams,
    ReadBandwidthParams,
    StreamParams,
)
from gpusim.errors import KernelError

MODULE = "gpusim.cuda.kernels.microbench"
LINE_BYTES = 128
"""A chain element per cache line: the L1 and L2 line of every preset."""
INDEX_BYTES = 8
FP64_BYTES = 8
INDICES_PER_LINE = LINE_BYTES // INDEX_BYTES
CHAIN_START = INDICES_PER_LINE - 1
"""The chain's element of line 0 (the line's last, so no element is index 0)."""
MAX_CHASE_STEPS = 1 << 14
"""Lines a chase traverses at most per pass (2 MiB of lines): a traversal traces in about
four seconds (the emulator runs a few thousand dependent steps a second)."""
MIN_CAPPED_WORKING_SET_BYTES = 256 << 20
"""A chain longer than ``MAX_CHASE_STEPS`` lines must span more than this: above every
preset's L2 (60 MiB on H200), so a traversal of new lines is the steady state."""
THREADS_PER_BLOCK = 256
READ_BLOCKS = 1024
"""Grid of the read kernel: every SM of any preset busy (as for ``copy``)."""
STREAM_THREADS_PER_BLOCK = 1024
"""gpu-stream's block size."""
NOT_AN_INDEX = np.iinfo(np.uint64).max

Quantity = Literal["latency", "bandwidth"]
P = TypeVar("P", bound=KernelParams)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MicrobenchmarkKernelDef(KernelDef[P]):
    """A microbenchmark: its work per launch and the figure it reports.

    ``quantity`` is what the source reports: ``latency`` in cycles per access (``work``
    counts accesses), ``bandwidth`` in bytes per second (``work`` counts bytes).
    """

    family: Literal["microbenchmark"] = "microbenchmark"
    quantity: Quantity

    @abstractmethod
    def work(self, params: P) -> int:
        """Accesses (latency) or bytes moved (bandwidth) of one launch."""

    def warm_pair(self, params: P) -> tuple[P, P] | None:
        """(warm-up launch, warm-up plus measured launch), or None: measured by one launch."""
        return None

    def flops(self, params: P) -> int:
        return 0

    def figure(self, work: float, seconds: float, clock_hz: float) -> float:
        """The reported figure of ``work`` done in ``seconds``: cycles per access or bytes/s."""
        if self.quantity == "latency":
            return seconds * clock_hz / work
        return work / seconds


@dataclasses.dataclass(frozen=True)
class Chain(Computed):
    """The chase's buffer: line i's last element holds the index of line i + 1's (the last
    line's, line 0's); every other element is ``NOT_AN_INDEX``."""

    lines: int

    def values(self, indices: Indices, dtype: np.dtype[Any]) -> Values:
        line, within = np.divmod(indices, INDICES_PER_LINE)
        heads = (within == CHAIN_START) & (line < self.lines)
        following = (line + 1) % self.lines * INDICES_PER_LINE + CHAIN_START
        chained = np.where(heads, following.astype(np.uint64), np.uint64(NOT_AN_INDEX))
        return chained.astype(dtype, copy=False)


class PointerChaseDef(MicrobenchmarkKernelDef[PointerChaseParams]):
    """Arguments (chain, steps, out): the uint64 chain, the step count, the final index."""

    def lines(self, params: PointerChaseParams) -> int:
        return params.working_set_bytes // LINE_BYTES

    def params_from_size(
        self, numbers: tuple[int, ...], options: SizeOptions
    ) -> PointerChaseParams | None:
        """``--size`` is the working set: one traversal of it (capped) is chased."""
        if len(numbers) != 1 or numbers[0] < LINE_BYTES:
            return None
        return PointerChaseParams(numbers[0], self.pass_steps(numbers[0]))

    def pass_steps(self, working_set_bytes: int) -> int:
        """Steps of one traversal of a chain over ``working_set_bytes`` (capped)."""
        return min(working_set_bytes // LINE_BYTES, MAX_CHASE_STEPS)

    def warm_pair(
        self, params: PointerChaseParams
    ) -> tuple[PointerChaseParams, PointerChaseParams]:
        steps = self.pass_steps(params.working_set_bytes)
        return (
            PointerChaseParams(params.working_set_bytes, steps),
            PointerChaseParams(params.working_set_bytes, 2 * steps),
        )

    def numba_signature(self, params: PointerChaseParams) -> str:
        return "void(uint64[::1], int64, uint64[::1])"

    def check_sizes(self, params: PointerChaseParams) -> None:
        if params.working_set_bytes % LINE_BYTES:
            raise KernelError(
                f"{self.name}: working_set_bytes must be a multiple of {LINE_BYTES}, "
                f"got {params.working_set_bytes}"
            )
        lines = self.lines(params)
        if lines > MAX_CHASE_STEPS and params.working_set_bytes <= MIN_CAPPED_WORKING_SET_BYTES:
            raise KernelError(
                f"{self.name}: working_set_bytes between {MAX_CHASE_STEPS * LINE_BYTES} and "
                f"{MIN_CAPPED_WORKING_SET_BYTES} would need more than {MAX_CHASE_STEPS} steps "
                f"a traversal, got {params.working_set_bytes}"
            )

    def launch_for(self, params: PointerChaseParams) -> LaunchConfig:
        return LaunchConfig(grid=(1, 1, 1), block=(1, 1, 1))

    def operands(self, params: PointerChaseParams) -> tuple[Operand | int, ...]:
        self.check(params)
        chain = Chain(self.lines(params))
        return (
            Operand.of((params.working_set_bytes // INDEX_BYTES,), np.uint64, chain),
            params.steps,
            Operand.of((1,), np.uint64, Constant(NOT_AN_INDEX)),
        )

    def reference(
        self, args: tuple[KernelArg, ...], params: PointerChaseParams
    ) -> npt.NDArray[Any]:
        """The index reached by walking the given chain ``steps`` times from its start."""
        chain = np.asarray(args[0])
        index = CHAIN_START
        for _ in range(params.steps):
            index = int(chain[index])
        return np.array([index], np.uint64)

    def work(self, params: PointerChaseParams) -> int:
        return params.steps

    def min_dram_bytes(self, params: PointerChaseParams) -> int:
        return min(params.steps, self.lines(params)) * LINE_BYTES


class ReadBandwidthDef(MicrobenchmarkKernelDef[ReadBandwidthParams]):
    """Arguments (data, passes, out): fp64 data, the pass count, one sum per thread."""

    def params_from_size(
        self, numbers: tuple[int, ...], options: SizeOptions
    ) -> ReadBandwidthParams | None:
        """``--size`` is the buffer: read twice (a warm-up pass and a measured one)."""
        return ReadBandwidthParams(numbers[0], 2) if len(numbers) == 1 else None

    def warm_pair(
        self, params: ReadBandwidthParams
    ) -> tuple[ReadBandwidthParams, ReadBandwidthParams]:
        return ReadBandwidthParams(params.size_bytes, 1), ReadBandwidthParams(params.size_bytes, 2)

    def numba_signature(self, params: ReadBandwidthParams) -> str:
        return "void(float64[::1], int64, float64[::1])"

    def check_sizes(self, params: ReadBandwidthParams) -> None:
        if params.size_bytes % FP64_BYTES:
            raise KernelError(
                f"{self.name}: size_bytes must be a multiple of {FP64_BYTES}, "
                f"got {params.size_bytes}"
            )

    def launch_for(self, params: ReadBandwidthParams) -> LaunchConfig:
        elements = params.size_bytes // FP64_BYTES
        blocks = min(ceil_div(elements, THREADS_PER_BLOCK), READ_BLOCKS)
        return LaunchConfig(grid=(blocks, 1, 1), block=(THREADS_PER_BLOCK, 1, 1))

    def operands(self, params: ReadBandwidthParams) -> tuple[Operand | int, ...]:
        self.check(params)
        data = Operand.of((params.size_bytes // FP64_BYTES,), np.float64, RandomNonzero(np.float64))
        threads = self.launch_for(params).blocks * THREADS_PER_BLOCK
        return data, params.passes, Operand.of((threads,), np.float64, POISONED)

    def reference(
        self, args: tuple[KernelArg, ...], params: ReadBandwidthParams
    ) -> npt.NDArray[Any]:
        """Per thread, the sum over passes of its grid-stride elements of the rotated buffer."""
        data = np.asarray(args[0])
        threads = self.launch_for(params).blocks * THREADS_PER_BLOCK
        sums = np.zeros(threads)
        for rotation in range(params.passes):
            padded = np.zeros(ceil_div(data.size, threads) * threads)
            padded[: data.size] = np.roll(data, -((rotation * THREADS_PER_BLOCK) % data.size))
            sums += padded.reshape(-1, threads).sum(axis=0)
        return sums

    def work(self, params: ReadBandwidthParams) -> int:
        return params.size_bytes * params.passes

    def min_dram_bytes(self, params: ReadBandwidthParams) -> int:
        return params.size_bytes


class StreamScaleDef(MicrobenchmarkKernelDef[StreamParams]):
    """Arguments (a, b, scalar): a = b * scalar over fp64 arrays of ``size_bytes``."""

    def numba_signature(self, params: StreamParams) -> str:
        return "void(float64[::1], float64[::1], float64)"

    def check_sizes(self, params: StreamParams) -> None:
        if params.size_bytes % FP64_BYTES:
            raise KernelError(
                f"{self.name}: size_bytes must be a multiple of {FP64_BYTES}, "
                f"got {params.size_bytes}"
            )

    def launch_for(self, params: StreamParams) -> LaunchConfig:
        blocks = ceil_div(params.size_bytes // FP64_BYTES, STREAM_THREADS_PER_BLOCK)
        return LaunchConfig(grid=(blocks, 1, 1), block=(STREAM_THREADS_PER_BLOCK, 1, 1))

    def operands(self, params: StreamParams) -> tuple[Operand | float, ...]:
        self.check(params)
        elements = params.size_bytes // FP64_BYTES
        return (
            Operand.of((elements,), np.float64, POISONED),
            Operand.of((elements,), np.float64, RandomNonzero(np.float64)),
            3.0,
        )

    def reference(self, args: tuple[KernelArg, ...], params: StreamParams) -> npt.NDArray[Any]:
        return np.asarray(args[1]) * float(args[2])

    def work(self, params: StreamParams) -> int:
        return 2 * params.size_bytes

    def flops(self, params: StreamParams) -> int:
        return params.size_bytes // FP64_BYTES

    def min_dram_bytes(self, params: StreamParams) -> int:
        return 2 * params.size_bytes


POINTER_CHASE = PointerChaseDef(
    name="pointer_chase",
    kernel_module=MODULE,
    params_type=PointerChaseParams,
    sample_params=PointerChaseParams(working_set_bytes=64 * LINE_BYTES, steps=150),
    size_syntax="a working set in bytes (a multiple of 128)",
    output_arg=2,
    rel_tolerance=0.0,
    quantity="latency",
)
READ_BANDWIDTH = ReadBandwidthDef(
    name="read_bandwidth",
    kernel_module=MODULE,
    params_type=ReadBandwidthParams,
    sample_params=ReadBandwidthParams(size_bytes=8 * 3001, passes=2),
    size_syntax="a buffer size in bytes (a multiple of 8)",
    output_arg=2,
    # The kernel adds a thread's elements in order, pass after pass; the reference sums
    # the same values pairwise and multiplies: fp64 rounding apart, well inside 1e-12.
    rel_tolerance=1e-12,
    quantity="bandwidth",
)
STREAM_SCALE = StreamScaleDef(
    name="stream_scale",
    kernel_module=MODULE,
    params_type=StreamParams,
    sample_params=StreamParams(size_bytes=8 * 3001),
    size_syntax="an array size in bytes (a multiple of 8)",
    output_arg=0,
    rel_tolerance=0.0,  # one fp64 multiply per element, as NumPy does it
    quantity="bandwidth",
)

VARIANTS: tuple[MicrobenchmarkKernelDef[Any], ...] = (
    POINTER_CHASE,
    READ_BANDWIDTH,
    STREAM_SCALE,
)
"""Every microbenchmark, in the order the registry lists them."""
