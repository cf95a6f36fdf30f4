"""The ``gpusim`` command line: thin commands over the functions a script would call.

A ``GpusimError`` anywhere below a command is the user's to fix: it is printed as one line on
stderr and the command exits with code 2, with no traceback. Any other exception is a bug in
gpusim and keeps its traceback.
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core
from typer import _click as click

from gpusim.cli import collective, presets, results, scenario, validate
from gpusim.cli.run import run
from gpusim.cli.sweep import sweep_command
from gpusim.cli.trace import trace
from gpusim.cli.tui import tui
from gpusim.errors import GpusimError

USER_ERROR_EXIT_CODE = 2


class _Group(typer.core.TyperGroup):
    """The root command group: turns a ``GpusimError`` into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GpusimError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(USER_ERROR_EXIT_CODE) from None


app = typer.Typer(
    cls=_Group,
    name="gpusim",
    help="A discrete-event GPU architecture simulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("run")(run)
app.command("trace")(trace)
app.command("tui")(tui)
app.add_typer(presets.app, name="presets")
app.add_typer(scenario.app, name="scenario")
app.add_typer(validate.app, name="validate")
app.add_typer(collective.app, name="collective")
app.command("sweep")(sweep_command)
app.add_typer(results.app, name="results")


def main() -> None:
    """Entry point of the ``gpusim`` console script and ``python -m gpusim``."""
    app()
