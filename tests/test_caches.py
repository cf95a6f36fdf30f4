"""Caches only save time: one that cannot be written (here a path under a regular file,
which stops root too) costs the caching and one warning line, never an error, and the
engine's Numba cache never lands in the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpusim.cache import warn_not_caching, writable_folder
from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import CopyParams
from gpusim.cuda.tracecache import cached_trace
from gpusim.hw.sm import engine_cache

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def blocked_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``GPUSIM_CACHE_DIR`` under a regular file: nothing can be created there."""
    (tmp_path / "file").write_text("a file, not a folder")
    folder = tmp_path / "file" / "cache"
    monkeypatch.setenv("GPUSIM_CACHE_DIR", str(folder))
    return folder


def test_a_folder_under_a_file_is_not_writable(blocked_cache: Path) -> None:
    error = writable_folder(blocked_cache)
    assert isinstance(error, NotADirectoryError)
    assert writable_folder(blocked_cache.parent.parent / "fine") is None


def test_the_warning_is_one_line_once_per_folder(
    blocked_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = NotADirectoryError(20, "Not a directory")
    warn_not_caching("traces", blocked_cache, error)
    warn_not_caching("traces", blocked_cache, error)
    assert capsys.readouterr().err == (
        f"warning: not caching traces: cannot write {blocked_cache} (Not a directory)\n"
    )


def test_traces_and_ptx_are_built_uncached(
    blocked_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = cached_trace("copy", CopyParams(4096))
    second = cached_trace("copy", CopyParams(4096))
    assert first.summary() == second.summary()
    assert capsys.readouterr().err.splitlines() == [
        f"warning: not caching compiled PTX: cannot write {blocked_cache / 'ptx'} "
        "(Not a directory)",
        f"warning: not caching traces: cannot write {blocked_cache / 'traces'} (Not a directory)",
    ]
    assert compile_ptx("copy", CopyParams(4096)).from_cache is False


def test_the_engine_cache_never_falls_back_to_the_source_tree(tmp_path: Path) -> None:
    """Numba falls back to ``__pycache__`` beside a source when its cache folder cannot be
    written; the engine's ``njit`` compiles uncached instead (checked on a module of our own,
    so the test does not compile the engine)."""
    (tmp_path / "file").write_text("a file, not a folder")
    module = tmp_path / "jitted.py"
    module.write_text(
        "from gpusim.hw.sm.jit import njit\n\n"
        "@njit(cache=True)\n"
        "def twice(x):\n"
        "    return 2 * x\n\n"
        "print(twice(21))\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environment["GPUSIM_CACHE_DIR"] = str(tmp_path / "file" / "cache")
    environment["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, str(module)], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "42\n"
    folder = tmp_path / "file" / "cache" / "numba" / engine_cache.engine_digest()
    assert done.stderr == (
        "warning: not caching the engine's machine code (it compiles in every process): "
        f"cannot write {folder} (Not a directory)\n"
    )
    assert not (tmp_path / "__pycache__").exists()


def test_the_first_compile_is_announced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setattr(engine_cache, "_announced", False)
    engine_cache.announce_compile()
    engine_cache.announce_compile()
    assert capsys.readouterr().err == (
        "compiling the simulation engine once (about a minute; cached in "
        f"{tmp_path / 'numba'})...\n"
    )
    (tmp_path / "numba" / "issue.run-1.py311.nbi").write_text("an index")
    monkeypatch.setattr(engine_cache, "_announced", False)
    engine_cache.announce_compile()
    assert capsys.readouterr().err == ""
