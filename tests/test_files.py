"""The one atomic file writer: whole files or none, permissions from the umask."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest

from gpusim.files import write_atomically, write_stream_atomically


def test_text_is_written_as_utf8_and_replaces_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "note.txt"
    write_atomically(path, "first")
    write_atomically(path, "µs ✓\n")
    assert path.read_bytes() == "µs ✓\n".encode()
    assert sorted(p.name for p in path.parent.iterdir()) == ["note.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")

    def half_then_fail(stream: BinaryIO) -> None:
        stream.write(b"new, but only half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_stream_atomically(path, half_then_fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_the_umask_decides_the_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_stream_atomically(tmp_path / "cache.npz", lambda stream: stream.write(b"\0"))
    finally:
        os.umask(previous)
    assert (tmp_path / "cache.npz").stat().st_mode & 0o777 == 0o640
