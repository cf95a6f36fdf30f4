"""Random documents never crash the loader: each gives a scenario or a ScenarioError; any
override or sweep value gives a finite spec within its fields' ranges or one line; a refused
scenario writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import math
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.cli.output import spec_rows
from gpusim.errors import ScenarioError
from gpusim.scenario import Scenario, check_sweep_points, load_scenario, scenario_from_dict
from gpusim.spec import gpu_preset

# Keys and values near the schema, so that many documents get deep into the loader.
KEYS = st.sampled_from(
    [
        "schema_version",
        "name",
        "description",
        "gpu",
        "system",
        "workload",
        "sweep",
        "preset",
        "overrides",
        "kind",
        "kernel",
        "m",
        "n",
        "k",
        "size_bytes",
        "dtype",
        "algo",
        "ranks",
        "mode",
        "axes",
        "start",
        "stop",
        "step",
        "factor",
        "l2.size_bytes",
        "sm.count",
        "sm",
        "count",
        "nodes",
        "workload.m",
        "gpu.preset",
        "gpu.l2.size_bytes",
        "system.nodes",
        "",
    ]
) | st.text(string.ascii_lowercase + "._", max_size=12)

SCALARS = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.sampled_from([0, 1, 2, 4, 8, 512, 1024, 1 << 20])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.sampled_from(
        [
            "H100-SXM5-80GB",
            "8xH100-NVSwitch",
            "gemm",
            "copy",
            "allreduce",
            "grid",
            "zip",
            "gemm_naive",
            "fp32",
            "ring",
            "",
        ]
    )
    | st.text(max_size=8)
    | st.dates()
    | st.times()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
)

VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=20,
)


RANGES = st.fixed_dictionaries(
    {"start": SCALARS, "stop": SCALARS}, optional={"step": SCALARS, "factor": SCALARS}
)


def check(load: Any) -> None:
    try:
        result = load()
    except ScenarioError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(result, Scenario)
        for point in result.sweep_points()[:3]:
            try:
                result.at(point)
            except ScenarioError as err:
                assert "\n" not in str(err)


@settings(max_examples=600, deadline=None)
@given(
    document=st.fixed_dictionaries(
        {"schema_version": st.just(1) | SCALARS},
        optional={
            "gpu": st.fixed_dictionaries(
                {"preset": st.just("H100-SXM5-80GB") | SCALARS},
                optional={"overrides": st.dictionaries(KEYS, VALUES, max_size=3)},
            ),
            "system": st.fixed_dictionaries(
                {"preset": st.just("8xH100-NVSwitch") | SCALARS},
                optional={"overrides": st.dictionaries(KEYS, VALUES, max_size=3)},
            ),
            "workload": st.dictionaries(KEYS, VALUES, max_size=6)
            | st.fixed_dictionaries(
                {"kind": st.sampled_from(["gemm", "copy", "allreduce"]) | VALUES},
                optional={
                    "m": SCALARS,
                    "n": SCALARS,
                    "k": SCALARS,
                    "size_bytes": SCALARS,
                    "ranks": SCALARS,
                    "kernel": SCALARS,
                    "dtype": SCALARS,
                },
            ),
            "sweep": st.dictionaries(KEYS, VALUES, max_size=3)
            | st.fixed_dictionaries(
                {"axes": st.dictionaries(KEYS, VALUES | RANGES, max_size=3)},
                optional={"mode": SCALARS},
            ),
            "name": SCALARS,
            "extra": VALUES,
        },
    )
)
def test_random_documents_give_a_scenario_or_a_scenario_error(document: dict[str, Any]) -> None:
    check(lambda: scenario_from_dict(document, source="fuzz.toml"))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200) | st.binary(max_size=200))
def test_random_files_give_a_scenario_or_a_scenario_error(
    tmp_path: Path, text: str | bytes
) -> None:
    path = tmp_path / "fuzz.toml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(text)
    check(lambda: load_scenario(path))


# --- Override values: every spec field, any number ------------------------------------------

GPU_FIELDS = [path for path, _, _ in spec_rows(gpu_preset("H100-SXM5-80GB"))]
NUMBERS = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 1e30, 1e-30, 10**8, 2**63])
)


def _within_bounds(model: BaseModel) -> None:
    """Every numeric leaf of a resolved spec is finite and inside its field's range."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            _within_bounds(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            assert math.isfinite(value), name
            for bound in info.metadata:
                assert getattr(bound, "ge", None) is None or value >= bound.ge, name
                assert getattr(bound, "gt", None) is None or value > bound.gt, name
                assert getattr(bound, "le", None) is None or value <= bound.le, name


@settings(max_examples=150, deadline=2000)
@given(overrides=st.dictionaries(st.sampled_from(GPU_FIELDS), NUMBERS, min_size=1, max_size=3))
def test_override_values_give_a_bounded_finite_spec_or_one_line(
    overrides: dict[str, Any],
) -> None:
    document = {
        "schema_version": 1,
        "gpu": {"preset": "H100-SXM5-80GB", "overrides": overrides},
        "workload": {"kind": "copy", "size_bytes": 1024},
    }
    try:
        scenario = scenario_from_dict(document, source="fuzz.toml")
    except ScenarioError as err:
        assert "\n" not in str(err)
        # Either an override out of its range, or an in-range capacity the workload's
        # operands do not fit (the message names both fields).
        message = str(err)
        assert message.startswith("fuzz.toml: gpu.overrides.") or (
            message.startswith("fuzz.toml: workload.size_bytes:")
            and "(dram.capacity_bytes)" in message
            and "dram.capacity_bytes" in overrides
        )
    else:
        _within_bounds(scenario.gpu)


@settings(max_examples=60, deadline=2000)
@given(
    path=st.sampled_from(GPU_FIELDS),
    values=st.lists(NUMBERS, min_size=1, max_size=4),
)
def test_sweep_axis_values_are_checked_by_scenario_check(path: str, values: list[Any]) -> None:
    document = {
        "schema_version": 1,
        "gpu": {"preset": "H100-SXM5-80GB"},
        "workload": {"kind": "copy", "size_bytes": 1024},
        "sweep": {"axes": {f"gpu.{path}": values}},
    }
    try:
        scenario = scenario_from_dict(document, source="fuzz.toml")
        check_sweep_points(scenario)
    except ScenarioError as err:
        assert "\n" not in str(err)
        assert str(err).startswith(f"fuzz.toml: sweep.axes.gpu.{path}")
    else:  # checked: then every point resolves within bounds, as a sweep will need it to
        for point in scenario.sweep_points():
            _within_bounds(scenario.at(point).gpu)


@settings(
    max_examples=25, deadline=10_000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(overrides=st.dictionaries(st.sampled_from(GPU_FIELDS), NUMBERS, min_size=1, max_size=2))
def test_run_of_a_refused_scenario_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, overrides: dict[str, Any]
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    document = {
        "schema_version": 1,
        "gpu": {"preset": "H100-SXM5-80GB", "overrides": overrides},
        "workload": {"kind": "copy", "size_bytes": 1024},
    }
    try:
        scenario_from_dict(document, source="fuzz.toml")
    except ScenarioError:
        pass
    else:
        return  # a valid scenario would simulate: not this test's business
    path = folder / "fuzz.toml"
    path.write_text(_toml(document))
    store, report = folder / "store.sqlite", folder / "report.html"
    result = CliRunner().invoke(
        app, ["run", str(path), "--store", str(store), "--html", str(report)]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert sorted(p.name for p in folder.iterdir()) == ["fuzz.toml"]


def _toml(document: dict[str, Any]) -> str:
    """The fuzz document as TOML (the loader's own parser reads it back)."""

    def value(v: Any) -> str:
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, float) and math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return json.dumps(v)

    overrides = ", ".join(
        f"{json.dumps(k)} = {value(v)}" for k, v in document["gpu"]["overrides"].items()
    )
    return (
        'schema_version = 1\n[gpu]\npreset = "H100-SXM5-80GB"\n'
        f"overrides = {{ {overrides} }}\n"
        '[workload]\nkind = "copy"\nsize_bytes = 1024\n'
    )
