"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see ``write_stream_atomically``."""
    write_stream_atomically(path, lambda stream: stream.write(text.encode("utf-8")))


def write_stream_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Let ``write`` fill a binary stream, then put the result at ``path`` in one rename.

    The bytes go to a temporary file beside ``path`` and reach the disk (fsync) before the
    rename, so a reader sees the old file or the whole new one, even after a crash. The
    temporary file is created like any other (the umask decides its permissions), so the
    result is readable as the user expects; if writing fails, nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
