"""A command started as a terminal starts a foreground job: in a process group of its own
(Ctrl-C reaches the whole group) and with Ctrl-C at its default action.

The default matters: a process started with SIGINT ignored keeps it ignored across exec, and
Python then never raises KeyboardInterrupt (the POSIX rule that keeps background jobs alive).
CI runners and ``cmd &`` in a script start the test suite that way, so a test that strikes
Ctrl-C must restore it in the child, as an interactive shell does for its foreground job.
"""

from __future__ import annotations

import signal
from typing import Any


def _ctrl_c_at_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


FOREGROUND_JOB: dict[str, Any] = {"start_new_session": True, "preexec_fn": _ctrl_c_at_default}
"""``subprocess.Popen`` keyword arguments for a command a terminal user could Ctrl-C."""
