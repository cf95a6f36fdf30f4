"""Servers that serve in arrival order whatever order requests are processed in."""

from __future__ import annotations

import pytest

from gpusim.hw.sm.calendar import WORDS, new_calendar, serve, shift

SLOT_NS = 0.5


def test_an_idle_server_serves_at_once() -> None:
    calendar = new_calendar(2)
    assert serve(calendar, 0, 3.3, SLOT_NS) == 3.3
    assert serve(calendar, 1, 3.3, SLOT_NS) == 3.3  # another server: its own slots


def test_a_busy_server_serves_one_request_a_slot() -> None:
    calendar = new_calendar(1)
    starts = [serve(calendar, 0, 10.0, SLOT_NS) for _ in range(200)]  # crosses 3 words
    assert starts == [10.0 + k * SLOT_NS for k in range(200)]


def test_a_request_stamped_ahead_holds_only_its_slot() -> None:
    """Processed first, a request due at 100 ns takes its slot; one due at 1 ns, processed
    after it, is served at 1 ns, not behind it (a "busy until" time would give 100.5)."""
    calendar = new_calendar(1)
    assert serve(calendar, 0, 100.0, SLOT_NS) == 100.0
    assert serve(calendar, 0, 1.0, SLOT_NS) == 1.0
    assert serve(calendar, 0, 100.2, SLOT_NS) == 100.5  # 100.0's slot is taken


def test_a_shift_moves_the_schedule() -> None:
    calendar = new_calendar(1)
    serve(calendar, 0, 0.0, SLOT_NS)
    shift(calendar, 7.0)
    assert serve(calendar, 0, 7.0, SLOT_NS) == 7.5  # the taken slot moved to 7.0
    assert serve(calendar, 0, 20.0, SLOT_NS) == 20.0


def test_the_ring_reuses_a_word_for_a_later_stretch() -> None:
    calendar = new_calendar(1)
    ring_ns = WORDS * 64 * SLOT_NS
    assert serve(calendar, 0, 0.0, SLOT_NS) == 0.0
    assert serve(calendar, 0, ring_ns, SLOT_NS) == pytest.approx(ring_ns)
    assert serve(calendar, 0, ring_ns, SLOT_NS) == pytest.approx(ring_ns + SLOT_NS)
