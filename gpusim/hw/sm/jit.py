"""Where the engine's compiled machine code is cached: a folder named after its source.

The engine's hot functions are inlined across modules (``core`` inlines ``memory``), but
Numba's on-disk cache only notices a change to a function's own file, so an edited
``memory.py`` could run behind a stale ``core`` cache. Keying the cache folder by a digest
of every engine source makes stale code impossible: new sources, new folder. A
``NUMBA_CACHE_DIR`` set by the user is left alone.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

from gpusim.cache import cache_dir

ENGINE_DIR = Path(__file__).parent


def engine_digest() -> str:
    """A digest of the engine's sources and the Numba version that compiles them."""
    digest = hashlib.sha256(numba.__version__.encode())
    for source in sorted(ENGINE_DIR.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def use_engine_cache() -> None:
    """Point Numba's cache at this engine's folder (before the engine's modules load)."""
    if not os.environ.get("NUMBA_CACHE_DIR"):
        numba.config.CACHE_DIR = str(cache_dir() / "numba" / engine_digest())
