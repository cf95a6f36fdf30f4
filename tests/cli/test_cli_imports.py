"""One-way flow: reading scenarios and the light commands never load Numba, Plotly or the engine.

Each case runs in a fresh interpreter, as a user's shell would, and lists the heavy modules
it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpusim.cli import COMMANDS, LazyCommand

HEAVY = ("numba", "plotly", "gpusim.hw.sm", "gpusim.api", "textual")
QUICKSTART = str(Path(__file__).parents[2] / "scenarios" / "quickstart.toml")


def _heavy_modules_loaded(code: str) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return loaded


def test_loading_a_scenario_imports_no_numba() -> None:
    assert (
        _heavy_modules_loaded(
            f"import gpusim.scenario\ngpusim.scenario.load_scenario({QUICKSTART!r})"
        )
        == []
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["presets"],
        ["presets", "show", "H100-SXM5-80GB"],
        ["scenario", "check", QUICKSTART],
        ["scenario", "show", QUICKSTART],
    ],
)
def test_light_commands_import_no_numba_plotly_or_engine(args: list[str]) -> None:
    code = (
        "import sys\nfrom gpusim.cli import main\n"
        f"sys.argv = ['gpusim', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code"
    )
    assert _heavy_modules_loaded(code) == []


@pytest.mark.parametrize("lazy", COMMANDS, ids=[command.name for command in COMMANDS])
def test_the_root_help_line_is_the_commands_own(lazy: LazyCommand) -> None:
    command = lazy.load()
    assert command.name == lazy.name
    assert (command.help or "").split("\n\n")[0].replace("\n", " ").strip() == lazy.help
