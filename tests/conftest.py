"""Every test run keeps its results store apart from the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def private_results_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point ``GPUSIM_STORE`` at a file of this test session (unless the user set one)."""
    if "GPUSIM_STORE" in os.environ:
        yield
        return
    os.environ["GPUSIM_STORE"] = str(tmp_path_factory.mktemp("store") / "results.sqlite")
    try:
        yield
    finally:
        del os.environ["GPUSIM_STORE"]


_SLOW_DESELECTED = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SLOW_DESELECTED] = 0


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Count the slow cases the default ``-m 'not slow'`` leaves out."""
    if not items:
        return
    config = items[0].config
    if "not slow" in (config.option.markexpr or ""):
        config.stash[_SLOW_DESELECTED] += sum(
            1 for item in items if item.get_closest_marker("slow")
        )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say which cases the run left out, and how to run them (``make test`` is not all)."""
    left_out = config.stash.get(_SLOW_DESELECTED, 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} slow test(s) deselected; run them with `make test-slow`"
            " (or `pytest -m slow`)"
        )
