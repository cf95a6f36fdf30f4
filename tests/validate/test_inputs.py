"""Pooled host inputs: make_args' distribution, disjoint and read-only views, NaN outputs."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.validate.inputs import CHUNK_ELEMENTS, HostInputs, fill_random_nonzero


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_values_are_nonzero_magnitudes_in_a_quarter_to_one_with_both_signs(dtype: type) -> None:
    values = np.empty(CHUNK_ELEMENTS + 1000, dtype)
    fill_random_nonzero(values, (7,), threads=2)
    magnitudes = np.abs(values.astype(np.float64))
    assert magnitudes.min() >= 0.25 and magnitudes.max() <= 1.0
    assert 0.45 < np.mean(values > 0) < 0.55


def test_the_fill_does_not_depend_on_the_thread_count() -> None:
    one, many = np.empty(3 * CHUNK_ELEMENTS, np.float32), np.empty(3 * CHUNK_ELEMENTS, np.float32)
    fill_random_nonzero(one, (3,), threads=1)
    fill_random_nonzero(many, (3,), threads=3)
    assert np.array_equal(one, many)


def test_arrays_of_one_request_do_not_overlap_and_cannot_be_written() -> None:
    inputs = HostInputs(seed=5, threads=2)
    inputs.reserve(np.float32, 200)
    a, b = inputs.random([(10, 10), (100,)], np.float32)
    assert a.shape == (10, 10) and b.shape == (100,)
    assert not np.shares_memory(a, b)
    with pytest.raises(ValueError, match="read-only"):
        a[0, 0] = 1.0


def test_poisoned_outputs_are_all_nan_and_grow_on_demand() -> None:
    inputs = HostInputs(seed=5, threads=1)
    assert np.isnan(inputs.poisoned((3, 4), np.float32)).all()
    larger = inputs.poisoned((100,), np.complex128)
    assert larger.shape == (100,) and np.isnan(larger).all()


def test_an_unreserved_larger_request_regrows_the_pool() -> None:
    inputs = HostInputs(seed=5, threads=1)
    inputs.reserve(np.float64, 10)
    (small,) = inputs.random([(10,)], np.float64)
    (large,) = inputs.random([(CHUNK_ELEMENTS * 2,)], np.float64)
    assert large.size == 2 * CHUNK_ELEMENTS and np.all(large != 0) and np.all(small != 0)
