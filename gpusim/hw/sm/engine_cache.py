"""Where the engine's compiled machine code is cached: a folder named after its sources.

The engine's hot functions are inlined across modules (the issue loop inlines the memory
hierarchy), but Numba's on-disk cache only notices a change to a function's own file, so an
edited ``memory.py`` could run behind a stale issue-loop cache. Keying the folder by a
digest of every engine source makes stale code impossible: new sources, new folder. A
``NUMBA_CACHE_DIR`` set by the user wins. Nothing here imports Numba, so front ends can ask
whether the engine is compiled without loading it.

Compiling the engine takes about a minute, once per gpusim version; ``announce_compile``
says so on stderr before it starts, so a first run does not look hung.
"""

from __future__ import annotations

import hashlib
import os
import sys
from importlib.metadata import version
from pathlib import Path

from gpusim.cache import cache_dir, writable_folder

ENGINE_DIR = Path(__file__).parent


def engine_digest() -> str:
    """A digest of the engine's sources and the Numba version that compiles them."""
    digest = hashlib.sha256(version("numba").encode())
    for source in sorted(ENGINE_DIR.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def engine_cache_dir() -> Path:
    """``$NUMBA_CACHE_DIR`` if set, else ``<gpusim cache>/numba/<engine digest>``."""
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return cache_dir() / "numba" / engine_digest()


def engine_compiled() -> bool:
    """Whether the engine's machine code for these sources is in the disk cache."""
    folder = engine_cache_dir()
    return folder.is_dir() and any(folder.rglob("*.nbi"))


_announced = False
"""Whether this process has said that it compiles the engine (it says so once)."""


def announce_compile() -> None:
    """Say on stderr, once per process, that the engine compiles now if it is not cached."""
    global _announced  # one line per process, whichever front end runs the engine first
    if _announced or engine_compiled():
        return
    _announced = True
    folder = engine_cache_dir()
    if writable_folder(folder) is None:
        line = f"compiling the simulation engine once (about a minute; cached in {folder})..."
    else:
        line = "compiling the simulation engine (about a minute; not cached, so every run does)..."
    print(line, file=sys.stderr)
