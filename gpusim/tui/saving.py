"""Saving the edited scenario as TOML and exporting the run shown as an HTML report.

Both ask for a path first (``PathPrompt``); a file that cannot be written is a
notification naming it, never a crash. The report is written off the interface's thread,
since Plotly takes a moment.
"""

from __future__ import annotations

from pathlib import Path

from textual import work

from gpusim.errors import GpusimError
from gpusim.tui.catalog import Entry
from gpusim.tui.explorer_base import ExplorerBase
from gpusim.tui.history import RunRecord
from gpusim.tui.screens.prompt import PathPrompt
from gpusim.tui.tomlwriter import write_scenario
from gpusim.tui.widgets.catalog_list import CatalogList


class FileActions(ExplorerBase):
    """The explorer's save and export actions (a part of ``ExplorerApp``)."""

    def action_save(self) -> None:
        """Write the edited scenario as a TOML file that ``gpusim run`` accepts unchanged."""
        draft = self.draft
        if draft is None or self.edited_scenario("Save refused") is None:
            return
        default = Path.cwd() / f"{draft.scenario.name}.toml"
        prompt = PathPrompt("Save the scenario as", default, "a TOML file; esc cancels")
        self.push_screen(prompt, callback=self._save_to)

    def _save_to(self, path: Path | None) -> None:
        draft = self.draft
        if path is None or draft is None:
            return
        try:
            write_scenario(path, draft.document(), source=draft.scenario.source)
        except (OSError, GpusimError) as err:
            self.notify(
                f"{path}: cannot write: {_reason(err)}", title="Save failed", severity="error"
            )
            return
        self._list_saved(Entry("scenario", path.stem, path))
        self.notify(f"Saved {path}: gpusim run {path} runs it", title="Saved")

    def _list_saved(self, entry: Entry) -> None:
        """List a scenario file just saved (after the other scenarios), or, if it is
        listed already, drop its draft so it reopens as saved."""
        if all(known.key != entry.key for known in self._entries):
            scenarios = [known for known in self._entries if known.group == "scenario"]
            self._entries.insert(len(scenarios), entry)
            self.query_one(CatalogList).show(self._entries, current=self._entry_key)
        else:
            self._drafts.pop(entry.key, None)

    def action_export(self) -> None:
        """Write the run shown as the HTML report ``gpusim run --html`` writes."""
        record = self.shown
        if record is None:
            self.notify("Run a scenario first: r runs it, e then exports it.", severity="warning")
            return
        default = Path.cwd() / f"{record.scenario.name}-run{record.number}.html"
        prompt = PathPrompt(f"Export {record.title} as", default, "an HTML file; esc cancels")
        self.push_screen(prompt, callback=lambda path: self._export(record, path))

    def _export(self, record: RunRecord, path: Path | None) -> None:
        if path is not None:
            self._write_report(record, path)

    @work(thread=True, group="export", exit_on_error=False)
    def _write_report(self, record: RunRecord, path: Path) -> None:
        """Write the report off the interface's thread (Plotly takes a moment)."""
        from gpusim.report import write_report  # Plotly loads only when a report is written

        try:
            write_report(record.result, path, scenario=record.scenario, bound=record.bound)
        except (OSError, GpusimError) as err:
            self.call_from_thread(
                self.notify, f"{path}: {_reason(err)}", title="Export failed", severity="error"
            )
            return
        self.call_from_thread(self.notify, f"Wrote {path}", title="Exported")


def _reason(err: OSError | GpusimError) -> str:
    """Why a file could not be written, in one line."""
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)
