"""Scenario files: what loads, what it resolves to, and the one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusim.errors import ScenarioError
from gpusim.scenario import load_scenario
from gpusim.spec import gpu_preset
from gpusim.workload import AllreduceWorkload, CopyWorkload, GemmWorkload

REPO = Path(__file__).resolve().parents[2]

GEMM = """
schema_version = 1
[gpu]
preset = "H100-SXM5-80GB"
[workload]
kind = "gemm"
kernel = "gemm_smem_tiled_32"
m = 512
n = 256
k = 128
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def test_the_quickstart_loads() -> None:
    scenario = load_scenario(REPO / "scenarios" / "quickstart.toml")
    assert scenario.name == "quickstart"
    assert scenario.hardware == gpu_preset("H100-SXM5-80GB")
    assert scenario.workload == GemmWorkload(kernel="gemm_smem_tiled_32", m=1024, n=1024, k=1024)
    assert scenario.bound().limiter == "compute"


def test_a_scenario_without_a_name_is_named_after_its_file(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, GEMM)).name == "s"


def test_overrides_apply_by_dotted_path_in_either_toml_form(tmp_path: Path) -> None:
    quoted = GEMM.replace("[workload]", '[gpu.overrides]\n"l2.size_bytes" = 104857600\n[workload]')
    dotted = GEMM.replace("[workload]", "[gpu.overrides]\nl2.size_bytes = 104857600\n[workload]")
    for text in (quoted, dotted):
        scenario = load_scenario(write(tmp_path, text))
        assert scenario.gpu.l2.size_bytes == 104857600
        assert scenario.document["gpu"]["overrides"] == {"l2.size_bytes": 104857600}


def test_a_copy_and_an_allreduce_load(tmp_path: Path) -> None:
    copy = load_scenario(
        write(
            tmp_path,
            'schema_version = 1\n[gpu]\npreset = "A100-SXM4-80GB"\n'
            '[workload]\nkind = "copy"\nsize_bytes = 1048576\n',
        )
    )
    assert copy.workload == CopyWorkload(size_bytes=1048576)
    allreduce = load_scenario(
        write(
            tmp_path,
            'schema_version = 1\n[system]\npreset = "8xH100-NVSwitch"\n'
            "[system.overrides]\nnodes = 2\n"
            '[workload]\nkind = "allreduce"\nsize_bytes = 1024\nranks = 16\n',
        )
    )
    assert isinstance(allreduce.workload, AllreduceWorkload)
    assert allreduce.gpu.name == "H100-SXM5-80GB"
    assert allreduce.bound().limiter == "network"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("m = 512", "m = -4"), "workload.m: must be > 0, got -4"),
        (("m = 512", "m = 4.5"), "workload.m: must be an integer, got 4.5"),
        (("m = 512", ""), "workload.m: missing (required)"),
        (("k = 128", "k = 128\nbatch = 2"), "workload.batch: unknown field, got 2"),
        (
            ('kind = "gemm"', 'kind = "fft"'),
            "workload.kind: must be one of gemm, copy, microbenchmark, allreduce, allgather, reducescatter, broadcast, reduce, training_step, got 'fft'",
        ),
        (
            ('kernel = "gemm_smem_tiled_32"', 'kernel = "gemm_magic"'),
            "workload.kernel: must be one of ",
        ),
        (('preset = "H100-SXM5-80GB"', 'preset = "H900"'), "gpu.preset: unknown GPU preset 'H900'"),
        (
            ("schema_version = 1", "schema_version = 2"),
            "schema_version: this gpusim reads version 1, got 2",
        ),
        (("schema_version = 1", "schema_version = 0"), "schema_version: must be one of 1, got 0"),
        (("schema_version = 1", ""), "schema_version: missing (required)"),
        (
            ("schema_version = 1", "schema_version = 1\ncolour = 'red'"),
            "colour: unknown field, got 'red'",
        ),
        (("[gpu]", "[system]"), "system.preset: unknown system preset 'H100-SXM5-80GB'"),
        (
            ("[workload]", '[gpu.overrides]\n"sm.count" = 0\n[workload]'),
            "gpu.overrides.sm.count: must be > 0, got 0",
        ),
        (
            ("[workload]", "[gpu.overrides]\nsm.cores = 1\n[workload]"),
            "gpu.overrides.sm.cores: unknown field",
        ),
    ],
)
def test_a_bad_scenario_gives_one_line_naming_file_and_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, GEMM.replace(*change))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_gpu_and_system_tables_are_exclusive(tmp_path: Path) -> None:
    both = GEMM + '[system]\npreset = "8xH100-NVSwitch"\n'
    with pytest.raises(
        ScenarioError, match=r"give exactly one of a \[gpu\] or a \[system\] table$"
    ):
        load_scenario(write(tmp_path, both))
    neither = GEMM.replace('[gpu]\npreset = "H100-SXM5-80GB"\n', "")
    with pytest.raises(
        ScenarioError, match=r"give exactly one of a \[gpu\] or a \[system\] table$"
    ):
        load_scenario(write(tmp_path, neither))


def test_a_workload_must_run_on_the_right_kind_of_hardware(tmp_path: Path) -> None:
    text = GEMM.replace("[gpu]", "[system]").replace("H100-SXM5-80GB", "8xH100-NVSwitch")
    with pytest.raises(ScenarioError, match=r"workload\.kind: 'gemm' runs on a \[gpu\] table$"):
        load_scenario(write(tmp_path, text))


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        (
            'kind = "copy"\nsize_bytes = 6',
            "workload.size_bytes: must be a multiple of 4 (fp32 elements), got 6",
        ),
        ('kind = "copy"\nsize_bytes = 0', "workload.size_bytes: must be > 0, got 0"),
    ],
)
def test_copy_sizes_are_whole_elements(tmp_path: Path, workload: str, message: str) -> None:
    text = f'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n[workload]\n{workload}\n'
    with pytest.raises(
        ScenarioError, match=f": {message}$".replace("(", r"\(").replace(")", r"\)")
    ):
        load_scenario(write(tmp_path, text))


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        (
            "size_bytes = 6\ndtype = 'fp32'",
            "workload.size_bytes: must be a multiple of 4 (fp32 elements), got 6",
        ),
        ("size_bytes = 8\nranks = 0", "workload.ranks: must be >= 2, got 0"),
        ("size_bytes = 8\nranks = 9", "workload.ranks: 8xH100-NVSwitch has 8 GPUs, got 9"),
    ],
)
def test_allreduce_errors(tmp_path: Path, workload: str, message: str) -> None:
    text = (
        'schema_version = 1\n[system]\npreset = "8xH100-NVSwitch"\n'
        f'[workload]\nkind = "allreduce"\n{workload}\n'
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, text))
    assert str(caught.value).endswith(f": {message}")


def test_unreadable_and_malformed_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match=r"nope\.toml: cannot read: No such file or directory$"):
        load_scenario(missing)
    broken = write(tmp_path, "schema_version = \n")
    with pytest.raises(ScenarioError, match=r"s\.toml: not valid TOML: "):
        load_scenario(broken)
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ScenarioError, match=r"b\.toml: cannot read: "):
        load_scenario(binary)


def test_a_kind_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    text = GEMM.replace('kind = "gemm"', "kind = [1]")
    with pytest.raises(
        ScenarioError,
        match=r"workload\.kind: must be one of gemm, copy, microbenchmark, allreduce, allgather, reducescatter, broadcast, reduce, training_step, got \[1\]$",
    ):
        load_scenario(write(tmp_path, text))


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        ('kind = "allreduce"\nsize_bytes = 64\nalgo = "butterfly"', "workload.algo: "),
        ('kind = "broadcast"\nsize_bytes = 64\nroot = 8', "workload.root: ranks are 0 to 7, got 8"),
        ('kind = "allgather"\nsize_bytes = 36', "workload.size_bytes: a allgather over 8 ranks"),
    ],
)
def test_collectives_are_checked_against_the_system(
    tmp_path: Path, workload: str, message: str
) -> None:
    text = f'schema_version = 1\n[system]\npreset = "8xH100-NVSwitch"\n[workload]\n{workload}\n'
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_every_collective_kind_loads_and_has_a_bound(tmp_path: Path) -> None:
    for kind in ("allreduce", "allgather", "reducescatter", "broadcast", "reduce"):
        text = (
            'schema_version = 1\n[system]\npreset = "8xA100-NVSwitch"\n'
            f'[workload]\nkind = "{kind}"\nsize_bytes = 1048576\n'
        )
        scenario = load_scenario(write(tmp_path, text))
        assert scenario.workload.kind == kind
        assert scenario.bound().time_s > 0
