"""A small dialog that asks for a file path (save, export); a path that exists must be
confirmed by pressing Enter a second time."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PathPrompt(ModalScreen[Path | None]):
    """Ask for a path; dismissed with the path, or ``None`` on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel")]

    DEFAULT_CSS = """
    PathPrompt {
        align: center middle;
    }
    PathPrompt Vertical {
        width: 80%;
        max-width: 90;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    PathPrompt #prompt-hint {
        color: $text-muted;
    }
    PathPrompt #prompt-hint.-warning {
        color: $text-warning;
    }
    """

    def __init__(self, title: str, default: Path, hint: str) -> None:
        super().__init__()
        self._title, self._default, self._hint = title, default, hint
        self._confirmed: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), id="prompt-title")
            yield Input(str(self._default), id="prompt-path")
            yield Static(Text(self._hint), id="prompt-hint")

    @on(Input.Changed)
    def _changed(self) -> None:
        self._confirmed = None
        self._say(self._hint, warning=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self._say("give a file name (esc cancels)", warning=True)
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self._say(f"{path} is a folder: give a file name", warning=True)
            return
        if path.exists() and self._confirmed != path:
            self._confirmed = path
            self._say(f"{path} exists: Enter again to overwrite it (esc cancels)", warning=True)
            return
        self.dismiss(path)

    def _say(self, text: str, *, warning: bool) -> None:
        hint = self.query_one("#prompt-hint", Static)
        hint.update(Text(text))
        hint.set_class(warning, "-warning")
