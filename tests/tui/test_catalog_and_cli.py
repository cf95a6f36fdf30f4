"""What the explorer lists, and ``gpusim tui`` refusing a bad file before the screen opens."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gpusim.cli import app as cli
from gpusim.tui.catalog import PACKAGE_ROOT, catalog, default_dirs
from gpusim.tui.draft import Draft
from gpusim.workload import AllreduceWorkload, GemmWorkload
from tests.tui.conftest import SMALL_GEMM


def test_files_come_first_then_folders_then_presets(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text("")
    (tmp_path / "a.toml").write_text("")
    entries = catalog([SMALL_GEMM, tmp_path / "b.toml"], [tmp_path])
    scenarios = [entry.label for entry in entries if entry.group == "scenario"]
    assert scenarios == ["small_gemm", "b", "a"]  # b listed once, where it was named
    assert "H100-SXM5-80GB" in [entry.label for entry in entries if entry.group == "gpu"]
    assert "8xH100-NVSwitch" in [entry.label for entry in entries if entry.group == "system"]
    assert len({entry.key for entry in entries}) == len(entries)


def test_the_checkouts_scenarios_are_found_from_anywhere(tmp_path: Path) -> None:
    assert default_dirs(tmp_path) == [PACKAGE_ROOT / "scenarios"]
    assert (PACKAGE_ROOT / "scenarios" / "quickstart.toml").exists()


def test_a_preset_opens_with_a_default_workload() -> None:
    entries = {entry.key: entry for entry in catalog([], [])}
    gpu = entries["gpu:H100-SXM5-80GB"].load()
    assert isinstance(gpu.workload, GemmWorkload) and gpu.workload.m == 1024
    system = entries["system:8xH100-NVSwitch"].load()
    assert isinstance(system.workload, AllreduceWorkload)
    assert system.workload.size_bytes == 64 * 2**20


def test_gpusim_tui_refuses_a_bad_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n[workload]\nkind = "gemm"\nm = -4\nn = 1\nk = 1\n'
    )
    result = CliRunner().invoke(cli, ["tui", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {bad}: workload.m: must be > 0, got -4\n"


def test_gpusim_lists_the_tui_command() -> None:
    result = CliRunner().invoke(cli, ["--help"], env={"COLUMNS": "120"})
    assert "tui" in result.stdout


def test_every_scenario_of_the_checkout_opens_in_the_editor() -> None:
    entries = catalog([], [PACKAGE_ROOT / "scenarios"])
    for entry in entries:
        draft = Draft(entry.load())
        assert draft.valid and draft.build().workload == draft.scenario.workload, entry.label
