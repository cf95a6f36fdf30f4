"""Bad training scenarios: one line naming the field, at load, and exit 2 from the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.errors import ScenarioError
from gpusim.scenario import scenario_from_dict

TINY_MODEL = {
    "layers": 2, "hidden": 256, "heads": 8, "kv_heads": 8, "ffn": 512, "vocab": 1024,
    "seq_len": 128,
}  # fmt: skip


def _scenario(system: dict[str, Any] | None = None, **workload: Any) -> dict[str, Any]:
    """A tiny model's step, or a preset's (``model``) with the given fields."""
    model = {} if "model" in workload else TINY_MODEL
    return {
        "schema_version": 1,
        "system": system or {"preset": "8xH100-NVSwitch"},
        "workload": {"kind": "training_step", "global_batch": 8, **model, **workload},
    }


@pytest.mark.parametrize(
    ("system", "workload", "message"),
    [
        (
            None,
            {"dp": 1, "tp": 2},
            "t.toml: workload.dp: dp x tp x pp = 1 x 2 x 1 = 2, but 8xH100-NVSwitch has 8 GPUs",
        ),
        (
            {"preset": "8xH100-NVSwitch", "overrides": {"nodes": 2}},
            {"dp": 1, "tp": 16, "heads": 16, "kv_heads": 16},
            "t.toml: workload.tp: tensor-parallel groups stay inside a node of 8 GPUs, got 16",
        ),
        (None, {"dp": 1, "tp": 8, "heads": 4, "kv_heads": 4}, "t.toml: workload.tp: must "),
        (
            {"preset": "8xA100-NVSwitch"},
            {"dp": 8, "dtype": "fp8"},
            "t.toml: workload.dtype: no registered tensor-core GEMM kernel takes fp8 operands on "
            "the A100",
        ),
        (None, {"dp": 8, "model": "gpt-5"}, "t.toml: workload.model: must be one of llama2-7b"),
        (None, {"dp": 8, "global_batch": 12}, "t.toml: workload.global_batch: must be a mult"),
        (None, {"dp": 4, "pp": 2, "layers": 3}, "t.toml: workload.pp: must divide layers (3)"),
        (
            None,
            {"model": "llama2-70b", "dp": 1, "tp": 8, "seq_len": 4096},
            "t.toml: workload: the model does not fit: a GPU of stage 0 needs",
        ),
    ],
)
def test_a_bad_training_step_is_one_line_naming_the_field(
    system: dict[str, Any] | None, workload: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError) as raised:
        scenario_from_dict(_scenario(system, **workload), source="t.toml")
    assert str(raised.value).startswith(message), str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_model_that_does_not_fit_names_what_it_needs() -> None:
    with pytest.raises(ScenarioError) as raised:
        scenario_from_dict(_scenario(model="llama2-70b", dp=1, tp=8), source="t.toml")
    assert "weights 16.06 GiB" in str(raised.value)
    assert "(gpu.dram.capacity_bytes); raise tp or pp" in str(raised.value)


def test_the_cli_refuses_a_bad_step_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'schema_version = 1\n[system]\npreset = "8xH100-NVSwitch"\n[workload]\n'
        'kind = "training_step"\nmodel = "llama2-7b"\nglobal_batch = 8\ndp = 2\ntp = 2\n'
    )
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: workload.dp: dp x tp x pp = 2 x 2 x 1 = 4, but 8xH100-NVSwitch has "
        "8 GPUs\n"
    )
