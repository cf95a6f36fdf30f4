"""The README's study table and each study's own description agree: same studies, same time
(re-measuring a study means changing both, and this test says which one was missed)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| [^|]+ \| `gpusim sweep (scenarios/\S+\.toml)` \| (\d+) s \|$", re.MULTILINE)
ABOUT = re.compile(r"about\s+(\d+)\s+CPU\s+s\s+with\s+--jobs\s+2")
A_FEW_SECONDS_S = 5
"""The most a README time may be where the description says "a few seconds"."""


def _readme_times_s() -> dict[str, int]:
    return {path: int(seconds) for path, seconds in ROW.findall((REPO / "README.md").read_text())}


def _sweep_files() -> list[str]:
    return sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "scenarios").glob("*.toml")
        if "sweep" in tomllib.loads(path.read_text())
    )


def test_every_study_has_one_readme_row() -> None:
    assert sorted(_readme_times_s()) == _sweep_files()


def test_each_description_states_the_readme_time() -> None:
    for path, readme_s in _readme_times_s().items():
        description = " ".join(tomllib.loads((REPO / path).read_text())["description"].split())
        stated = ABOUT.search(description)
        if stated is None:
            assert "a few seconds" in description, f"{path}: no time in its description"
            assert readme_s <= A_FEW_SECONDS_S, f"{path}: README says {readme_s} s"
        else:
            assert int(stated.group(1)) == readme_s, f"{path}: README says {readme_s} s"
