"""The engine's data by name, its fast-mode settings, and where its machine code lives."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from gpusim.errors import EngineError
from gpusim.hw.sm.engine_cache import engine_cache_dir, engine_digest
from gpusim.hw.sm.program import EngineProgram
from gpusim.hw.sm.settings import FastModeSettings
from gpusim.hw.sm.state import ProgramArrays


def test_every_array_the_core_reads_is_a_field_of_the_program() -> None:
    program_fields = {field.name for field in fields(EngineProgram)}
    assert set(ProgramArrays._fields) <= program_fields


@pytest.mark.parametrize("name", ["measured_rounds", "representative_sms"])
def test_settings_that_cannot_be_zero_are_refused_by_name(name: str) -> None:
    with pytest.raises(EngineError, match=rf"^fast_mode\.{name}: must be at least 1, got 0$"):
        FastModeSettings(**{name: 0})


def test_a_negative_tolerance_is_refused_by_name() -> None:
    with pytest.raises(EngineError, match=r"^fast_mode\.round_time_tolerance: must be at least 0,"):
        FastModeSettings(round_time_tolerance=-0.1)


def test_the_result_types_load_without_numba() -> None:
    code = "import gpusim.hw.sm.result, sys; assert 'numba' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_cache_folder_is_named_after_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("GPUSIM_CACHE_DIR", str(tmp_path))
    assert engine_cache_dir() == tmp_path / "numba" / engine_digest()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert engine_cache_dir() == tmp_path / "mine"
