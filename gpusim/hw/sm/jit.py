"""The engine's ``njit``: importing it points Numba's on-disk cache at the engine's folder.

Numba picks a function's cache folder when ``@njit(cache=True)`` decorates it, so the
folder must be set before any engine module is decorated; every jitted module takes its
``njit`` from here, which makes the order hold by construction.
"""

from __future__ import annotations

import numba
from numba import njit

from gpusim.hw.sm.engine_cache import engine_cache_dir

numba.config.CACHE_DIR = str(engine_cache_dir())

__all__ = ["njit"]
