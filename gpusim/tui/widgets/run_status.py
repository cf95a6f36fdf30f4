"""The run line above the footer: what the simulation process is doing, and how far along.

Shown only while a run is in flight. Stages with no measure of progress (tracing, compiling
the engine) show a bar that pulses, so it is plain that the work goes on.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class RunStatus(Horizontal):
    """The phase of the run in flight, a progress bar, and how to cancel."""

    DEFAULT_CSS = """
    RunStatus {
        dock: bottom;
        height: 1;
        display: none;
        background: $boost;
    }
    RunStatus.-running {
        display: block;
    }
    RunStatus #run-phase {
        width: 1fr;
        padding: 0 1;
    }
    RunStatus ProgressBar {
        width: auto;
    }
    RunStatus #run-hint {
        padding: 0 1;
        color: $text-muted;
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="run-phase")
        yield ProgressBar(total=None, show_eta=False, id="run-bar")
        yield Label("esc cancels", id="run-hint")

    def start(self, title: str) -> None:
        """Show the line for a new run."""
        self.set_class(True, "-running")
        self.phase(title)

    def phase(self, text: str) -> None:
        """A new stage: its name, and a pulsing bar until progress is reported."""
        self.query_one("#run-phase", Label).update(Text(text))
        self.query_one(ProgressBar).update(total=None, progress=0)

    def progress(self, fraction: float) -> None:
        """The share of the current stage that is done."""
        self.query_one(ProgressBar).update(total=1.0, progress=fraction)

    def stop(self) -> None:
        """Hide the line (the run finished, failed or was cancelled)."""
        self.set_class(False, "-running")
