"""Cache replacement policies: a hot working set reused between scans of a stream.

Four ways in one set; the hot lines 0 and 1 are used twice after each scan of four lines
that are never used again. LRU replaces the hot lines with every scan; SRRIP fills scan
lines as "long re-reference" and replaces them before the hot lines a hit promoted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpusim.errors import ScenarioError, SpecError
from gpusim.hw.sm import cache, replacement
from gpusim.hw.sm.l2 import l2_replay
from gpusim.hw.sm.memory_state import (
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    INVALID_TAG,
    memory_params,
    new_memory_state,
)
from gpusim.scenario import load_scenario
from gpusim.spec.gpu import REPLACEMENT_POLICIES, GpuSpec
from gpusim.spec.presets import gpu_preset

WAYS = 4
HOT = [0, 1, 0, 1]
ROUNDS = 3


def _pattern() -> list[int]:
    """Warm the hot set, then ROUNDS times: scan four new lines, reuse the hot set."""
    lines = list(HOT)
    for round_index in range(ROUNDS):
        scan = 100 + 10 * round_index
        lines += [scan, scan + 1, scan + 2, scan + 3, *HOT]
    return lines


def _hits(policy: str) -> int:
    code = replacement.POLICY_CODES[policy]
    tags = np.full((1, 1, WAYS), INVALID_TAG, dtype=np.int64)
    valid = np.zeros((1, 1, WAYS), dtype=np.int64)
    rank = np.full((1, 1, WAYS), replacement.empty_rank(code), dtype=np.int64)
    stamp = np.zeros(1, dtype=np.int64)
    hits = 0
    for line in _pattern():
        _, previous = cache.lookup(tags, valid, rank, code, stamp, 0, 0, line)
        hits += previous == line
    return hits


def test_every_policy_name_of_the_spec_has_engine_code() -> None:
    assert tuple(replacement.POLICY_CODES) == REPLACEMENT_POLICIES


def test_lru_loses_the_hot_set_to_every_scan() -> None:
    # The warm-up's two reuses, then per round only the second use of each hot line.
    assert _hits("lru") == 2 + ROUNDS * 2


def test_srrip_keeps_the_hot_set_through_the_scans() -> None:
    assert _hits("srrip") == 2 + ROUNDS * 4


def _tiny_l2(policy: str) -> GpuSpec:
    """An H100 whose L2 is one slice of one 4-way set (512 bytes)."""
    return gpu_preset("H100-SXM5-80GB").with_overrides(
        {
            "l2.slices": 1,
            "l2.associativity": WAYS,
            "l2.size_bytes": WAYS * 128,
            "l2.replacement_policy": policy,
        }
    )


@pytest.mark.parametrize(("policy", "hits"), [("lru", 2 + ROUNDS * 2), ("srrip", 2 + ROUNDS * 4)])
def test_the_l2_replacement_policy_is_the_specs(policy: str, hits: int) -> None:
    gpu = _tiny_l2(policy)
    params = memory_params(gpu, gpu.l1.size_bytes)
    state = new_memory_state(params, sms=1)
    for line in _pattern():
        l2_replay(params, state, 0, line * gpu.l2.line_bytes, False)
    assert state.counters[0, C_L2_HIT_SECTORS] == hits
    assert state.counters[0, C_L2_MISS_SECTORS] == len(_pattern()) - hits


def test_an_unknown_policy_is_refused_naming_the_field_and_the_known_ones() -> None:
    gpu = gpu_preset("H100-SXM5-80GB")
    with pytest.raises(SpecError) as caught:
        gpu.with_overrides({"l1.replacement_policy": "mru"})
    assert str(caught.value) == "l1.replacement_policy: unknown policy 'mru' (known: lru, srrip)"


def test_a_line_of_more_than_64_sectors_is_refused() -> None:
    gpu = gpu_preset("H100-SXM5-80GB")
    with pytest.raises(SpecError, match=r"^l2\.line_bytes: at most 64 sectors"):
        gpu.with_overrides({"l2.line_bytes": 2048, "l2.sector_bytes": 16})  # 128 sectors


def test_all_64_sector_bits_of_a_line_are_kept() -> None:
    """Sector 63's bit is the sign bit of the valid word: it must read back as valid."""
    gpu = gpu_preset("H100-SXM5-80GB").with_overrides(
        {"l2.sector_bytes": 2, "l2.slices": 1, "l2.associativity": 1, "l2.size_bytes": 128}
    )
    params = memory_params(gpu, gpu.l1.size_bytes)
    state = new_memory_state(params, sms=1)
    for _ in range(2):
        for sector in range(64):
            l2_replay(params, state, 0, 2 * sector, False)
    assert state.counters[0, C_L2_MISS_SECTORS] == 64
    assert state.counters[0, C_L2_HIT_SECTORS] == 64


def test_a_sweep_walks_the_policies(tmp_path: Path) -> None:
    path = tmp_path / "policies.toml"
    path.write_text(
        'schema_version = 1\nname = "policies"\n[gpu]\npreset = "H100-SXM5-80GB"\n'
        '[workload]\nkind = "copy"\nsize_bytes = 1048576\n'
        '[sweep.axes]\n"gpu.l2.replacement_policy" = ["lru", "srrip"]\n'
    )
    scenario = load_scenario(path)
    policies = [scenario.at(point).gpu.l2.replacement_policy for point in scenario.sweep_points()]
    assert policies == ["lru", "srrip"]


def test_a_scenario_with_an_unknown_policy_does_not_load(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'schema_version = 1\nname = "bad"\n[gpu]\npreset = "H100-SXM5-80GB"\n'
        '[gpu.overrides]\n"l2.replacement_policy" = "random"\n'
        '[workload]\nkind = "copy"\nsize_bytes = 1048576\n'
    )
    with pytest.raises(ScenarioError, match=r"l2\.replacement_policy: unknown policy 'random'"):
        load_scenario(path)
