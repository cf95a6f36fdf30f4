"""Progress of long commands: a Rich line on stderr on a terminal (``FORCE_COLOR`` makes
Rich take the captured stream for one), nothing at all elsewhere; notes either way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gpusim.cli.progress import progress_line

COLLECTIVE = ["collective", "allreduce", "--system", "8xH100-NVSwitch", "--sizes", "8:64K"]
"""14 sizes, doubling from 8 B, in a second or so."""


def test_on_a_terminal_the_line_shows_the_fraction_the_steps_or_the_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    with progress_line("simulating quickstart", fraction=True) as line:
        line.fraction(0.5)
        line.fraction(1.0)
    with progress_line("points", steps=3) as line:
        for _ in range(3):
            line.step()
    with progress_line("comparing", unit="simulations") as line:
        doubled = line.counting(lambda value: 2 * value)
        assert [doubled(1), doubled(2)] == [2, 4]
    shown = capsys.readouterr().err
    assert "simulating quickstart" in shown and "100%" in shown
    assert "points" in shown and "3/3" in shown
    assert "2 simulations" in shown


def test_elsewhere_only_notes_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_line("points", steps=2) as line:
        line.step()
        line.note("point 1 (gpu.sm.count=0): failed")
        line.step()
    assert capsys.readouterr() == ("", "point 1 (gpu.sm.count=0): failed\n")


@pytest.mark.parametrize(("terminal", "progress"), [({"FORCE_COLOR": "1"}, True), ({}, False)])
def test_a_command_shows_its_progress_on_a_terminal_only(
    terminal: dict[str, str], progress: bool
) -> None:
    environment = {"PATH": "/usr/bin:/bin", "COLUMNS": "100", **terminal}
    finished = subprocess.run(
        [sys.executable, "-m", "gpusim", *COLLECTIVE],
        capture_output=True, text=True, env=environment, check=True, timeout=300,
    )  # fmt: skip
    assert "# gpusim allreduce: 8xH100-NVSwitch" in finished.stdout
    if progress:
        assert "allreduce on 8xH100-NVSwitch" in finished.stderr and "14/14" in finished.stderr
    else:
        assert finished.stderr == ""
