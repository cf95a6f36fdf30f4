"""simulate_collective: clear errors, determinism, protocols, timelines, and invariants."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpusim.collectives import (
    ALGORITHMS,
    check_collective,
    simulate_collective,
    sweep_collective,
    sweep_sizes,
)
from gpusim.collectives.tuner import protocols_of, tuned_channels
from gpusim.errors import CollectiveError, SpecError
from gpusim.schema import validate_model
from gpusim.spec import SystemSpec, system_preset
from gpusim.workload import (
    COLLECTIVE_KINDS,
    AllgatherWorkload,
    AllreduceWorkload,
    BroadcastWorkload,
    CollectiveWorkload,
)

H100_NODE = system_preset("8xH100-NVSwitch")
GIB = 1 << 30


def test_an_unknown_system_lists_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"^unknown system preset 'DGX-9' \(known: 8xA100-NVSwitch"):
        system_preset("DGX-9")


@pytest.mark.parametrize(
    ("workload", "system", "message"),
    [
        (AllreduceWorkload(size_bytes=64, algo="magic"), H100_NODE,
         r"^algo: unknown algorithm 'magic' for allreduce \(known: auto, ring, tree, nvls\)$"),
        (AllgatherWorkload(size_bytes=64, algo="tree"), H100_NODE,
         r"^algo: unknown algorithm 'tree' for allgather \(known: auto, ring\)$"),
        (AllreduceWorkload(size_bytes=64, ranks=9), H100_NODE,
         r"^ranks: 8xH100-NVSwitch has 8 GPUs, got 9$"),
        (AllreduceWorkload(size_bytes=64, ranks=12), H100_NODE.with_overrides({"nodes": 2}),
         r"^ranks: a collective across nodes takes whole nodes \(a multiple of 8\), got 12$"),
        (AllgatherWorkload(size_bytes=36), H100_NODE,
         r"^size_bytes: a allgather over 8 ranks needs whole fp32 elements per rank "
         r"\(a multiple of 32 B\), got 36$"),
        (BroadcastWorkload(size_bytes=64, root=8), H100_NODE, r"^root: ranks are 0 to 7, got 8$"),
    ],
)  # fmt: skip
def test_a_collective_that_does_not_fit_is_refused_in_one_line(
    workload: CollectiveWorkload, system: SystemSpec, message: str
) -> None:
    with pytest.raises(CollectiveError, match=message):
        simulate_collective(system, workload)
    with pytest.raises(CollectiveError, match=message):
        check_collective(system, workload)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"size_bytes": 64, "ranks": 0}, r"^ranks: must be >= 2, got 0$"),
        ({"size_bytes": 6}, r"^size_bytes: must be a multiple of 4 \(fp32 elements\), got 6$"),
        ({"size_bytes": 3, "dtype": "bf16"}, r"^size_bytes: must be a multiple of 2 \(bf16"),
        ({"size_bytes": 0}, r"^size_bytes: must be > 0, got 0$"),
    ],
)
def test_bad_workloads_name_their_field(data: dict[str, object], message: str) -> None:
    for model in COLLECTIVE_KINDS.values():
        with pytest.raises(ValueError, match=message):
            validate_model(model, data)


def test_every_collective_has_a_workload_kind_and_a_ring() -> None:
    assert set(ALGORITHMS) == set(COLLECTIVE_KINDS)
    assert all("ring" in algorithms for algorithms in ALGORITHMS.values())


def test_the_same_inputs_give_the_same_numbers() -> None:
    system = H100_NODE.with_overrides({"nodes": 2})
    workload = AllreduceWorkload(size_bytes=48 << 20, algo="tree")
    assert simulate_collective(system, workload) == simulate_collective(system, workload)


def test_auto_picks_the_fastest_protocol_at_each_size() -> None:
    for size in (256, 4 << 20, 256 << 20):
        workload = AllreduceWorkload(size_bytes=size)
        forced = {
            protocol: simulate_collective(
                H100_NODE.with_overrides({"collective.protocol": protocol}), workload
            ).time_s
            for protocol in ("simple", "ll128", "ll")
        }
        auto = simulate_collective(H100_NODE, workload)
        assert auto.time_s == min(forced.values())
        assert forced[auto.protocol] == auto.time_s


def test_auto_picks_ll_for_tiny_and_simple_for_huge_messages() -> None:
    assert simulate_collective(H100_NODE, AllreduceWorkload(size_bytes=8)).protocol == "ll"
    huge = simulate_collective(H100_NODE, AllreduceWorkload(size_bytes=1 << 30))
    assert huge.protocol == "simple"


def test_small_messages_open_fewer_channels() -> None:
    system = H100_NODE.with_overrides({"collective.protocol": "simple"})
    channels = [
        simulate_collective(system, AllreduceWorkload(size_bytes=size, algo="ring")).channels
        for size in (8, 64 << 10, 1 << 20)
    ]
    assert channels == [1, 2, 24]  # one per 32 KiB, at most the 24 NCCL opens on 8 H100s


def test_the_timeline_is_recorded_only_when_asked_for() -> None:
    workload = AllreduceWorkload(size_bytes=1 << 20)
    assert simulate_collective(H100_NODE, workload).timeline is None
    result = simulate_collective(H100_NODE, workload, timeline=True)
    assert result.timeline is not None
    assert [entry.start_s for entry in result.timeline] == sorted(
        entry.start_s for entry in result.timeline
    )
    for link in result.links:
        carried = sum(e.size_bytes for e in result.timeline if e.link == link.name)
        assert carried == pytest.approx(link.carried_bytes)
    assert max(entry.end_s for entry in result.timeline) <= result.time_s


def test_a_result_reports_in_nccl_tests_terms() -> None:
    result = simulate_collective(H100_NODE, AllreduceWorkload(size_bytes=1 << 20, dtype="bf16"))
    row = result.row()
    assert (row["size_bytes"], row["count"], row["type"], row["redop"]) == (
        1 << 20, 1 << 19, "bfloat16", "sum"
    )  # fmt: skip
    assert row["algbw_gbps"] == pytest.approx((1 << 20) / result.time_s / 1e9)
    assert row["busbw_gbps"] == pytest.approx(row["algbw_gbps"] * 2 * 7 / 8)
    assert row["time_us"] == pytest.approx(result.time_s * 1e6)
    assert row["bound_us"] == pytest.approx(result.bound.time_s * 1e6)
    document = result.to_dict()
    assert document["links"] and "timeline" not in document


def test_a_sweep_replaces_the_size_and_keeps_the_rest() -> None:
    workload = AllreduceWorkload(size_bytes=4, algo="tree", ranks=4)
    results = sweep_collective(H100_NODE, workload, [64, 128])
    assert [(r.size_bytes, r.algo, r.ranks) for r in results] == [(64, "tree", 4), (128, "tree", 4)]


@pytest.mark.parametrize(
    ("collective", "name", "depth"),
    [
        ("allreduce", "ring", 1),  # every rank's chunk fills its link from the first step
        ("allreduce", "tree", 6),  # up and down a tree of height 3
        ("allreduce", "nvls", 6),  # copy, read, sum, store, multicast, copy
        ("allgather", "ring", 1),
        ("reducescatter", "ring", 1),
        ("broadcast", "ring", 7),  # a chain of 7 hops
        ("reduce", "ring", 7),
    ],
)
def test_the_smallest_cap_that_keeps_the_pipeline_full_runs_and_one_message_less_is_refused(
    collective: str, name: str, depth: int
) -> None:
    """``slice_messages`` is what the simulation sends per slice and 1 GiB wants more slices
    than any pipeline is deep: with the cap at ``depth`` slices, ``depth`` slices per channel
    run; one message under it the collective is refused unsimulated (at depth 1 because even
    one slice is over the cap, else because the pipeline would run short)."""
    entry = ALGORITHMS[collective][name]
    system = H100_NODE.with_overrides({"collective.protocol": "simple"})
    workload = COLLECTIVE_KINDS[collective](size_bytes=GIB, algo=name)
    channels = tuned_channels(system, name, "simple", GIB, 8)
    fewest = entry.slice_messages(8, channels)
    wanted = entry.step_slices(GIB, 8, channels, system.collective.simple).wanted
    assert entry.pipeline_depth(8) == depth < wanted
    full = system.with_overrides({"collective.max_messages": depth * fewest})
    assert simulate_collective(full, workload).messages == depth * fewest
    below = system.with_overrides({"collective.max_messages": depth * fewest - 1})
    if depth == 1:
        message = (
            f"ranks: {name} {collective} over 8 ranks at {GIB} B sends at least {fewest} "
            f"messages, over collective.max_messages ({fewest - 1}); use fewer ranks, another "
            "algorithm (--algo), or raise collective.max_messages"
        )
    else:
        message = (
            f"ranks: {name} {collective} over 8 ranks at {GIB} B gets {depth - 1} slices per "
            f"channel under collective.max_messages ({depth * fewest - 1}), too few to fill "
            f"its pipeline (needs {depth}: depth {depth}, {wanted} wanted); use fewer ranks, "
            "another algorithm (--algo), smaller sizes (--sizes), or raise "
            "collective.max_messages"
        )
    with pytest.raises(CollectiveError, match=f"^{re.escape(message)}$"):
        simulate_collective(below, workload)


def test_a_cap_that_leaves_the_slices_wanted_runs_however_shallow() -> None:
    """Below 1 MiB a tree channel wants Simple's two slices, fewer than its depth of 6:
    a cap that leaves those two runs them."""
    entry = ALGORITHMS["allreduce"]["tree"]
    system = H100_NODE.with_overrides({"collective.protocol": "simple"})
    channels = tuned_channels(system, "tree", "simple", 1 << 20, 8)
    fewest = entry.slice_messages(8, channels)
    capped = system.with_overrides({"collective.max_messages": 2 * fewest})
    workload = AllreduceWorkload(size_bytes=1 << 20, algo="tree")
    assert simulate_collective(capped, workload).messages == 2 * fewest


def test_a_sweep_whose_cap_would_starve_a_pipeline_is_refused_before_any_size_runs() -> None:
    """On 1000 A100 nodes the tuner picks trees at every size; their one slice fits the cap
    (16 channels x 15,999 messages), but from 16 MiB on the one slice per channel the cap
    leaves cannot fill the 26 levels of a tree over 8,000 ranks: the 8 B size is never
    simulated."""
    system = system_preset("8xA100-NVSwitch").with_overrides({"nodes": 1000})
    finished: list[int] = []
    message = (
        "ranks: tree allreduce over 8000 ranks at 16777216 B gets 1 slices per channel under "
        "collective.max_messages (262144), too few to fill its pipeline (needs 2: depth 26, "
        "2 wanted); use fewer ranks, another algorithm (--algo), smaller sizes (--sizes), or "
        "raise collective.max_messages"
    )
    with pytest.raises(CollectiveError, match=f"^{re.escape(message)}$"):
        sweep_collective(
            system,
            AllreduceWorkload(size_bytes=8),
            [8, 16 << 20],
            on_result=lambda result: finished.append(result.size_bytes),
        )
    assert finished == []


def test_a_sweep_too_large_to_simulate_is_refused_before_any_size_runs() -> None:
    """On 32 nodes the tuner picks trees up to 1 GiB and the ring at 8 GiB, whose one slice
    per step is 32 channels x 256 ranks x 510 sends: the 8 B size is never simulated."""
    system = H100_NODE.with_overrides({"nodes": 32})
    finished: list[int] = []
    message = (
        "ranks: ring allreduce over 256 ranks at 8589934592 B sends at least 4177920 "
        "messages, over collective.max_messages (262144); use fewer ranks, another algorithm "
        "(--algo), or raise collective.max_messages"
    )
    with pytest.raises(CollectiveError, match=f"^{re.escape(message)}$"):
        sweep_collective(
            system,
            AllreduceWorkload(size_bytes=8),
            [8, 8 * GIB],
            on_result=lambda result: finished.append(result.size_bytes),
        )
    assert finished == []


def test_sweep_sizes_round_per_rank_collectives_as_nccl_tests_does() -> None:
    sizes = [8 << i for i in range(6)]  # 8 .. 256
    assert sweep_sizes(AllgatherWorkload(size_bytes=32), sizes, 8) == [32, 64, 128, 256]
    assert sweep_sizes(AllreduceWorkload(size_bytes=4), sizes, 8) == sizes
    with pytest.raises(CollectiveError, match=r"^--sizes: 6 B is not a whole number of fp32"):
        sweep_sizes(AllreduceWorkload(size_bytes=4), [6], 8, field="--sizes")
    with pytest.raises(CollectiveError, match=r"^sizes: no size holds one fp32 element per rank"):
        sweep_sizes(AllgatherWorkload(size_bytes=32), [8, 16], 8)


_SYSTEMS = {
    "nvswitch": H100_NODE,
    "mesh": system_preset("8xV100-NVLink-Mesh"),
    "pcie": system_preset("8xH100-PCIe"),
    "two nodes": H100_NODE.with_overrides({"nodes": 2}),
}


@st.composite
def _cases(draw: st.DrawFn) -> tuple[SystemSpec, CollectiveWorkload]:
    system = _SYSTEMS[draw(st.sampled_from(sorted(_SYSTEMS)))]
    kind = draw(st.sampled_from(sorted(COLLECTIVE_KINDS)))
    ranks = draw(st.sampled_from([r for r in (2, 3, 5, 8, 16) if r <= system.gpu_count]))
    runnable = [name for name, entry in ALGORITHMS[kind].items() if entry.runs_on(system, ranks)]
    algo = draw(st.sampled_from(sorted(runnable)))
    size = draw(st.integers(min_value=1, max_value=1 << 14)) * 4 * ranks
    protocol = draw(st.sampled_from(["auto", *protocols_of(system, algo, ranks)]))
    fields: dict[str, object] = {"size_bytes": size, "algo": algo, "ranks": ranks}
    if kind in ("broadcast", "reduce"):
        fields["root"] = draw(st.integers(min_value=0, max_value=ranks - 1))
    workload = validate_model(COLLECTIVE_KINDS[kind], fields)
    return system.with_overrides({"collective.protocol": protocol}), workload


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_no_collective_beats_its_alpha_beta_bound(
    case: tuple[SystemSpec, CollectiveWorkload],
) -> None:
    system, workload = case
    result = simulate_collective(system, workload)
    assert result.time_s >= result.bound.time_s
    assert result.busbw_bytes_per_s > 0


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=1 << 16).map(lambda elements: 32 * elements),
    faster=st.floats(min_value=1.0, max_value=8.0),
    algo=st.sampled_from(["ring", "tree"]),
)
def test_more_link_bandwidth_is_never_slower(size: int, faster: float, algo: str) -> None:
    """Never slower by more than one slice's passage through its CTA: a link serves whole
    messages in order, and a message fed by a (slower) CTA is booked to end as its last byte
    comes, so on a faster port it is booked later and another channel's message can go
    first (an order a port interleaving packets would not impose). The channel count is held:
    NCCL's topology search may open fewer channels on faster links (1.125x here: 20, not 24),
    which can be slower, as on hardware; this property is about the links alone."""
    base = H100_NODE.with_overrides({"collective.protocol": "simple", "collective.channels": 24})
    per_link = base.gpu.nvlink.bandwidth_bytes_per_s_per_link_per_direction
    quicker = base.with_overrides(
        {"gpu.nvlink.bandwidth_bytes_per_s_per_link_per_direction": per_link * faster}
    )
    workload = AllreduceWorkload(size_bytes=size, algo=algo)
    slow, fast = simulate_collective(base, workload), simulate_collective(quicker, workload)
    step_bytes = size / slow.channels / (8 if algo == "ring" else 1)
    slice_bytes = step_bytes / base.collective.simple.slices_per_chunk  # <= 1 MiB: two slices
    cta_bytes_per_s = base.gpu.sm.clock_hz * base.gpu.l1.bandwidth_bytes_per_cycle / 3
    assert fast.time_s <= slow.time_s + slice_bytes / cta_bytes_per_s
