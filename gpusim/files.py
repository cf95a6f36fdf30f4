"""Writing files so that a reader never sees half of one, and checking, before any work, that
they can be written.

The one rule for every command that writes a file the user names (``--html``, ``--csv``,
``--out``, ...): missing folders on its path are created when it is written (as
``mkdir -p``), and a path that is a directory, or whose nearest existing folder cannot be
written, is refused in one line before anything is simulated (``check_writable``).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from gpusim.errors import OutputError


def check_writable(path: Path, option: str) -> None:
    """``OutputError`` naming ``option`` unless ``path`` can be written by ``write_atomically``:
    it is not a directory, and a file can be created in its nearest existing folder (tried
    with an anonymous temporary file, so the answer is the file system's, read-only mounts
    and a root user included, and nothing is left behind)."""
    if path.is_dir():
        raise OutputError(f"{option}: {path} is a directory, not a file")
    folder = path.parent
    while not folder.exists():  # ends: the root and "." exist
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{option}: cannot write {path}: {folder} is not a directory")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as err:
        reason = err.strerror or str(err)
        raise OutputError(f"{option}: cannot write {path}: {folder}: {reason}") from None


@contextmanager
def reporting_write_errors(path: Path, option: str) -> Iterator[None]:
    """Around the write of a file the user named, once its result has been shown: an
    ``OSError`` (the disk filled, the folder went read-only since ``check_writable``) becomes
    one ``OutputError`` line naming ``option``."""
    try:
        yield
    except OSError as err:
        raise OutputError(f"{option}: cannot write {path}: {err.strerror or err}") from None


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
