"""The engine's ``njit``: importing it points Numba's on-disk cache at the engine's folder.

Numba picks a function's cache folder when ``@njit(cache=True)`` decorates it, so the
folder must be set before any engine module is decorated; every jitted module takes its
``njit`` from here, which makes the order hold by construction.

When that folder cannot be written, Numba would quietly fall back to ``__pycache__`` beside
the engine's sources (or another user-wide folder); the engine is compiled uncached instead,
after one warning line, so nothing is ever written into the source tree.
"""

from __future__ import annotations

from typing import Any

import numba

from gpusim.cache import warn_not_caching, writable_folder
from gpusim.hw.sm.engine_cache import engine_cache_dir

_FOLDER = engine_cache_dir()
_UNWRITABLE = writable_folder(_FOLDER)
if _UNWRITABLE is not None:
    warn_not_caching(
        "the engine's machine code (it compiles in every process)", _FOLDER, _UNWRITABLE
    )
numba.config.CACHE_DIR = str(_FOLDER)


def njit(**options: Any) -> Any:
    """``numba.njit(**options)``, with ``cache`` off where the cache folder cannot be written."""
    if _UNWRITABLE is not None:
        options["cache"] = False
    return numba.njit(**options)


__all__ = ["njit"]
