"""The centre pane: the scenario's parameters, edited and checked as they are typed.

A table lists every field under its section (workload first, then the hardware), with its
value in the unit its name carries; the line below the table edits the highlighted field.
Each keystroke goes through the ``Draft``, so a bad value is marked in the table at once
(``✗`` and red) and the line under it says why, in the words ``gpusim run`` would use.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Input, Label, Static

from gpusim.tui.draft import Draft
from gpusim.tui.fields import Parameter, section_titles

SECTION_PREFIX = "§"
"""Row keys of section title rows start with this (field rows are dotted paths)."""

VALUE_WIDTH = 12
UNIT_WIDTH = 6
MARK_EDITED = "●"
MARK_INVALID = "✗"


class ParameterEditor(Vertical):
    """The parameter table, a filter above it, and the edit line and help below it."""

    DEFAULT_CSS = """
    ParameterEditor {
        height: 1fr;
    }
    ParameterEditor #filter {
        height: 1;
        border: none;
        padding: 0 1;
    }
    ParameterEditor DataTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    ParameterEditor #edit-line {
        height: 1;
    }
    ParameterEditor #edit-path {
        width: 1fr;
        padding: 0 1;
        text-style: bold;
    }
    ParameterEditor #edit-value {
        width: 18;
        height: 1;
        border: none;
        padding: 0 1;
    }
    ParameterEditor #edit-value.-invalid {
        background: $error 40%;
    }
    ParameterEditor #edit-unit {
        width: 7;
        padding: 0 1;
    }
    ParameterEditor #field-help {
        height: 3;
        padding: 0 1;
        color: $text-muted;
    }
    ParameterEditor #field-help.-invalid {
        color: $text-error;
    }
    """

    class Edited(Message):
        """A field was typed into (``error`` is its message, if it is now invalid)."""

        def __init__(self, path: str, error: str | None) -> None:
            super().__init__()
            self.path = path
            self.error = error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._draft: Draft | None = None
        self._titles: dict[str, str] = {}
        self._path: str | None = None
        self._name_width = 0

    @property
    def draft(self) -> Draft | None:
        """The draft being edited."""
        return self._draft

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter parameters ( / )", id="filter")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="edit-line"):
            yield Label("", id="edit-path")
            yield Input(id="edit-value", select_on_focus=False)
            yield Label("", id="edit-unit")
        yield Static("", id="field-help")

    def load(self, draft: Draft) -> None:
        """Show ``draft``'s fields (the table keeps the filter that is typed)."""
        self._draft = draft
        self._titles = section_titles(draft.scenario)
        self._path = None
        self._rebuild()

    def focus_field(self, path: str) -> None:
        """Highlight the field at ``path`` and put the cursor in its edit line."""
        filter_input = self.query_one("#filter", Input)
        if filter_input.value:
            filter_input.value = ""
            self._rebuild()
        table = self.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(path))
        self._show(path)
        self.query_one("#edit-value", Input).focus()

    def focus_filter(self) -> None:
        """Put the cursor in the filter."""
        self.query_one("#filter", Input).focus()

    def focus_table(self) -> None:
        """Give the table the focus (from the edit line or the filter)."""
        self.query_one(DataTable).focus()

    def on_resize(self) -> None:
        self._rebuild()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._rebuild()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.focus_table()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None:
            self._show(key)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is not None and not key.startswith(SECTION_PREFIX):
            self.focus_field(key)

    @on(Input.Changed, "#edit-value")
    def _value_changed(self, event: Input.Changed) -> None:
        if self._draft is None or self._path is None or self._path.startswith(SECTION_PREFIX):
            return
        if not self._draft.parameter(self._path).editable:
            return
        error = self._draft.set(self._path, event.value)
        self._refresh_marks()
        self._show_help(self._path)
        self.post_message(self.Edited(self._path, error))

    @on(Input.Submitted, "#edit-value")
    def _value_submitted(self) -> None:
        self.focus_table()

    def _rebuild(self) -> None:
        """Fill the table for the current draft, filter and width."""
        table = self.query_one(DataTable)
        table.clear(columns=True)
        if self._draft is None:
            return
        name_width = self._name_width = max(12, self.size.width - VALUE_WIDTH - UNIT_WIDTH - 12)
        table.add_column("", width=1, key="mark")
        table.add_column("parameter", width=name_width, key="name")
        table.add_column("value", width=VALUE_WIDTH, key="value")
        table.add_column("unit", width=UNIT_WIDTH, key="unit")
        needle = self.query_one("#filter", Input).value.strip().lower()
        section = None
        for parameter in self._draft.parameters:
            if needle and not _matches(parameter, needle):
                continue
            if parameter.section != section:
                section = parameter.section
                title = Text(section, style="bold", overflow="ellipsis")
                title.truncate(name_width, overflow="ellipsis")
                table.add_row("", title, "", "", key=f"{SECTION_PREFIX}{section}")
            table.add_row(*self._cells(parameter, name_width), key=parameter.path)
        if self._path is not None and self._path in table.rows:
            table.move_cursor(row=table.get_row_index(self._path))

    def _cells(self, parameter: Parameter, name_width: int) -> tuple[Text, Text, Text, Text]:
        assert self._draft is not None  # rows exist only for a draft
        path = parameter.path
        error = path in self._draft.errors
        edited = self._draft.is_edited(path)
        style = "bold red" if error else "bold yellow" if edited else ""
        mark = MARK_INVALID if error else MARK_EDITED if edited else ""
        name = Text("  " + parameter.name, overflow="ellipsis")
        name.truncate(name_width, overflow="ellipsis")
        value = Text(self._draft.text(path), style=style, overflow="ellipsis", justify="right")
        value.truncate(VALUE_WIDTH, overflow="ellipsis")
        if not parameter.editable:
            value.stylize("dim")
        return Text(mark, style=style), name, value, Text(parameter.unit, style="dim")

    def _refresh_marks(self) -> None:
        """Update every visible field row's value and mark (one edit can mark several)."""
        assert self._draft is not None  # called after an edit of the draft
        table = self.query_one(DataTable)
        for row_key in list(table.rows):
            key = row_key.value
            if key is None or key.startswith(SECTION_PREFIX):
                continue
            mark, _, value, _ = self._cells(self._draft.parameter(key), self._name_width)
            table.update_cell(row_key, "mark", mark)
            table.update_cell(row_key, "value", value)

    def _show(self, key: str) -> None:
        """Put the highlighted row in the edit line."""
        self._path = key
        value_input = self.query_one("#edit-value", Input)
        if key.startswith(SECTION_PREFIX) or self._draft is None:
            section = key.removeprefix(SECTION_PREFIX)
            self.query_one("#edit-path", Label).update(Text(section))
            self.query_one("#edit-unit", Label).update("")
            with value_input.prevent(Input.Changed):
                value_input.value = ""
            value_input.disabled = True
            self._set_help(self._titles.get(section, ""), invalid=False)
            return
        parameter = self._draft.parameter(key)
        self.query_one("#edit-path", Label).update(Text(key))
        self.query_one("#edit-unit", Label).update(parameter.unit)
        with value_input.prevent(Input.Changed):
            value_input.value = self._draft.text(key)
        value_input.disabled = not parameter.editable
        value_input.suggester = (
            SuggestFromList(parameter.choices, case_sensitive=True) if parameter.choices else None
        )
        value_input.set_class(key in self._draft.errors, "-invalid")
        self._show_help(key)

    def _show_help(self, path: str) -> None:
        assert self._draft is not None  # a field row is shown only for a draft
        parameter = self._draft.parameter(path)
        error = self._draft.errors.get(path)
        self.query_one("#edit-value", Input).set_class(error is not None, "-invalid")
        if error is not None:
            self._set_help(f"{MARK_INVALID} {error}", invalid=True)
            return
        lines = [parameter.description or parameter.key]
        if parameter.choices:
            lines.append("one of: " + ", ".join(parameter.choices))
        if self._draft.is_edited(path):
            lines.append(f"{MARK_EDITED} changed from {self._draft.original_text(path)}")
        elif not parameter.editable:
            lines.append("fixed by the scenario: open another one to change it")
        self._set_help("\n".join(lines), invalid=False)

    def _set_help(self, text: str, *, invalid: bool) -> None:
        help_line = self.query_one("#field-help", Static)
        help_line.update(Text(text))
        help_line.set_class(invalid, "-invalid")


def _matches(parameter: Parameter, needle: str) -> bool:
    return needle in parameter.path.lower() or needle in parameter.description.lower()
