"""The results pane's panel table: one place that the pane and the help follow."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from gpusim.tui.panels import PANELS, Panel
from gpusim.tui.screens.help import help_markdown


def test_the_help_names_every_panel_and_tabs_are_distinct() -> None:
    guide = " ".join(help_markdown().split())
    assert all(panel.describes in guide for panel in PANELS)
    assert len({panel.tab_id for panel in PANELS}) == len(PANELS)


def test_a_panel_whose_widget_cannot_show_a_run_is_refused() -> None:
    with pytest.raises(TypeError, match="panel notes: Static has no show"):
        Panel("notes", "Notes", Static, "any", True, "notes")
