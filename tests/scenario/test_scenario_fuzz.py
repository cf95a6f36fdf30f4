"""Random documents never crash the loader: each gives a scenario or a ScenarioError."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpusim.errors import ScenarioError
from gpusim.scenario import Scenario, load_scenario, scenario_from_dict

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
