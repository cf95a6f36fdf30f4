"""Every action of the explorer, in one table: its keys, its name, what it does.

The key bindings, the footer, the Ctrl+P command palette and the F1 help are all built from
this table, so an action can never be reachable one way and missing from another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from gpusim.tui.app import ExplorerApp


@dataclass(frozen=True)
class Command:
    """One action: ``keys`` (Textual's comma-separated key names; empty: palette only)."""

    keys: str
    action: str
    title: str
    help: str
    footer: bool = False

    @property
    def key_names(self) -> str:
        """The keys as people write them: ``r / ctrl+r``."""
        names = {"escape": "esc", "question_mark": "?", "slash": "/"}
        return " / ".join(names.get(key, key) for key in self.keys.split(",") if key)


COMMANDS: tuple[Command, ...] = (
    Command("r,ctrl+r", "run", "Run", "Simulate the scenario as edited, in the background", True),
    Command("escape", "cancel", "Cancel run", "Stop the run in flight (else: leave the field)"),
    Command("b", "set_baseline", "Baseline", "Make the run shown the baseline of later runs", True),
    Command(
        "c",
        "compare",
        "Compare",
        "Two runs side by side: the two marked in History (space), else the run shown and "
        "its baseline",
        True,
    ),
    Command("s", "save", "Save", "Write the edited scenario as TOML that gpusim run accepts", True),
    Command("e", "export", "Export", "Write the run shown as gpusim run's HTML report", True),
    Command("q", "quit", "Quit", "Leave the explorer (a run in flight is stopped)", True),
    Command("f1,question_mark", "help", "Help", "Keys, panes and how runs work", True),
    Command("d", "toggle_mode", "Detailed mode", "Switch fast/detailed mode (every SM; slow)"),
    Command("1", "focus_pane('catalog')", "Scenarios", "Go to the scenario and preset list"),
    Command("2", "focus_pane('editor')", "Parameters", "Go to the parameter editor"),
    Command("3", "focus_pane('results')", "Results", "Go to the results of the run shown"),
    Command("h", "history", "History", "Go to this session's runs (space marks, Enter shows)"),
    Command("slash", "filter", "Filter parameters", "Show only parameters whose name matches"),
    Command("", "reset_baseline", "Baseline: the preset", "Compare with the unmodified preset"),
    Command("", "revert", "Revert edits", "Put every parameter back as the scenario has it"),
)


def bindings() -> list[Binding]:
    """The key bindings of every command that has keys."""
    return [
        Binding(command.keys, command.action, command.title, show=command.footer)
        for command in COMMANDS
        if command.keys
    ]


class ExplorerCommands(Provider):
    """The command palette's commands: every action, and opening any scenario or preset."""

    @property
    def _explorer(self) -> ExplorerApp:
        return cast("ExplorerApp", self.app)

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(command.title, self._action(command), help=self._help(command))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._action(command),
                    help=self._help(command),
                )
        for entry in self._explorer.entries:
            text = f"Open {entry.label}"
            score = matcher.match(text)
            if score > 0:
                opener = partial(self._explorer.open_entry, entry.key)
                yield Hit(score, matcher.highlight(text), opener, help=f"{entry.group} entry")

    def _action(self, command: Command) -> Callable[[], object]:
        return partial(self.app.run_action, command.action)

    @staticmethod
    def _help(command: Command) -> str:
        keys = f" (keys: {command.key_names})" if command.keys else ""
        return command.help + keys
