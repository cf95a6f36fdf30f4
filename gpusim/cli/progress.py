"""How a command shows a long computation's progress, the same way for every command.

A command that can take more than a few seconds (``run``, ``trace``, ``sweep``,
``collective``, ``validate compare``, ``accuracy-table``, ``ratchet``) wraps its work in
``progress_line``: on a terminal, one Rich line on stderr says what it is doing, how far it
has got (a fraction, a count of steps, or of a known total) and for how long; elsewhere
(a pipe, a file, a test) nothing is drawn, so stdout and stderr carry the result alone.
Notes (a sweep's failed point) are printed on stderr either way.

Ctrl-C is the root group's (``gpusim.cli.INTERRUPTED_EXIT_CODE``): wherever it strikes, the
command ends with one line, ``interrupted``, and exit code 130. Files are written
atomically and the results store in transactions, so an interrupted command leaves what was
there before, whole. Python sees Ctrl-C only between bytecodes, so the engine's jitted loop
hands the interpreter back after every chunk of bounded work (``gpusim.hw.sm.issue``,
``CHUNK_SM_CYCLES``: under 0.1 s of CPU), in fast and detailed mode alike. A pool
sweep's workers are terminated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

P = ParamSpec("P")
R = TypeVar("R")


class ProgressLine:
    """The progress of one computation: a fraction, or steps (of a total, if known)."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def fraction(self, done: float) -> None:
        """The computation is ``done`` (0 to 1) of the way through."""
        self._progress.update(self._task, completed=done)

    def step(self, total: int | None = None) -> None:
        """One more step is done (``total``: the number of steps, where it has changed)."""
        self._progress.update(self._task, advance=1, total=total)

    def counting(self, function: Callable[P, R]) -> Callable[P, R]:
        """``function``, each call one step once it returns (to count the simulations a
        comparison makes through the callable it is given)."""

        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            result = function(*args, **kwargs)
            self.step()
            return result

        return counted

    def note(self, message: str) -> None:
        """A line on stderr, above the progress line (printed where none is drawn too)."""
        self._progress.console.print(message, markup=False, soft_wrap=True, highlight=False)


@contextmanager
def progress_line(
    description: str,
    *,
    steps: int | None = None,
    fraction: bool = False,
    unit: str | None = None,
    keep: bool = False,
) -> Iterator[ProgressLine]:
    """A progress line on stderr while the block runs, on a terminal only.

    ``fraction``: the block reports how far it is (``ProgressLine.fraction``: a bar and a
    percentage); else it counts steps, of ``steps`` in all (a bar and M/N) or of a total not
    known (a spinner, and the count followed by ``unit`` if given). ``keep``: the finished
    line stays on screen (a sweep's), else it is erased.
    """
    stderr = Console(stderr=True, highlight=False)
    columns: list[ProgressColumn | str] = [TextColumn("{task.description}")]
    total: float | None = steps
    if fraction:
        columns += [BarColumn(), TaskProgressColumn()]
        total = 1.0
    elif steps is None:
        columns.append(SpinnerColumn())
        if unit is not None:
            columns.append(TextColumn(f"{{task.completed:.0f}} {unit}"))
    else:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    with Progress(
        *columns, console=stderr, transient=not keep, disable=not stderr.is_terminal
    ) as progress:
        yield ProgressLine(progress, progress.add_task(description, total=total))
