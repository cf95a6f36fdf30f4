"""The left pane: scenario files and presets, grouped, opened with Enter or a click."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from gpusim.tui.catalog import GROUP_TITLES, Entry


class CatalogList(OptionList):
    """Scenarios, GPU presets and system presets under their group titles."""

    DEFAULT_CSS = """
    CatalogList {
        height: 1fr;
        border: none;
        padding: 0;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    CatalogList:focus {
        border: none;
        background-tint: $foreground 4%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: dict[str, Entry] = {}

    @property
    def entries(self) -> list[Entry]:
        """Every entry, in list order."""
        return list(self._entries.values())

    def entry(self, key: str) -> Entry:
        """The entry whose option id is ``key``."""
        return self._entries[key]

    def show(self, entries: Sequence[Entry], current: str | None = None) -> None:
        """List ``entries`` under their group titles, marking the ``current`` one."""
        self._entries = {entry.key: entry for entry in entries}
        highlighted = self.highlighted
        self.clear_options()
        group = None
        for entry in entries:
            if entry.group != group:
                group = entry.group
                title = Text(GROUP_TITLES[group], style="bold")
                self.add_option(Option(title, id=f"group:{group}", disabled=True))
            mark = "▸ " if entry.key == current else "  "
            self.add_option(Option(Text(mark + entry.label), id=entry.key))
        if highlighted is not None and highlighted < self.option_count:
            self.highlighted = highlighted
