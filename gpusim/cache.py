"""Where gpusim keeps what it can rebuild: compiled PTX, traces, the engine's machine code."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$GPUSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/gpusim``, else ``~/.cache/gpusim``."""
    explicit = os.environ.get("GPUSIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg_cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg_cache) if xdg_cache else Path.home() / ".cache"
    return base / "gpusim"
