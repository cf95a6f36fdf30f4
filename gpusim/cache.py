"""Where gpusim keeps what it can rebuild: compiled PTX, traces, the engine's machine code.

A cache only saves time, so a cache that cannot be written (a read-only folder, a path under
a file, a full disk) is never an error: gpusim says so in one warning line on stderr, once
per folder and process, and goes on without caching.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_warned: set[Path] = set()
"""Folders already reported as unwritable by this process (one line each, not one per file)."""


def cache_dir() -> Path:
    """``$GPUSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/gpusim``, else ``~/.cache/gpusim``."""
    explicit = os.environ.get("GPUSIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg_cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg_cache) if xdg_cache else Path.home() / ".cache"
    return base / "gpusim"


def writable_folder(folder: Path) -> OSError | None:
    """None when files can be created in ``folder`` (made if missing), else why not.

    The answer is the file system's (a temporary file is created and removed), so a
    read-only mount, a path under a regular file and a root user are all judged right.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        return error
    return None


def warn_not_caching(what: str, folder: Path, error: OSError) -> None:
    """One stderr line: ``what`` is not cached because ``folder`` cannot be written."""
    if folder in _warned:
        return
    _warned.add(folder)
    reason = error.strerror or str(error)
    print(f"warning: not caching {what}: cannot write {folder} ({reason})", file=sys.stderr)
