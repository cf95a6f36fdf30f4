"""Checking a timed case's output against its reference on a sample of the output.

A full check of an 8192 x 8192 GEMM needs a 1.1 TFLOP float64 product on the host, and of
a 4 GiB copy a 4 GiB transfer back; a sample is as telling for the errors that matter here
(an unwritten element stays NaN, a wrong index breaks a whole row or span). Samples are
``SAMPLE_SPANS`` spans of ``span`` consecutive indices along the output's first axis (rows
of C, vectors of the copy, elements of the ring's buffers): always the first and the last
span, where edge handling lives, and random ones between. Outputs small enough to fit in
the spans are checked whole.

The judgement is the self-check's (``gpusim.cuda.selfcheck.compare``): every sampled
element finite and ``||out - ref|| / ||ref||`` within the tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels import KernelParams
from gpusim.cuda.selfcheck import compare
from gpusim.validate.measurements import Correctness

SAMPLE_SPANS = 4

Span = tuple[int, int]


def sample_spans(length: int, span: int, rng: np.random.Generator) -> list[Span]:
    """Sorted, disjoint ``[start, stop)`` spans over ``range(length)``: first, last, random.

    The whole range, as one span, when ``SAMPLE_SPANS`` spans would cover it anyway.
    """
    if length <= SAMPLE_SPANS * span:
        return [(0, length)]
    slots = length // span
    middle = rng.choice(np.arange(1, slots - 1), size=SAMPLE_SPANS - 2, replace=False)
    starts = [0, *sorted(int(slot) * span for slot in middle), length - span]
    return [(start, start + span) for start in starts]


def judge(
    kernel: str,
    params: KernelParams,
    out: npt.NDArray[Any],
    ref: npt.NDArray[Any],
    rel_tolerance: float,
    output_elements: int,
) -> Correctness:
    """The sampled output ``out`` against ``ref``, as the self-check judges a whole output."""
    result = compare(kernel, kernel, params, out, ref, rel_tolerance)
    return Correctness(
        rel_error=result.rel_error,
        rel_tolerance=rel_tolerance,
        non_finite_elements=result.non_finite_elements,
        sampled_elements=int(out.size),
        output_elements=output_elements,
        passed=result.passed,
    )
