"""Claims: which process is simulating which point, so that two sweeps sharing a store do
not both simulate it.

Before simulating a point, a sweep claims its hash in the store's ``claims`` table (one row:
the owner's token, pid and host, and when). Another sweep that finds a live claim waits for
the owner's record instead of simulating the point itself. Storing the point's record
deletes the claim in the same transaction; an interrupted sweep deletes its claims as it
stops. A killed one cannot, so a claim is *stale*, and may be taken over, when its owner's
process is gone (same host: its pid no longer runs) or when it is older than
``CLAIM_STALE_S`` (the only test possible for a process on another host).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

CLAIM_STALE_S = 3600.0
"""A claim this old is taken over whoever holds it: a point on another host that runs longer
than this may be simulated twice (never lost)."""


@dataclass(frozen=True)
class Claimant:
    """Who claims: one sweep (its own token, so two sweeps of one process are two owners),
    in this process, on this host."""

    token: str
    pid: int
    host: str

    @classmethod
    def this_process(cls) -> Claimant:
        """A new owner in this process."""
        return cls(token=secrets.token_hex(8), pid=os.getpid(), host=socket.gethostname())


@dataclass(frozen=True)
class Claim:
    """A row of the ``claims`` table."""

    owner: str
    pid: int
    host: str
    claimed_unix_s: float

    def is_stale(self, now_unix_s: float, host: str) -> bool:
        """Whether the claim may be taken over by a process on ``host`` at ``now_unix_s``."""
        if now_unix_s - self.claimed_unix_s > CLAIM_STALE_S:
            return True
        return self.host == host and not pid_running(self.pid)


def pid_running(pid: int) -> bool:
    """Whether a process with this id runs on this host (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
