"""``gpusim tui [SCENARIO...]``: the terminal explorer (``gpusim.tui``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gpusim.scenario import load_scenario


def tui(
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(help="scenario files to list first (the first one opens)"),
    ] = None,
) -> None:
    """Explore scenarios in the terminal: edit, run, compare with a baseline."""
    files = list(scenarios or [])
    for path in files:
        load_scenario(path)  # a bad file is a one-line error and exit 2, before the screen
    from gpusim.tui.app import ExplorerApp  # Textual loads only for this command

    ExplorerApp(files).run()
