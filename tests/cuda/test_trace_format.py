"""The KernelTrace file: exact round trip, and clear errors for anything else."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.cuda.kernels import AllreduceRingParams, GemmParams
from gpusim.cuda.trace import FORMAT_VERSION, KernelTrace
from gpusim.cuda.trace.npz import RECORD_RUN_ARRAYS, RECORD_VISIT_ARRAYS
from gpusim.cuda.tracegen import build_trace
from gpusim.errors import TraceError


@pytest.fixture(scope="module")
def trace() -> KernelTrace:
    return build_trace("gemm_smem_tiled_16", GemmParams(48, 40, 24))


def _arrays(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _rewrite(path: Path, arrays: dict[str, Any]) -> None:
    np.savez(path, **arrays)


def test_round_trip_is_exact(trace: KernelTrace, tmp_path: Path) -> None:
    path = tmp_path / "t.npz"
    trace.save(path)
    loaded = KernelTrace.load(path)
    assert loaded.launch == trace.launch
    assert loaded.segments == trace.segments
    assert loaded.summary() == trace.summary()
    for name in ("block", "op_class", "dst_regs", "src_offsets", "ptx_line", "block_start"):
        assert np.array_equal(getattr(loaded.program, name), getattr(trace.program, name))
    assert loaded.program.opcode_names == trace.program.opcode_names
    assert len(loaded.classes) == len(trace.classes) > 1
    for mine, theirs in zip(trace.classes, loaded.classes, strict=True):
        assert (mine.lo, mine.hi) == (theirs.lo, theirs.hi)
        assert mine.record.same_as(theirs.record)
        assert np.array_equal(mine.shift_bytes, theirs.shift_bytes)
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]  # no temporary left behind


def test_multi_class_traces_keep_their_classes(tmp_path: Path) -> None:
    trace = build_trace("allreduce_ring_single_device", AllreduceRingParams(10007, 4, 3))
    trace.save(tmp_path / "ring.npz")
    loaded = KernelTrace.load(tmp_path / "ring.npz")
    for cta in [(0, 0, 0), (9, 1, 0), (5, 3, 0)]:
        assert loaded.derive_cta(cta).same_as(trace.derive_cta(cta))


def test_summary_serialises_to_json(trace: KernelTrace) -> None:
    data = json.loads(json.dumps(trace.summary().to_dict()))
    assert data["kernel"] == "gemm_smem_tiled_16" and data["flops"] > 0
    assert data["warp_instructions"]["FP32"] > 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"nope\.npz: no such trace file"):
        KernelTrace.load(tmp_path / "nope.npz")


def test_truncated_file(trace: KernelTrace, tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    trace.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TraceError, match=r"cut\.npz: not a readable trace file"):
        KernelTrace.load(path)


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(TraceError, match=r"junk\.npz: not a readable trace file"):
        KernelTrace.load(path)


def test_foreign_npz(tmp_path: Path) -> None:
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.arange(4))
    with pytest.raises(TraceError, match=r"foreign\.npz: not a gpusim trace"):
        KernelTrace.load(path)
    np.savez(path, meta=np.array(json.dumps({"format": "someone.else", "version": 1})))
    with pytest.raises(TraceError, match=r"format tag 'someone\.else'"):
        KernelTrace.load(path)


def test_newer_version_is_refused(trace: KernelTrace, tmp_path: Path) -> None:
    path = tmp_path / "new.npz"
    trace.save(path)
    arrays = _arrays(path)
    meta = json.loads(str(arrays["meta"]))
    meta["version"] = FORMAT_VERSION + 1
    arrays["meta"] = np.array(json.dumps(meta))
    _rewrite(path, arrays)
    with pytest.raises(
        TraceError, match=rf"new\.npz: trace format version {FORMAT_VERSION + 1} is newer"
    ):
        KernelTrace.load(path)


N_INSTRUCTIONS = 131
"""Instructions of the fixture's kernel (checked below, so the messages above stay exact)."""


def _edit_meta(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(arrays: dict[str, Any]) -> None:
        meta = json.loads(str(arrays["meta"]))
        meta.update(fields)
        arrays["meta"] = np.array(json.dumps(meta))

    return edit


def _edit_launch(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(arrays: dict[str, Any]) -> None:
        meta = json.loads(str(arrays["meta"]))
        meta["launch"].update(fields)
        arrays["meta"] = np.array(json.dumps(meta))

    return edit


N_VISITS, N_RUNS = 232, 608
"""Block visits and instruction runs of the fixture's records, all classes together."""


def _lengthen(name: str) -> Callable[[dict[str, Any]], None]:
    """An edit that repeats the last entry of the array ``name``: one entry too many."""

    def edit(arrays: dict[str, Any]) -> None:
        arrays[name] = np.concatenate([arrays[name], arrays[name][-1:]])

    return edit


def _start_at_1(name: str) -> Callable[[dict[str, Any]], None]:
    """An edit that makes the offsets ``name`` start at 1: the first entry would be lost."""

    def edit(arrays: dict[str, Any]) -> None:
        arrays[name] = arrays[name].copy()
        arrays[name][0] = 1

    return edit


def test_the_fixture_has_the_instructions_the_messages_name(trace: KernelTrace) -> None:
    assert trace.program.n_instructions == N_INSTRUCTIONS
    records = [c.record for c in trace.classes]
    assert sum(r.visit_block.size for r in records) == N_VISITS
    assert sum(r.run_warp.size for r in records) == N_RUNS


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a: a.pop("run_base"), "missing array run_base"),
        (
            lambda a: a.update(visit_block=a["visit_block"].astype(np.int64)),
            "visit_block has dtype int64",
        ),
        (
            lambda a: a.update(visit_block=a["visit_block"][:-1]),
            rf"visit_block has {N_VISITS - 1} entries, expected {N_VISITS}\)",
        ),
        (lambda a: a.update(class_hi=a["class_lo"]), "do not partition the grid"),
        (
            lambda a: a.update(program_op_class=a["program_op_class"][:-1]),
            rf"program_op_class has {N_INSTRUCTIONS - 1} entries, expected {N_INSTRUCTIONS}",
        ),
        (
            lambda a: a.update(program_flops_per_lane=a["program_flops_per_lane"][None, :]),
            r"program_flops_per_lane must be one-dimensional, got shape \[1, ",
        ),
        (
            lambda a: a.update(program_dst_offsets=a["program_dst_offsets"][::-1].copy()),
            "program_dst_offsets must rise from 0",
        ),
        (
            lambda a: a.update(program_block=a["program_block"][::-1].copy()),
            "program_block does not follow program_block_start",
        ),
        (lambda a: a.update(program_opcode=a["program_opcode"] + 1000), "program_opcode holds"),
        (lambda a: a.update(program_op_class=a["program_op_class"] + 100), "but there are 30 op"),
        (lambda a: a.update(visit_block=a["visit_block"] - 1), "visit_block holds -1, but there"),
        (lambda a: a.update(run_instr=a["run_instr"][:-1]), "run_instr has"),
        *(
            (_lengthen(name), rf"{name} has {N_VISITS + 1} entries, expected {N_VISITS}\)")
            for name in RECORD_VISIT_ARRAYS
        ),
        *(
            (_lengthen(name), rf"{name} has {N_RUNS + 1} entries, expected {N_RUNS}\)")
            for name in RECORD_RUN_ARRAYS
            if name != "run_base"  # a row of 32 lanes per run: its own case below
        ),
        (
            _lengthen("run_base"),
            rf"run_base has shape \[{N_RUNS + 1}, 32\], expected \[{N_RUNS}, 32\]",
        ),
        (_start_at_1("visit_offsets"), r"visit_offsets must rise from 0\)"),
        (_start_at_1("class_run_offsets"), r"class_run_offsets must rise from 0\)"),
        (lambda a: a.update(run_warp=a["run_warp"] + 64), "run_warp holds .* warps per CTA"),
        (lambda a: a.update(run_count=a["run_count"] * 0), "run_count at least 1"),
        (lambda a: a.update(class_lo=a["class_lo"] - 5), "a CTA class box lies outside the grid"),
        (_edit_launch(grid=[10**9, 10**9, 1]), "launch grid .* exceeds CUDA's"),
        (_edit_launch(grid=[0, 1, 1]), r"launch grid \[0, 1, 1\] must be three sizes"),
        (_edit_launch(block=[2048, 1, 1]), "has 2048 threads, more than 1024"),
        (_edit_launch(static_shared_bytes="lots"), "launch static_shared_bytes must be a count"),
        (_edit_meta(opcode_names=[]), "program_opcode holds .* but there are 0 opcode names"),
    ],
)
def test_corrupt_contents_name_the_file(
    trace: KernelTrace, tmp_path: Path, mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    path = tmp_path / "bad.npz"
    trace.save(path)
    arrays = _arrays(path)
    mutate(arrays)
    _rewrite(path, arrays)
    with pytest.raises(TraceError, match=rf"bad\.npz: corrupt trace \(.*{message}") as info:
        KernelTrace.load(path)
    assert "\n" not in str(info.value)


def test_trace_show_of_a_corrupt_file_is_one_line_and_exit_2(
    trace: KernelTrace, tmp_path: Path
) -> None:
    path = tmp_path / "cut.npz"
    trace.save(path)
    arrays = _arrays(path)
    arrays["program_flops_per_lane"] = arrays["program_flops_per_lane"][:-1]
    _rewrite(path, arrays)
    result = CliRunner().invoke(app, ["trace", "show", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: corrupt trace (program_flops_per_lane has {N_INSTRUCTIONS - 1} "
        f"entries, expected {N_INSTRUCTIONS})\n"
    )


def test_failed_save_leaves_the_old_file(trace: KernelTrace, tmp_path: Path) -> None:
    path = tmp_path / "keep.npz"
    trace.save(path)
    before = path.read_bytes()
    broken = KernelTrace(trace.launch, trace.program, (), trace.segments)
    with pytest.raises(ValueError):
        broken.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.npz"]
    assert zipfile.is_zipfile(path)
