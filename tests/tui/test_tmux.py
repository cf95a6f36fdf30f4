"""``gpusim tui`` in a real terminal (tmux): it starts, runs the quick start, quits with 0.

The pilot tests drive the app in-process; this one checks what they cannot: the console
script, the terminal driver, the simulation process beside a live screen, a clean exit.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gpusim.tui.catalog import PACKAGE_ROOT
from tests.tui.conftest import RUN_TIMEOUT_S

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")

WIDTH, HEIGHT = 100, 30
TIME_ROW = re.compile(r"time\s+[\d.]+ (ns|us|ms|s)\b")


class Terminal:
    """A detached tmux session on a private server, read with capture-pane."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        assert TMUX is not None  # the module is skipped without tmux
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "explorer")

    def wait_for(self, seen: Callable[[str], bool], what: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if seen(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"no {what} on the screen after {timeout:.0f} s:\n{self.screen()}")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    session = Terminal(f"gpusim-tui-test-{os.getpid()}")
    yield session
    subprocess.run([TMUX or "tmux", "-L", session.socket, "kill-server"], capture_output=True)


def explorer_command() -> list[str]:
    script = Path(sys.executable).with_name("gpusim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gpusim"]


def test_the_quickstart_runs_in_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    status = tmp_path / "exit-status"
    command = shlex.join([*explorer_command(), "tui", "scenarios/quickstart.toml"])
    shell = (
        f"cd {shlex.quote(str(PACKAGE_ROOT))} && {command}; echo $? > {shlex.quote(str(status))}"
    )
    terminal.tmux("new-session", "-d", "-s", "explorer", "-x", str(WIDTH), "-y", str(HEIGHT), shell)
    terminal.wait_for(lambda text: "quickstart" in text and "Run" in text, "explorer", 60)
    terminal.tmux("send-keys", "-t", "explorer", "r")
    shown = terminal.wait_for(
        lambda text: TIME_ROW.search(text) is not None, "result", RUN_TIMEOUT_S
    )
    assert "throughput" in shown and "TFLOP/s" in shown
    terminal.tmux("send-keys", "-t", "explorer", "q")
    deadline = time.monotonic() + 30
    while not status.exists() or not status.read_text().strip():
        assert time.monotonic() < deadline, f"the explorer did not quit:\n{terminal.screen()}"
        time.sleep(0.2)
    assert status.read_text().strip() == "0"
