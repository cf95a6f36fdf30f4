"""F1: the keys (from the command table), the panels (from the panel table) and how the
explorer works."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from gpusim.tui.commands import COMMANDS
from gpusim.tui.panels import PANELS

GUIDE = """
## Panes

- **Scenarios** (left): scenario files (`scenarios/` and files named on the command line)
  and the presets. Enter opens one; a preset opens with a default workload.
- **Parameters** (centre): the workload's and the hardware's fields by dotted path, as a
  scenario file's `[gpu.overrides]` names them. Enter edits the highlighted field in the
  line below the table; each keystroke is checked, a bad value is marked `✗` and the line
  under it says why. Run and Save are refused until it is fixed. `●` marks a changed field.
- **Units**: sizes take `KiB`, `MiB`, `GiB` (bare `K`, `M`, `G` are powers of 1024 too) or
  `kB`, `MB`, `GB`; rates and clocks `TB/s`, `GHz`; times `s`, `ms`, `us`, `ns`.
- **Results** (right, or `3` below 120 columns): {panels}, and the history of this
  session's runs.

## Runs

A run goes to a separate simulation process, so the interface never waits for it; `esc`
stops it at once. The first run in a fresh environment compiles the engine (about a minute,
then cached on disk); a new kernel size is traced once (seconds). The baseline is, by
default, the same workload on the unmodified preset (run for you when needed); `b` makes
the run shown the baseline instead. Mark two runs in History with space and press `c`.

## Keys
"""


def help_markdown() -> str:
    """The guide, then a table of every command and its keys."""
    rows = ["| keys | command | what it does |", "|---|---|---|"]
    for command in COMMANDS:
        keys = command.key_names or "Ctrl+P only"
        rows.append(f"| {keys} | {command.title} | {command.help} |")
    rows.append("| ctrl+p | Command palette | Every command above, and opening any scenario |")
    panels = ", ".join(panel.describes for panel in PANELS)
    return GUIDE.format(panels=panels) + "\n".join(rows) + "\n"


class HelpScreen(ModalScreen[None]):
    """The guide and the keys, over the explorer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close", show=True)
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen VerticalScroll {
        width: 90%;
        max-width: 110;
        height: 90%;
        border: round $primary;
        background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(help_markdown())
