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


def every_command_words() -> list[list[str]]:
    """[command] and [command, subcommand] for every command the root lists."""
    words: list[list[str]] = []
    for command in COMMANDS:
        words.append([command.name])
        subcommands = getattr(command.load(), "commands", {})
        words.extend([command.name, name] for name in subcommands)
    return words


@pytest.mark.parametrize("words", every_command_words(), ids=lambda words: " ".join(words))
def test_help_paragraphs_flow_to_the_terminal_width(words: list[str]) -> None:
    """The docstring's own line breaks are gone (Rich wraps at the terminal's width) and
    reStructuredText literals read as quotes."""
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    description = result.output.split("Usage:", 1)[1].split("╭", 1)[0]
    paragraphs = [p for p in description.split("\n\n")[1:] if p.strip()]
    assert all("\n" not in p.strip() for p in paragraphs), paragraphs
    assert "``" not in result.output


def test_the_ratchet_help_reads_in_whole_sentences() -> None:
    result = CliRunner().invoke(app, ["validate", "ratchet", "--help"], env={"COLUMNS": "200"})
    assert "a folder that is missing, or no file in either, is a one-line error" in result.output
