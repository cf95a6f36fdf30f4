"""One way to time a command for the benches: ``/usr/bin/time -v`` around it, so wall time,
CPU time (user + sys of the command and every child it waited for: a sweep's workers
included) and peak RSS come from one measurement. The machine is shared, so the benches
quote CPU time beside wall time: wall time alone can mislead."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

WALL_LABEL = "Elapsed (wall clock) time (h:mm:ss or m:ss)"


@dataclass(frozen=True)
class Timed:
    """A finished command: its figures, exit code and output."""

    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    exit_code: int
    stdout: str
    stderr: str
    """The command's own stderr (``time``'s report taken off)."""


def run_timed(command: list[str], env: Mapping[str, str], cwd: Path) -> Timed:
    """Run ``command`` to the end under ``/usr/bin/time -v``."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        check=False,
    )
    own_stderr, marker, report = done.stderr.rpartition("\tCommand being timed:")
    if not marker:
        raise RuntimeError(f"/usr/bin/time printed no report for {' '.join(command)}")

    def field(label: str) -> str:
        found = re.search(rf"{re.escape(label)}: (.+)", report)
        if found is None:
            raise RuntimeError(f"/usr/bin/time printed no {label!r}")
        return found.group(1).strip()

    clock = field(WALL_LABEL).split(":")
    return Timed(
        wall_s=sum(float(part) * 60**i for i, part in enumerate(reversed(clock))),
        cpu_s=float(field("User time (seconds)")) + float(field("System time (seconds)")),
        peak_rss_bytes=int(field("Maximum resident set size (kbytes)")) * 1024,
        exit_code=done.returncode,
        stdout=done.stdout,
        stderr=own_stderr,
    )
