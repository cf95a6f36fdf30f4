"""Help reads as a command line does: flags bare, no shell-completion noise in commands."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gpusim.cli import COMMANDS, app
from gpusim.cli.trace import SIZE_HELP

HELP_OF_EVERY_COMMAND = [[], *([command.name] for command in COMMANDS)]


@pytest.mark.parametrize(
    "words", HELP_OF_EVERY_COMMAND, ids=lambda words: " ".join(words) or "gpusim"
)
def test_help_shows_flags_as_flags(words: list[str]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output
    assert "--install-completion" not in result.output


def test_an_option_that_takes_a_value_still_shows_its_type() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "100"})
    assert "--html" in result.output and "<path>" in result.output


def test_trace_size_help_names_the_kernel_when_a_family_differs() -> None:
    assert SIZE_HELP.count("microbenchmark") == 0
    assert "pointer_chase: a working set in bytes (a multiple of 128)" in SIZE_HELP
    assert "read_bandwidth: a buffer size in bytes (a multiple of 8)" in SIZE_HELP
    assert "gemm: MxNxK or N (a cube)" in SIZE_HELP
