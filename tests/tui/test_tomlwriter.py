"""Saved scenarios: TOML that reads back to the same document, and that ``gpusim run`` runs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gpusim.cli import app as cli
from gpusim.scenario import load_scenario
from gpusim.tui.draft import Draft
from gpusim.tui.tomlwriter import dumps, write_scenario
from tests.tui.conftest import SMALL_GEMM

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
)
keys = st.text(min_size=1, max_size=12)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=6,
)
documents = st.dictionaries(
    keys,
    st.one_of(values, st.dictionaries(keys, st.dictionaries(keys, values, max_size=3))),
    max_size=4,
)


@given(documents)
def test_any_document_reads_back_unchanged(document: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(document)) == document


def test_dotted_override_keys_are_quoted() -> None:
    document = {
        "schema_version": 1,
        "gpu": {"preset": "H100-SXM5-80GB", "overrides": {"l2.size_bytes": 104857600}},
        "workload": {"kind": "gemm", "m": 256, "n": 256, "k": 256},
        "sweep": {"axes": {"workload.m": {"start": 256, "stop": 1024, "factor": 2}}},
    }
    text = dumps(document, comment="a comment")
    assert text.startswith("# a comment\n")
    assert '[gpu.overrides]\n"l2.size_bytes" = 104857600\n' in text
    assert '"workload.m" = { start = 256, stop = 1024, factor = 2 }' in text
    assert tomllib.loads(text) == document


def test_values_toml_cannot_hold_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot write NoneType"):
        dumps({"ranks": None})


@pytest.fixture
def edited() -> Draft:
    draft = Draft(load_scenario(SMALL_GEMM))
    for path, text in {
        "gpu.l2.size_bytes": "100 MiB",
        "gpu.dram.bandwidth_bytes_per_s": "4 TB/s",
        "gpu.sm.clock_hz": "1.755 GHz",
        "workload.kernel": "gemm_smem_tiled_16",
    }.items():
        assert draft.set(path, text) is None
    return draft


def test_a_saved_scenario_loads_back_equal(edited: Draft, tmp_path: Path) -> None:
    path = tmp_path / "edited.toml"
    write_scenario(path, edited.document(), source=str(SMALL_GEMM))
    scenario, reloaded = edited.build(), load_scenario(path)
    assert reloaded.document == scenario.document
    assert (reloaded.name, reloaded.hardware, reloaded.workload) == (
        scenario.name,
        scenario.hardware,
        scenario.workload,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["edited.toml"]  # no temporary left


def test_gpusim_run_accepts_a_saved_scenario(edited: Draft, tmp_path: Path) -> None:
    path = tmp_path / "edited.toml"
    write_scenario(path, edited.document(), source=str(SMALL_GEMM))
    result = CliRunner().invoke(cli, ["run", str(path), "--json"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert '"scenario": "small_gemm"' in result.stdout
    assert '"kernel": "gemm_smem_tiled_16"' in result.stdout
