"""The emulator's state spaces: flat global memory, per-CTA shared and per-thread local.

Global memory is a flat 64-bit byte address space. Kernel array arguments are mapped into
it in argument order, each at a 2 MiB boundary starting at ``GLOBAL_ARRAYS_BASE``. A NumPy
array is mapped without copying: the emulator reads and writes the caller's array, so
after a run it holds the kernel's results (numerical proofs). A ``VirtualArray`` (tracing)
is never allocated whole: its ``PAGE_BYTES`` pages are materialised on first touch from
its ``elements_at`` and kept, written or not, so a trace of a huge problem holds only the
pages its emulated CTAs touch. Module-scope ``.global`` variables live below, from
``MODULE_GLOBALS_BASE``. These bases are part of the trace format (docs/trace-format.md):
global addresses in a trace are addresses in this space.

Generic addresses (``ld`` without a state space, ``cvta``) map the shared window and the
local window to fixed generic ranges; every other generic address is global.

Every access is bounds- and alignment-checked; a fault raises ``AccessFault`` carrying the
position of the first offending address, which the instruction turns into a PtxError that
names the PTX line and the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

GLOBAL_ARRAYS_BASE = 1 << 40
"""Address of the first kernel array argument (0x100_0000_0000)."""
GLOBAL_ARRAY_ALIGN_BYTES = 2 << 20
MODULE_GLOBALS_BASE = GLOBAL_ARRAYS_BASE - (1 << 30)
SHARED_WINDOW_BASE = 1 << 48
"""Generic address of shared-memory offset 0 (``cvta.shared``)."""
LOCAL_WINDOW_BASE = 2 << 48
"""Generic address of local-memory offset 0 (``cvta.local``)."""
WINDOW_SIZE_BYTES = 1 << 32
PAGE_BYTES = 1 << 10
"""Granule of a virtual array's materialisation. Small, because a tiled GEMM's CTA reads a
column panel of B (a few hundred bytes of every row): each row costs one page. The page
table takes 4 bytes a page (0.4% of the array's virtual size)."""
_PAGE_SHIFT = PAGE_BYTES.bit_length() - 1

Words = npt.NDArray[Any]
Group = tuple[Words, npt.NDArray[np.int64], npt.NDArray[np.int64] | slice]
"""(typed word view, word indices, positions in the address array) of one located access."""


class AccessFault(Exception):
    """An out-of-bounds or misaligned access at ``position`` of the address array."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


def _align_up(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


@dataclass(frozen=True)
class VirtualArray:
    """A C-contiguous array argument known by its shape, dtype and ``elements_at`` (the
    values at flat element indices, the same whatever the order of calls)."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    elements_at: Callable[[npt.NDArray[np.int64]], npt.NDArray[Any]]

    def __post_init__(self) -> None:
        itemsize = self.dtype.itemsize
        if itemsize > PAGE_BYTES or PAGE_BYTES % itemsize:
            raise ValueError(f"a virtual array's itemsize must divide {PAGE_BYTES}, got {itemsize}")

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        """Byte strides of the C-contiguous layout."""
        strides, step = [], self.itemsize
        for extent in reversed(self.shape):
            strides.append(step)
            step *= extent
        return tuple(reversed(strides))


class _Segment(Protocol):
    name: str
    base: int
    nbytes: int

    def group(
        self,
        offsets: npt.NDArray[np.int64],
        width_bytes: int,
        positions: npt.NDArray[np.int64] | slice,
    ) -> Group:
        """The words of ``width_bytes`` at byte ``offsets`` (all inside the segment)."""
        ...


@dataclass(eq=False)
class _DenseSegment:
    name: str
    base: int
    nbytes: int
    data: npt.NDArray[np.uint8]
    views: dict[int, Words] = field(default_factory=dict)

    def group(
        self,
        offsets: npt.NDArray[np.int64],
        width_bytes: int,
        positions: npt.NDArray[np.int64] | slice,
    ) -> Group:
        return self._words(width_bytes), offsets // width_bytes, positions

    def _words(self, width_bytes: int) -> Words:
        """This segment as unsigned words of ``width_bytes`` (a cached zero-copy view)."""
        view = self.views.get(width_bytes)
        if view is None:
            usable = self.nbytes - self.nbytes % width_bytes
            view = self.data[:usable].view(f"<u{width_bytes}")
            self.views[width_bytes] = view
        return view


class _PagedSegment:
    """A virtual array's pages in a pool, in order of first touch; ``_slots`` maps a page
    of the array to its slot in the pool (-1: not touched yet)."""

    def __init__(self, name: str, base: int, array: VirtualArray) -> None:
        self.name = name
        self.base = base
        self.nbytes = array.nbytes
        self._array = array
        self._slots = np.full(-(-self.nbytes // PAGE_BYTES), -1, dtype=np.int32)
        self._pool = np.zeros(0, dtype=np.uint8)
        self._used_pages = 0
        self._views: dict[int, Words] = {}

    @property
    def resident_bytes(self) -> int:
        """Bytes of the pages materialised so far."""
        return self._used_pages * PAGE_BYTES

    def group(
        self,
        offsets: npt.NDArray[np.int64],
        width_bytes: int,
        positions: npt.NDArray[np.int64] | slice,
    ) -> Group:
        pages = offsets >> _PAGE_SHIFT
        slots = self._slots[pages]
        untouched = slots < 0
        if untouched.any():
            self._materialise(np.unique(pages[untouched]))
            slots = self._slots[pages]
        pooled = slots.astype(np.int64) * PAGE_BYTES + (offsets & (PAGE_BYTES - 1))
        return self._words(width_bytes), pooled // width_bytes, positions

    def _materialise(self, pages: npt.NDArray[np.int64]) -> None:
        """Fill ``pages`` (sorted, untouched) from the array's ``elements_at``."""
        first_slot = self._used_pages
        self._reserve(first_slot + pages.size)
        self._slots[pages] = np.arange(first_slot, first_slot + pages.size, dtype=np.int32)
        per_page = PAGE_BYTES // self._array.itemsize
        indices = (pages[:, None] * per_page + np.arange(per_page)).reshape(-1)
        indices = indices[indices < self._array.size]  # only the array's last page is partial
        filled = self._pool[first_slot * PAGE_BYTES : self.resident_bytes].view(self._array.dtype)
        filled[: indices.size] = self._array.elements_at(indices)

    def _reserve(self, pages: int) -> None:
        """Grow the pool (doubling) to hold ``pages`` pages; mark them used."""
        if pages * PAGE_BYTES > self._pool.size:
            pool = np.zeros(max(pages, 2 * self._pool.size // PAGE_BYTES) * PAGE_BYTES, np.uint8)
            pool[: self._pool.size] = self._pool
            self._pool = pool
            self._views.clear()
        self._used_pages = pages

    def _words(self, width_bytes: int) -> Words:
        view = self._views.get(width_bytes)
        if view is None:
            view = self._pool.view(f"<u{width_bytes}")
            self._views[width_bytes] = view
        return view


class GlobalMemory:
    """Kernel arrays and module variables at fixed addresses of a flat byte space."""

    def __init__(self) -> None:
        self._segments: list[_Segment] = []
        self._bases = np.zeros(0, dtype=np.uint64)
        self._ends = np.zeros(0, dtype=np.uint64)
        self._next_array_base = GLOBAL_ARRAYS_BASE
        self._next_module_base = MODULE_GLOBALS_BASE

    def map_array(self, name: str, array: npt.NDArray[Any] | VirtualArray) -> int:
        """Map an array at the next 2 MiB boundary; return its base. A NumPy array must be
        C-contiguous and writeable (it is used in place); a virtual one is paged."""
        base = self._next_array_base
        segment: _Segment
        if isinstance(array, VirtualArray):
            segment = _PagedSegment(name, base, array)
        else:
            if not array.flags.c_contiguous:
                raise ValueError(f"array argument {name} must be C-contiguous")
            if not array.flags.writeable:
                raise ValueError(f"array argument {name} must be writeable")
            segment = _DenseSegment(name, base, int(array.nbytes), array.reshape(-1).view(np.uint8))
        self._add(segment)
        self._next_array_base = _align_up(base + max(segment.nbytes, 1), GLOBAL_ARRAY_ALIGN_BYTES)
        return base

    def allocate_module_variable(
        self, name: str, nbytes: int, align_bytes: int, init: bytes
    ) -> int:
        """Place a module-scope ``.global`` variable (zero-filled, then its initializer)."""
        base = _align_up(self._next_module_base, max(align_bytes, 1))
        data = np.zeros(max(nbytes, 1), dtype=np.uint8)
        data[: len(init)] = np.frombuffer(init, dtype=np.uint8)
        self._add(_DenseSegment(name, base, nbytes, data))
        self._next_module_base = base + max(nbytes, 1)
        if self._next_module_base > GLOBAL_ARRAYS_BASE:
            raise ValueError("module .global variables exceed their 1 GiB region")
        return base

    def _add(self, segment: _Segment) -> None:
        self._segments.append(segment)
        self._segments.sort(key=lambda s: s.base)
        self._bases = np.array([s.base for s in self._segments], dtype=np.uint64)
        self._ends = np.array([s.base + s.nbytes for s in self._segments], dtype=np.uint64)

    def segments(self) -> list[tuple[str, int, int]]:
        """(name, base address, size in bytes) of every mapped segment, by address."""
        return [(s.name, s.base, s.nbytes) for s in self._segments]

    def resident_bytes(self) -> int:
        """Host bytes the mapped arrays hold: dense ones whole, virtual ones' touched pages."""
        return sum(
            s.resident_bytes if isinstance(s, _PagedSegment) else s.nbytes for s in self._segments
        )

    def locate(
        self, addresses: npt.NDArray[np.uint64], width_bytes: int, align_bytes: int
    ) -> list[Group]:
        """Resolve byte addresses to word indices of ``width_bytes`` in their segments."""
        _check_alignment(addresses, align_bytes)
        if addresses.size == 0:
            return []
        index = np.searchsorted(self._bases, addresses, side="right").astype(np.int64) - 1
        inside = index >= 0
        ends = self._ends[np.maximum(index, 0)]
        inside &= addresses + np.uint64(width_bytes) <= ends
        if not inside.all():
            position = int(np.argmin(inside))
            raise AccessFault(
                position, f"global address {int(addresses[position]):#x} is outside every array"
            )
        first, last = int(index[0]), int(index[-1])
        if first == last and (index == first).all():
            return [self._group(first, addresses, width_bytes, slice(None))]
        return [
            self._group(int(seg), addresses[positions], width_bytes, positions)
            for seg in np.unique(index)
            for positions in [np.flatnonzero(index == seg)]
        ]

    def _group(
        self,
        segment_index: int,
        addresses: npt.NDArray[np.uint64],
        width_bytes: int,
        positions: npt.NDArray[np.int64] | slice,
    ) -> Group:
        segment = self._segments[segment_index]
        offsets = (addresses - np.uint64(segment.base)).astype(np.int64)
        return segment.group(offsets, width_bytes, positions)


class WindowedMemory:
    """Equal private windows (one per CTA slot for shared, one per lane for local)."""

    def __init__(self, space: str, windows: int, size_bytes: int) -> None:
        self.space = space
        self.size_bytes = size_bytes
        self._stride = _align_up(max(size_bytes, 1), 16)
        self._data = np.zeros(windows * self._stride, dtype=np.uint8)
        self._views: dict[int, Words] = {}

    def locate(
        self,
        window: npt.NDArray[np.int32],
        offsets: npt.NDArray[np.uint64],
        width_bytes: int,
        align_bytes: int,
    ) -> list[Group]:
        """Resolve offsets inside each lane's window to word indices of ``width_bytes``."""
        _check_alignment(offsets, align_bytes)
        if offsets.size == 0:
            return []
        inside = offsets <= np.uint64(max(self.size_bytes - width_bytes, 0))
        if self.size_bytes < width_bytes:
            inside[:] = False
        if not inside.all():
            position = int(np.argmin(inside))
            raise AccessFault(
                position,
                f"{self.space} offset {int(offsets[position])} is outside the "
                f"{self.size_bytes}-byte {self.space} window",
            )
        flat = window.astype(np.int64) * self._stride + offsets.astype(np.int64)
        return [(self._words(width_bytes), flat // width_bytes, slice(None))]

    def _words(self, width_bytes: int) -> Words:
        view = self._views.get(width_bytes)
        if view is None:
            view = self._data.view(f"<u{width_bytes}")
            self._views[width_bytes] = view
        return view


def _check_alignment(addresses: npt.NDArray[np.uint64], align_bytes: int) -> None:
    if align_bytes <= 1 or addresses.size == 0:
        return
    misaligned = (addresses & np.uint64(align_bytes - 1)) != 0
    if misaligned.any():
        position = int(np.argmax(misaligned))
        raise AccessFault(
            position, f"address {int(addresses[position]):#x} is not {align_bytes}-byte aligned"
        )
