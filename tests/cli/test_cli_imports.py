"""One-way flow: reading scenarios and the light commands never load Numba, Plotly or the engine.

Each case runs in a fresh interpreter, as a user's shell would, and lists the heavy modules
it loaded. These are what keeps ``gpusim --help``, ``presets``, ``scenario`` and ``results``
starting in well under half a second (``bench/bench_speed.py`` times them): a kernel
scenario needs the kernels' definitions (and NumPy with them) but not the collectives
(SimPy); the store, the presets and the help need neither.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpusim.cli import COMMANDS, LazyCommand

HEAVY = (
    "numba",
    "plotly",
    "gpusim.hw.sm",
    "gpusim.api",
    "textual",
    "simpy",
    "gpusim.collectives",
    "distributed",
    "pandas",
)
LIGHT_ONLY = (*HEAVY, "numpy", "gpusim.workload", "gpusim.cuda")
"""What a command that reads no workload (presets, results, help) does not load either."""
QUICKSTART = str(Path(__file__).parents[2] / "scenarios" / "quickstart.toml")


def _heavy_modules_loaded(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
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


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results store holding one run (of the quick start), as record 1."""
    path = tmp_path_factory.mktemp("store") / "results.sqlite"
    subprocess.run(
        [sys.executable, "-m", "gpusim", "run", QUICKSTART, "--store", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def _command(args: list[str]) -> str:
    """Python that runs ``gpusim ARGS`` as the console script does and expects success."""
    return (
        "import sys\nfrom gpusim.cli import main\n"
        f"sys.argv = ['gpusim', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code"
    )


@pytest.mark.parametrize(
    "args", [["scenario", "check", QUICKSTART], ["scenario", "show", QUICKSTART]]
)
def test_scenario_commands_import_no_numba_plotly_engine_or_collectives(args: list[str]) -> None:
    assert _heavy_modules_loaded(_command(args)) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["presets"],
        ["presets", "show", "H100-SXM5-80GB"],
        ["results", "list", "--store", "{store}"],
        ["results", "show", "1", "--store", "{store}"],
    ],
)
def test_commands_that_read_no_workload_import_no_kernels_or_numpy(
    args: list[str], store: Path
) -> None:
    command = _command([arg.format(store=store) for arg in args])
    assert _heavy_modules_loaded(command, LIGHT_ONLY) == []


@pytest.mark.parametrize("lazy", COMMANDS, ids=[command.name for command in COMMANDS])
def test_the_root_help_line_is_the_commands_own(lazy: LazyCommand) -> None:
    command = lazy.load()
    assert command.name == lazy.name
    assert (command.help or "").split("\n\n")[0].replace("\n", " ").strip() == lazy.help
