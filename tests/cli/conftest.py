"""Running the command line in-process, as a user would from a shell."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from gpusim.cli import app

Invoke = Callable[..., Result]


@pytest.fixture
def gpusim() -> Invoke:
    """``gpusim(*args)`` runs the CLI and returns its result (exit code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "120", "NO_COLOR": "1"})

    return invoke


def assert_user_error(result: Result, message: str) -> None:
    """Exit code 2, one line on stderr starting with ``error: message``, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
