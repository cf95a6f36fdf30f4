"""The history tab: this session's runs; Enter shows one, space marks two to compare."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from gpusim.tui.history import RunRecord
from gpusim.tui.metrics import metrics_of

MARKS_FOR_COMPARE = 2


class HistoryList(OptionList):
    """Runs, newest first: ``[x]`` marked for compare, ``▸`` shown, ``baseline`` flagged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Mark for compare", show=False)
    ]

    DEFAULT_CSS = """
    HistoryList {
        height: 1fr;
        border: none;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.marked: list[int] = []
        """Run numbers marked for compare, oldest mark first (two at most)."""
        self._records: list[RunRecord] = []
        self._baseline: int | None = None
        self._shown: int | None = None

    def show(self, records: Iterable[RunRecord], baseline: int | None, shown: int | None) -> None:
        """List ``records``, flagging the ``baseline`` run and the ``shown`` one."""
        self._records = list(records)
        self._baseline, self._shown = baseline, shown
        self._redraw()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted run (a third mark drops the oldest)."""
        if self.highlighted is None:
            return
        option_id = self.get_option_at_index(self.highlighted).id
        if option_id is None:
            return
        number = int(option_id)
        if number in self.marked:
            self.marked.remove(number)
        else:
            self.marked = [*self.marked, number][-MARKS_FOR_COMPARE:]
        self._redraw()

    def _redraw(self) -> None:
        highlighted = self.highlighted
        self.clear_options()
        if not self._records:
            self.add_option(Option(Text("No runs yet: r runs the scenario.", style="dim")))
            return
        for record in reversed(self._records):
            self.add_option(Option(self._prompt(record), id=str(record.number)))
        if highlighted is not None:
            self.highlighted = min(highlighted, self.option_count - 1)

    def _prompt(self, record: RunRecord) -> Text:
        box = "[x]" if record.number in self.marked else "[ ]"
        shown = "▸" if record.number == self._shown else " "
        time = metrics_of(record.result)[0]
        text = Text(f"{box}{shown}{record.title}  ")
        text.append(time.show(time.read(record.result)), style="bold")
        if record.number == self._baseline:
            text.append("  baseline", style="magenta")
        text.append(f"\n{record.describe()}", style="dim")
        return text
