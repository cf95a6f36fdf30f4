"""Fuzz: a measurement or published file changed anywhere is read whole or refused in one line.

Each example takes a valid file (the synthetic recording, or a committed published file),
replaces one value somewhere in it with an arbitrary JSON value (or deletes its key), and
loads it: the loader must either accept it, or raise its one-line user error naming the
file; never another exception, never a partial read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpusim.errors import GpusimError
from gpusim.validate.measurements import load_measurements
from gpusim.validate.published import load_published
from tests.validate.conftest import synthetic_measurements

PUBLISHED = Path(__file__).parents[2] / "validation" / "published"
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
DELETE = object()
"""Stands for 'remove this key' among the replacement values."""


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``document`` a value can be replaced: keys of objects, items of lists."""
    places: list[tuple[Any, ...]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            places.append((*prefix, key))
            places.extend(_paths(value, (*prefix, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            places.append((*prefix, index))
            places.extend(_paths(value, (*prefix, index)))
    return places


def _mutated(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if value is DELETE and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = None if value is DELETE else value
    return copy


def _assert_one_line_or_read(load: Any, path: Path) -> None:
    try:
        load(path)
    except GpusimError as err:
        message = str(err)
        assert "\n" not in message
        assert message.startswith(str(path))


RECORDING = json.loads(synthetic_measurements().to_json())
RECORDING_PLACES = _paths(RECORDING)
PUBLISHED_DOCUMENTS = {path.name: json.loads(path.read_text()) for path in PUBLISHED.glob("*.json")}


@settings(
    max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), value=JSON_VALUES | st.just(DELETE))
def test_a_changed_recording_is_read_or_refused_in_one_line(
    tmp_path: Path, data: st.DataObject, value: Any
) -> None:
    place = data.draw(st.sampled_from(RECORDING_PLACES))
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(_mutated(RECORDING, place, value)))
    _assert_one_line_or_read(load_measurements, path)


@settings(
    max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), value=JSON_VALUES | st.just(DELETE))
def test_a_changed_published_file_is_read_or_refused_in_one_line(
    tmp_path: Path, data: st.DataObject, value: Any
) -> None:
    name = data.draw(st.sampled_from(sorted(PUBLISHED_DOCUMENTS)))
    document = PUBLISHED_DOCUMENTS[name]
    place = data.draw(st.sampled_from(_paths(document)))
    path = tmp_path / name
    path.write_text(json.dumps(_mutated(document, place, value)))
    _assert_one_line_or_read(load_published, path)
