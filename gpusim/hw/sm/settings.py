"""Fast mode's settings: how many SMs it simulates and when it may skip repeated work.

One frozen value passed to ``simulate_kernel``; the defaults are the figures the engine
docs (docs/engine.md) measured against detailed mode. Tests and studies pass their own
instead of changing module globals, so two simulations in one process never share them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gpusim.errors import EngineError


@dataclass(frozen=True)
class FastModeSettings:
    """Representatives, round skips and loop jumps of fast mode (detailed mode ignores it)."""

    representative_sms: int = 4
    """SMs simulated in full, each with the L2 and HBM traffic of the SMs it stands for."""
    short_grid_representative_sms: int = 64
    """Representatives for grids of at most ``short_grid_waves`` waves: a kernel ends with
    its slowest SM, and when it is over in a wave or two that maximum over all SMs is a
    visible share of its time. Under GTO an SM's CTAs fall into a fast or a slow rhythm,
    and a handful of samples can miss the slow one (16 representatives: 6.3% short of
    detailed mode on a 1024^3 register-blocked GEMM); 64 come within 3% on every GEMM at
    512^3 and 1024^3."""
    short_grid_waves: float = 2.0

    skip_rounds: bool = True
    """Skip whole rounds of CTAs once the representatives' rounds are steady."""
    warm_rounds: int = 1
    """Rounds simulated before any is measured (the first sees cold caches)."""
    measured_rounds: int = 2
    """The last rounds (or periods of rounds, ``max_round_period``) whose steadiness is
    judged and whose mean time and counter growth are extrapolated over the rounds
    skipped."""
    round_time_tolerance: float = 0.03
    """The measured rounds are steady when their mean CTA times differ by at most this
    share. Loop jumps extrapolate each CTA's loop from a short window, so steady rounds
    scatter by about 2% (8192^3 register-blocked GEMM: 2525 to 2640 us a round); a 1% test
    waited for a lucky pair of rounds (the sixth, there), and the mean of two rounds
    carries half the scatter of one."""
    round_l2_hit_points: float = 0.02
    """... and their L2 hit ratios by at most this much. L2 carries state from round to
    round: as the grid's rows sweep a matrix larger than L2, its hit ratio can cycle over
    several rounds (0.85 to 0.99 every 8 rounds on a 4096^3 tiled-16 GEMM, whose round time
    follows it), and rounds in different phases are not steady."""

    max_round_period: int = 16
    """Longest cycle of rounds the skip looks for. A period of ``p`` rounds is steady when
    the last ``measured_rounds`` periods agree round by round (time and L2 hit ratio at each
    phase), and then whole periods are skipped. L2's phase cycles when the grid's walk over
    a matrix larger than L2 lines up with the rounds again: 8 rounds on a 4096^3 tiled-16
    GEMM on an H100 (33 rows of 256 CTAs are 8 rounds of 1056). Shorter periods are tried
    first, and period 1 is the two-steady-rounds test."""

    jump_loops: bool = True
    """Jump over steady periods of the CTAs' main loops (``gpusim.hw.sm.loopskip``)."""
    window_periods_per_cta: int = 16
    """A window for measuring the loop-period rate holds this many periods per resident
    warp."""
    barrier_free_window_periods_per_cta: int = 4
    """The same for a kernel without ``bar.sync``, whose warps need no barrier turns to
    average over: a 1 GiB copy jumps after about 11 of its 64 periods instead of 34 (time
    +0.26% on an H100, +0.64% on an A100). A jump stays inside one pass of the loop
    (``gpusim.hw.sm.passes``), so a multi-pass stream is not judged by its DRAM-bound first
    pass over its L2-served rest."""
    loop_rate_tolerance: float = 0.02
    """Two consecutive windows are steady when their period rates differ by at most this
    share..."""
    loop_hit_ratio_points: float = 0.02
    """... and their L1 and L2 hit ratios by at most this much: CTAs that start together
    share lines in L1 until they drift apart, and a jump taken during that drift would keep
    its hits for the whole loop."""
    loop_margin_periods: int = 2
    """Periods left unjumped before the nearest loop end, so exits and tails are simulated."""
    min_jump_periods: int = 4
    """A jump of fewer periods is not worth making."""
    replay_l2_fills: float = 2.0
    """A jump's last periods are replayed through L2 until their traffic covers L2 this
    many times over: with LRU replacement L2 then holds what the periods just before the
    jump's end would have left there."""

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool):
                continue
            at_least = 1 if spec.name in _AT_LEAST_ONE else 0
            if value < at_least:
                raise EngineError(
                    f"fast_mode.{spec.name}: must be at least {at_least}, got {value!r}"
                )


_AT_LEAST_ONE = frozenset(
    {
        "representative_sms",
        "short_grid_representative_sms",
        "measured_rounds",
        "max_round_period",
        "window_periods_per_cta",
        "barrier_free_window_periods_per_cta",
        "min_jump_periods",
    }
)
"""Settings that make no sense at zero (the rest may be zero: no tolerance, no margin)."""

DEFAULT_SETTINGS = FastModeSettings()
"""The settings the engine docs measured (docs/engine.md)."""
