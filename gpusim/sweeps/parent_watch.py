"""Pool workers that end with the sweep's process, however it ends.

A sweep's parent killed outright (``kill -9``, the out-of-memory killer) runs no cleanup, and
its workers would live on: an idle one waits on the pool's queue, whose pipe never closes
(every worker holds its write end too), and a busy one goes on with its point. So each
worker arranges, as it starts, to die with its parent. On Linux the kernel does it
(``prctl(PR_SET_PDEATHSIG, SIGKILL)``: immediate, busy or idle; Linux's parent is the thread
that started the worker, which is the thread running the sweep, and that outlives its
pool). Elsewhere a daemon thread polls the parent's pid every ``PARENT_POLL_S`` seconds; it
ends an idle worker at once and a busy one as soon as the engine's jitted loop hands the
interpreter back (after its current chunk of work, well under a second). With the workers
gone, multiprocessing's resource tracker (which waits for the last holder of its pipe) ends
too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
"""``prctl`` option from <linux/prctl.h>: the signal this process gets when its parent dies."""
PARENT_POLL_S = 0.5
ORPHAN_EXIT_CODE = 1


def end_with_parent(parent_pid: int) -> None:
    """Make this process (a pool worker started by ``parent_pid``) die when its parent does."""
    if not _kernel_kills_on_parent_death():
        threading.Thread(
            target=watch_parent, args=(parent_pid,), name="gpusim-parent-watch", daemon=True
        ).start()
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(ORPHAN_EXIT_CODE)


def watch_parent(parent_pid: int) -> None:
    """Poll until this process's parent is no longer ``parent_pid`` (an orphan is adopted by
    another process), then exit at once, without cleanup: the parent that would want it
    is gone."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(ORPHAN_EXIT_CODE)


def _kernel_kills_on_parent_death() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; ``False`` where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no C library to load, or one without prctl
        return False
