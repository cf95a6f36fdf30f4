"""The emulator's state spaces: flat global memory, per-CTA shared and per-thread local.

Global memory is a flat 64-bit byte address space. Kernel array arguments are mapped into
it in argument order, each at a 2 MiB boundary starting at ``GLOBAL_ARRAYS_BASE``, without
copying: the emulator reads and writes the caller's NumPy arrays, so after a run they hold
the kernel's results. Module-scope ``.global`` variables live below, from
``MODULE_GLOBALS_BASE``. These bases are part of the trace format (docs/trace-format.md):
global addresses in a trace are addresses in this space.

Generic addresses (``ld`` without a state space, ``cvta``) map the shared window and the
local window to fixed generic ranges; every other generic address is global.

Every access is bounds- and alignment-checked; a fault raises ``AccessFault`` carrying the
position of the first offending address, which the instruction turns into a PtxError that
names the PTX line and the thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(eq=False)
class _Segment:
    name: str
    base: int
    nbytes: int
    data: npt.NDArray[np.uint8]
    views: dict[int, Words] = field(default_factory=dict)

    def words(self, width_bytes: int) -> Words:
        """This segment as unsigned words of ``width_bytes`` (a cached zero-copy view)."""
        view = self.views.get(width_bytes)
        if view is None:
            usable = self.nbytes - self.nbytes % width_bytes
            view = self.data[:usable].view(f"<u{width_bytes}")
            self.views[width_bytes] = view
        return view


class GlobalMemory:
    """Kernel arrays and module variables at fixed addresses of a flat byte space."""

    def __init__(self) -> None:
        self._segments: list[_Segment] = []
        self._bases = np.zeros(0, dtype=np.uint64)
        self._ends = np.zeros(0, dtype=np.uint64)
        self._next_array_base = GLOBAL_ARRAYS_BASE
        self._next_module_base = MODULE_GLOBALS_BASE

    def map_array(self, name: str, array: npt.NDArray[Any]) -> int:
        """Map a C-contiguous array (no copy) at the next 2 MiB boundary; return its base."""
        if not array.flags.c_contiguous:
            raise ValueError(f"array argument {name} must be C-contiguous")
        if not array.flags.writeable:
            raise ValueError(f"array argument {name} must be writeable")
        base = self._next_array_base
        data = array.reshape(-1).view(np.uint8)
        self._add(_Segment(name, base, int(array.nbytes), data))
        self._next_array_base = _align_up(
            base + max(int(array.nbytes), 1), GLOBAL_ARRAY_ALIGN_BYTES
        )
        return base

    def allocate_module_variable(
        self, name: str, nbytes: int, align_bytes: int, init: bytes
    ) -> int:
        """Place a module-scope ``.global`` variable (zero-filled, then its initializer)."""
        base = _align_up(self._next_module_base, max(align_bytes, 1))
        data = np.zeros(max(nbytes, 1), dtype=np.uint8)
        data[: len(init)] = np.frombuffer(init, dtype=np.uint8)
        self._add(_Segment(name, base, nbytes, data))
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
        return segment.words(width_bytes), offsets // width_bytes, positions


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
