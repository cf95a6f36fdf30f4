"""A kernel's array arguments described, not allocated: shape, storage dtype and contents.

One description serves two consumers. ``make_args`` materialises every operand on the host
(``Operand.dense``: a NumPy array drawn from the caller's generator, operands in argument
order), which numerical proofs and GPU recordings need. The tracer never does: it maps each
operand into the emulator's paged global memory, whose pages ask ``Operand.elements_at``
for their values on first touch, so a trace holds only what its emulated CTAs touch.
``elements_at`` is a function of the element index and a seed alone, so a page's values do
not depend on which CTA touched it first; random contents follow the dense distribution
but not its exact values (the registered kernels' traces do not depend on data values,
``tests/cuda/test_sparse_operands.py``; the pointer chase's chain, whose addresses are its
data, is the same in both).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Values = npt.NDArray[Any]
Indices = npt.NDArray[np.int64]

_GOLDEN_GAMMA = 0x9E3779B97F4A7C15
"""splitmix64's increment (Steele, Lea, Flood 2014, "Fast splittable PRNGs")."""
_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_UINT64_MASK = (1 << 64) - 1
_MANTISSA_BITS = 53


def random_nonzero(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: npt.DTypeLike
) -> npt.NDArray[Any]:
    """Uniform magnitudes in [0.25, 1) with random signs: never zero, even rounded to fp16."""
    magnitude = rng.uniform(0.25, 1.0, size=shape)
    sign = rng.choice(np.array([-1.0, 1.0]), size=shape)
    values: npt.NDArray[Any] = (magnitude * sign).astype(dtype)
    return values


def hashed_nonzero(indices: Indices, seed: int) -> npt.NDArray[np.float64]:
    """``random_nonzero``'s distribution as a function of each index: splitmix64 of the
    seed and the index gives 53 bits of magnitude in [0.25, 1) and the sign from bit 0."""
    offset = np.uint64((seed * _GOLDEN_GAMMA + _GOLDEN_GAMMA) & _UINT64_MASK)
    bits = indices.astype(np.uint64) * np.uint64(_GOLDEN_GAMMA) + offset
    bits ^= bits >> np.uint64(30)
    bits *= _MIX_1
    bits ^= bits >> np.uint64(27)
    bits *= _MIX_2
    bits ^= bits >> np.uint64(31)
    unit = (bits >> np.uint64(64 - _MANTISSA_BITS)).astype(np.float64) * 2.0**-_MANTISSA_BITS
    sign = np.where((bits & np.uint64(1)) == 1, -1.0, 1.0)
    values: npt.NDArray[np.float64] = (0.25 + 0.75 * unit) * sign
    return values


class Contents(ABC):
    """What an operand holds, drawn whole (``draw``) or element by element (``at``)."""

    @abstractmethod
    def draw(self, rng: np.random.Generator, count: int, dtype: np.dtype[Any]) -> Values:
        """``count`` elements of ``dtype``, flat, drawn from ``rng`` (``make_args``' values)."""

    @abstractmethod
    def at(self, indices: Indices, seed: int, dtype: np.dtype[Any]) -> Values:
        """The elements at flat ``indices``, a function of each index and ``seed`` only."""


@dataclass(frozen=True)
class RandomNonzero(Contents):
    """``random_nonzero`` values drawn in ``draw_dtype`` and made into the storage by
    ``convert`` (default: a cast; complex storage takes two draws per element, real part
    first)."""

    draw_dtype: npt.DTypeLike = np.float32
    convert: Callable[[Values], Values] | None = None

    def draw(self, rng: np.random.Generator, count: int, dtype: np.dtype[Any]) -> Values:
        scalars = _scalars_per_element(dtype)
        return self._finish(random_nonzero(rng, (count * scalars,), self.draw_dtype), dtype)

    def at(self, indices: Indices, seed: int, dtype: np.dtype[Any]) -> Values:
        scalars = _scalars_per_element(dtype)
        scalar_indices = (indices[:, None] * scalars + np.arange(scalars)).reshape(-1)
        return self._finish(hashed_nonzero(scalar_indices, seed).astype(self.draw_dtype), dtype)

    def _finish(self, values: Values, dtype: np.dtype[Any]) -> Values:
        if self.convert is not None:
            return self.convert(values)
        if dtype.kind == "c":
            return values.view(dtype)
        return values.astype(dtype, copy=False)


@dataclass(frozen=True)
class Constant(Contents):
    """Every element ``value`` (NaN: a poisoned output, where an unwritten element shows)."""

    value: float | int

    def draw(self, rng: np.random.Generator, count: int, dtype: np.dtype[Any]) -> Values:
        return np.full(count, self.value, dtype=dtype)

    def at(self, indices: Indices, seed: int, dtype: np.dtype[Any]) -> Values:
        return np.full(indices.size, self.value, dtype=dtype)


POISONED = Constant(float("nan"))


class Computed(Contents):
    """Contents that are a function of the index alone (no randomness): ``values``."""

    @abstractmethod
    def values(self, indices: Indices, dtype: np.dtype[Any]) -> Values:
        """The elements at flat ``indices``."""

    def draw(self, rng: np.random.Generator, count: int, dtype: np.dtype[Any]) -> Values:
        return self.values(np.arange(count, dtype=np.int64), dtype)

    def at(self, indices: Indices, seed: int, dtype: np.dtype[Any]) -> Values:
        return self.values(indices, dtype)


@dataclass(frozen=True)
class Operand:
    """A C-contiguous array argument: its shape, storage dtype and contents."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    contents: Contents

    @classmethod
    def of(cls, shape: tuple[int, ...], dtype: npt.DTypeLike, contents: Contents) -> Operand:
        return cls(tuple(int(n) for n in shape), np.dtype(dtype), contents)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def dense(self, rng: np.random.Generator) -> Values:
        """The whole operand on the host, drawn from ``rng``."""
        return self.contents.draw(rng, self.size, self.dtype).reshape(self.shape)

    def elements_at(self, indices: Indices, seed: int) -> Values:
        """The elements at flat ``indices``, the same for any order of calls."""
        return self.contents.at(indices, seed, self.dtype)


def _scalars_per_element(dtype: np.dtype[Any]) -> int:
    return 2 if dtype.kind == "c" else 1
