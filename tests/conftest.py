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
