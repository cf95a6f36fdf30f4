"""The ``gpusim`` command line: thin commands over the functions a script would call.

A ``GpusimError`` anywhere below a command is the user's to fix: it is printed as one line on
stderr and the command exits with code 2, with no traceback. Ctrl-C anywhere below a command
ends it with one line, ``interrupted``, and exit code 130 (a command with more to say, such
as a sweep's count of stored points, catches it first). Any other exception is a bug in
gpusim and keeps its traceback. Long computations show their progress through
``gpusim.cli.progress``.

Commands load lazily: the root group knows each command's name, module and one-line help,
and imports the module only when that command runs, so ``gpusim --help`` and the light
commands never pay for Numba, Plotly or the engine (``tests/cli/test_cli_imports.py``).
"""

from __future__ import annotations

import gc
import importlib
import re
from dataclasses import dataclass
from typing import Any

import typer
import typer.core
import typer.main
from typer import _click as click

from gpusim.errors import GpusimError

USER_ERROR_EXIT_CODE = 2
INTERRUPTED_EXIT_CODE = 130
"""128 + SIGINT, as a shell reports a command that Ctrl-C ended."""


@dataclass(frozen=True)
class LazyCommand:
    """A command as the root group lists it: where it lives and its one-line help.

    ``attribute`` names a Typer app (a command group) or a command function in ``module``.
    """

    name: str
    module: str
    attribute: str
    help: str

    def load(self) -> click.Command:
        """The real command, its module imported now."""
        target = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(target, typer.Typer):
            single = typer.Typer(add_completion=False)
            single.command(self.name)(target)
            target = single
        command = typer.main.get_command(target)
        command.name = self.name
        # gpusim offers no shell completion (the root app has add_completion=False); a group's
        # own Typer app would add the options again below it.
        command.params = [param for param in command.params if param.name not in _COMPLETION]
        _show_flags_as_flags(command)
        _flow_help(command)
        return command


_COMPLETION = ("install_completion", "show_completion")


def _show_flags_as_flags(command: click.Command) -> None:
    """Help lists a flag (``--json``, ``--help``) bare, not as ``--json <bool>``.

    Typer prints an option's type after it unless the option has a metavar; a flag takes no
    value, so its metavar is empty. ``--help`` is made anew for each context, hence the wrap.
    """
    for param in command.params:
        if isinstance(param, typer.core.TyperOption) and param.is_flag:
            param.metavar = ""
    make_help_option = command.get_help_option

    def help_option(ctx: click.Context) -> typer.core.TyperOption | None:
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option  # type: ignore[method-assign]
    for subcommand in getattr(command, "commands", {}).values():
        _show_flags_as_flags(subcommand)


def _flow_help(command: click.Command) -> None:
    """A command's help from its docstring, as a terminal should show it: each paragraph one
    line that Rich wraps to the terminal's width (Typer keeps the docstring's own line breaks,
    which read as ragged lines at any other width), and ``literal`` as 'literal'."""
    if command.help:
        paragraphs = re.split(r"\n\s*\n", command.help.strip())
        flowed = (
            " ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs
        )
        command.help = re.sub(r"``([^`]+)``", r"'\1'", "\n\n".join(flowed))
    for subcommand in getattr(command, "commands", {}).values():
        _flow_help(subcommand)


COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("run", "gpusim.cli.run", "run", "Simulate a scenario: its time, throughput,"
                " bottleneck and roofline bound."),
    LazyCommand("trace", "gpusim.cli.trace", "trace",
                "Build a kernel's trace (or read one with 'show') and print its summary."),
    LazyCommand("tui", "gpusim.cli.tui", "tui",
                "Explore scenarios in the terminal: edit, run, compare with a baseline."),
    LazyCommand("sweep", "gpusim.cli.sweep", "sweep_command",
                "Simulate every point of a scenario's sweep; re-running skips points already"
                " stored."),
    LazyCommand("presets", "gpusim.cli.presets", "app",
                "List the preset GPUs and systems, or show one."),
    LazyCommand("scenario", "gpusim.cli.scenario", "app", "Check or show scenario files."),
    LazyCommand("validate", "gpusim.cli.validate", "app",
                "Record kernel timings on a real GPU and compare the simulator with them."),
    LazyCommand("collective", "gpusim.cli.collective", "app",
                "Simulate a collective over message sizes (nccl-tests' table, alpha-beta bound"
                " beside)."),
    LazyCommand("results", "gpusim.cli.results", "app",
                "The results store: stored runs and sweep points."),
)  # fmt: skip
"""Every command in the order ``gpusim --help`` lists them."""


class _Listed(typer.core.TyperCommand):
    """A command's entry in the root help: its name and help only, nothing imported."""


class _Group(typer.core.TyperGroup):
    """The root command group: loads commands lazily; a ``GpusimError`` becomes one line and
    exit code 2, Ctrl-C the line ``interrupted`` and exit code 130."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for lazy in COMMANDS:
            self.add_command(_Listed(lazy.name, help=lazy.help), lazy.name)
        _show_flags_as_flags(self)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, _Listed) and name is not None:
            command = _BY_NAME[name].load()
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GpusimError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(USER_ERROR_EXIT_CODE) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            # The interrupted work's objects die with the process: frozen, the interpreter's
            # exit does not collect them (3.8 s -> 0.1 s after an 8000-rank collective).
            gc.freeze()
            raise typer.Exit(INTERRUPTED_EXIT_CODE) from None


_BY_NAME = {command.name: command for command in COMMANDS}

app = typer.Typer(
    cls=_Group,
    name="gpusim",
    help="A discrete-event GPU architecture simulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """The root group's own step: none (it makes Typer build a group of the lazy commands)."""


def main() -> None:
    """Entry point of the ``gpusim`` console script and ``python -m gpusim``."""
    app()
