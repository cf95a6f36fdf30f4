"""A results store of the test's own, and the CLI run in-process against it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gpusim.cli import app
from tests.cli.conftest import Invoke


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's results store, also the default (``$GPUSIM_STORE``) for the CLI."""
    path = tmp_path / "results.sqlite"
    monkeypatch.setenv("GPUSIM_STORE", str(path))
    return path


@pytest.fixture
def gpusim(store_path: Path) -> Invoke:
    """``gpusim(*args)`` runs the CLI (wide, no colour) with the test's store."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})

    return invoke


def read_only_folder(tmp_path: Path) -> Path:
    """A folder no file can be created in: a mode 555 one, or /sys where the tests run as
    root (who may write whatever the mode says)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return Path("/sys") if os.access(folder, os.W_OK) else folder
