"""The portable fallback of ``parent_watch`` (Linux uses the kernel): a process polling its
parent exits soon after that parent is killed."""

from __future__ import annotations

import subprocess
import sys

from gpusim.sweeps.parent_watch import PARENT_POLL_S
from tests.sweep.test_interrupt import needs_proc, still_alive

WATCHING_CHILD = (
    "import os; from gpusim.sweeps.parent_watch import watch_parent; "
    "print(os.getpid(), flush=True); watch_parent(os.getppid())"
)
PARENT = (
    "import subprocess, sys; "
    f"subprocess.run([sys.executable, '-c', {WATCHING_CHILD!r}], check=False)"
)


@needs_proc
def test_a_watching_process_exits_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert still_alive([child], 2 * PARENT_POLL_S) == [child], "it waits while the parent lives"
    parent.kill()
    parent.wait()
    assert still_alive([child], 10 * PARENT_POLL_S) == []
