"""Slow cases (whole studies, the API example) are skipped unless ``-m`` names the marker.

pyproject.toml documents slow cases as excluded from the default run; this keeps that
promise for the tests in this folder whatever the default options are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow; run with -m slow")
    for item in items:
        if "slow" in item.keywords and HERE in item.path.parents:
            item.add_marker(skip)
