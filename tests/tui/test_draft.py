"""Editing a scenario: every field checked as it is typed, with ``gpusim run``'s message."""

from __future__ import annotations

import pytest

from gpusim.scenario import load_scenario
from gpusim.tui.catalog import Entry
from gpusim.tui.draft import Draft, DraftError
from tests.tui.conftest import SMALL_GEMM


@pytest.fixture
def draft() -> Draft:
    return Draft(load_scenario(SMALL_GEMM))


def test_fields_start_as_the_scenario_has_them(draft: Draft) -> None:
    paths = [parameter.path for parameter in draft.parameters]
    assert paths[:5] == [
        "workload.kind",
        "workload.kernel",
        "workload.m",
        "workload.n",
        "workload.k",
    ]
    assert "gpu.l2.size_bytes" in paths
    assert draft.text("gpu.l2.size_bytes") == "50 MiB"
    assert draft.text("workload.m") == "256"
    assert not draft.edits and draft.valid


def test_an_edit_is_parsed_in_the_fields_unit(draft: Draft) -> None:
    assert draft.set("gpu.l2.size_bytes", "100 MiB") is None
    assert draft.edits == {"gpu.l2.size_bytes": 104857600}
    assert draft.is_edited("gpu.l2.size_bytes")
    assert draft.build().hardware.l2.size_bytes == 104857600


def test_typing_the_original_value_back_is_no_edit(draft: Draft) -> None:
    draft.set("workload.m", "512")
    draft.set("workload.m", "256")
    assert not draft.is_edited("workload.m") and not draft.edits


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("gpu.l2.size_bytes", "-4", "gpu.l2.size_bytes: must be > 0, got -4"),
        ("workload.m", "0", "workload.m: must be > 0, got 0"),
        ("workload.m", "many", "workload.m: must be a number, got 'many'"),
        ("gpu.sm.count", "1.5", "gpu.sm.count: must be a whole number, got '1.5'"),
        (
            "workload.kernel",
            "gemm_fast",
            "workload.kernel: must be one of 'gemm_naive_uncoalesced', 'gemm_naive', "
            "'gemm_smem_tiled_16', 'gemm_smem_tiled_32', 'gemm_register_blocked_64', "
            "'gemm_register_blocked_128', 'gemm_1d_blocktiled_64', 'gemm_vectorized_128', "
            "'gemm_tensor_core', 'gemm_tc_ampere_fp16', 'gemm_tc_ampere_bf16', "
            "'gemm_tc_ampere_tf32', 'gemm_tc_ampere_int8', 'gemm_tc_ampere_fp16_stages1', "
            "'gemm_tc_ampere_fp16_stages2', 'gemm_tc_ampere_fp16_stages4', "
            "'gemm_tc_hopper_bf16', 'gemm_tc_hopper_fp16' or 'gemm_tc_hopper_fp8', "
            "got 'gemm_fast'",
        ),
    ],
)
def test_a_bad_value_names_its_field(draft: Draft, path: str, text: str, message: str) -> None:
    assert draft.set(path, text) == message
    assert draft.errors == {path: message}
    with pytest.raises(DraftError, match=f"^{message}"):
        draft.document()


def test_every_bad_field_is_marked_at_once(draft: Draft) -> None:
    draft.set("gpu.l2.size_bytes", "-4")
    draft.set("workload.n", "x")
    assert set(draft.errors) == {"gpu.l2.size_bytes", "workload.n"}
    draft.set("workload.n", "512")
    assert set(draft.errors) == {"gpu.l2.size_bytes"}


def test_a_cross_field_rule_marks_both_fields(draft: Draft) -> None:
    message = "gpu.sm.max_threads: 2048 threads do not fit in max_warps=16 warps of 32"
    assert draft.set("gpu.sm.max_warps", "16") == message
    assert draft.errors == {"gpu.sm.max_warps": message, "gpu.sm.max_threads": message}
    assert draft.set("gpu.sm.max_threads", "512") is None
    assert draft.valid


def test_a_collective_is_checked_against_its_system() -> None:
    draft = Draft(Entry("system", "8xH100-NVSwitch").load())
    assert draft.set("workload.ranks", "16") == (
        "workload.ranks: 8xH100-NVSwitch has 8 GPUs, got 16"
    )
    assert draft.set("workload.ranks", "") is None  # empty: the default, every GPU
    assert "ranks" not in draft.document()["workload"]
    assert draft.set("workload.algo", "tree") is None
    assert draft.parameter("workload.algo").choices == ("ring", "tree", "nvls")


def test_the_kind_is_fixed(draft: Draft) -> None:
    with pytest.raises(DraftError, match=r"^workload\.kind: cannot be changed here"):
        draft.set("workload.kind", "copy")


def test_the_document_keeps_the_scenarios_own_overrides() -> None:
    scenario = load_scenario(SMALL_GEMM)
    document = {
        **scenario.document,
        "gpu": {"preset": "H100-SXM5-80GB", "overrides": {"sm.count": 66}},
    }
    draft = Draft(type(scenario)(**{**scenario.__dict__, "document": document}))
    draft.set("gpu.l2.size_bytes", "100 MiB")
    assert draft.document()["gpu"]["overrides"] == {"sm.count": 66, "l2.size_bytes": 104857600}
    assert draft.document()["name"] == "small_gemm"


def test_a_rule_broken_by_one_edit_is_mended_by_another(draft: Draft) -> None:
    assert draft.set("gpu.sm.shared_bytes_per_cta", "240000") is not None
    assert draft.set("gpu.sm.shared_bytes", "256 KiB") is None
    assert draft.valid and draft.build().gpu.sm.shared_bytes_per_cta == 240000
