"""The ``.npz`` file of a trace: arrays and dtypes, versioned metadata, strict reading.

docs/trace-format.md documents every array. Reading checks the format tag, the version and
every dtype, then (``integrity``) that the arrays agree with each other and the CTA classes
partition the grid, so a damaged or foreign file is a TraceError naming it, never a trace
that is silently wrong or an error from deep inside NumPy or the engine.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from gpusim.cuda.trace.ctas import CtaClass, CtaRecord
from gpusim.cuda.trace.integrity import (
    check_classes,
    check_launch,
    check_program,
    check_records,
)
from gpusim.cuda.trace.program import InstructionTable, Segment, TracedLaunch
from gpusim.errors import TraceError
from gpusim.files import write_stream_atomically

if TYPE_CHECKING:
    from gpusim.cuda.trace.kernel_trace import KernelTrace

FORMAT_TAG = "gpusim.KernelTrace"
FORMAT_VERSION = 2


class TraceParts(NamedTuple):
    """What a trace file holds, in ``KernelTrace``'s field order."""

    launch: TracedLaunch
    program: InstructionTable
    classes: tuple[CtaClass, ...]
    segments: tuple[Segment, ...]


def save(trace: KernelTrace, path: Path) -> None:
    """Write ``trace`` to ``path`` atomically (temporary file, then rename)."""
    arrays = _to_arrays(trace)
    write_stream_atomically(path, lambda stream: np.savez_compressed(stream, **arrays))


def load(source: Path) -> TraceParts:
    """Read a trace file; TraceError naming it if it is not a valid, supported one."""
    try:
        with np.load(source, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise TraceError(f"{source}: no such trace file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise TraceError(f"{source}: not a readable trace file ({exc})") from None
    try:
        return _from_arrays(arrays, source)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise TraceError(f"{source}: corrupt trace ({exc})") from None


RECORD_VISIT_ARRAYS = ("visit_block", "visit_mask")
RECORD_RUN_ARRAYS = (
    "run_warp",
    "run_instr",
    "run_first",
    "run_count",
    "run_stride_bytes",
    "run_mask",
    "run_base",
)
_PROGRAM_DTYPES: dict[str, Any] = {
    "block": np.int32,
    "op_class": np.uint8,
    "opcode": np.int32,
    "dst_offsets": np.int64,
    "dst_regs": np.int32,
    "src_offsets": np.int64,
    "src_regs": np.int32,
    "mem_space": np.uint8,
    "bytes_per_lane": np.int32,
    "vector_width": np.uint8,
    "flops_per_lane": np.int32,
    "ptx_line": np.int32,
    "operand": np.int64,
    "row_stride_bytes": np.int64,
    "block_start": np.int64,
    "register_bits": np.int32,
}
_DTYPES: dict[str, Any] = {
    **{f"program_{name}": dtype for name, dtype in _PROGRAM_DTYPES.items()},
    "class_lo": np.int64,
    "class_hi": np.int64,
    "class_shift_bytes": np.int64,
    "class_active_lanes": np.int64,
    "class_run_offsets": np.int64,
    "visit_offsets": np.int64,
    "visit_block": np.int32,
    "visit_mask": np.uint32,
    "run_warp": np.int32,
    "run_instr": np.int32,
    "run_first": np.int64,
    "run_count": np.int64,
    "run_stride_bytes": np.int64,
    "run_mask": np.uint32,
    "run_base": np.uint64,
}
"""Every array of a trace file and its dtype (``meta`` aside)."""


def _to_arrays(trace: KernelTrace) -> dict[str, Any]:
    program = trace.program
    meta = {
        "format": FORMAT_TAG,
        "version": FORMAT_VERSION,
        "launch": asdict(trace.launch),
        "opcode_names": list(program.opcode_names),
        "register_names": list(program.register_names),
        "segments": [asdict(s) for s in trace.segments],
    }
    arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta))}
    for name in _PROGRAM_DTYPES:
        arrays[f"program_{name}"] = getattr(program, name)
    records = [c.record for c in trace.classes]
    arrays["class_lo"] = np.array([c.lo for c in trace.classes], dtype=np.int64).reshape(-1, 3)
    arrays["class_hi"] = np.array([c.hi for c in trace.classes], dtype=np.int64).reshape(-1, 3)
    arrays["class_shift_bytes"] = np.stack([c.shift_bytes for c in trace.classes])
    arrays["class_active_lanes"] = np.stack([r.active_lanes for r in records])
    visit_counts = np.concatenate([np.diff(r.visit_offsets) for r in records])
    arrays["visit_offsets"] = np.concatenate([[0], np.cumsum(visit_counts)]).astype(np.int64)
    run_counts = [r.run_warp.size for r in records]
    arrays["class_run_offsets"] = np.concatenate([[0], np.cumsum(run_counts)]).astype(np.int64)
    for name in (*RECORD_VISIT_ARRAYS, *RECORD_RUN_ARRAYS):
        arrays[name] = np.concatenate([getattr(r, name) for r in records])
    return arrays


def _typed(arrays: dict[str, Any], name: str) -> Any:
    """The array ``name``, checked to be present with the dtype the format prescribes."""
    if name not in arrays:
        raise KeyError(f"missing array {name}")
    value = arrays[name]
    expected = np.dtype(_DTYPES[name])
    if value.dtype != expected:
        raise ValueError(f"array {name} has dtype {value.dtype}, expected {expected}")
    return value


VERSION_2_PROGRAM_ARRAYS = ("operand", "row_stride_bytes")
"""Instruction columns version 2 added (the Hopper instructions'): zeros in version 1 files,
which cannot hold those instructions."""


def _version_1_defaults(arrays: dict[str, Any]) -> dict[str, Any]:
    """The columns a version 1 file lacks, as zeros of its instruction count."""
    instructions = _typed(arrays, "program_block").size
    return {
        f"program_{name}": np.zeros(instructions, dtype=_PROGRAM_DTYPES[name])
        for name in VERSION_2_PROGRAM_ARRAYS
    }


def _from_arrays(arrays: dict[str, Any], source: Path) -> TraceParts:
    if "meta" not in arrays:
        raise TraceError(f"{source}: not a gpusim trace (no metadata)")
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError:
        raise TraceError(f"{source}: not a gpusim trace (unreadable metadata)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_TAG:
        tag = meta.get("format") if isinstance(meta, dict) else None
        raise TraceError(f"{source}: not a gpusim trace (format tag {tag!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TraceError(f"{source}: unsupported trace format version {version!r}")
    if version > FORMAT_VERSION:
        raise TraceError(
            f"{source}: trace format version {version} is newer than this gpusim reads "
            f"({FORMAT_VERSION}); upgrade gpusim"
        )
    if version == 1:
        arrays = {**arrays, **_version_1_defaults(arrays)}
    launch_fields = dict(meta["launch"])
    for name in ("grid", "block", "cc"):
        launch_fields[name] = tuple(int(v) for v in launch_fields[name])
    launch = TracedLaunch(**launch_fields)
    check_launch(launch)
    program = InstructionTable(
        **{name: _typed(arrays, f"program_{name}") for name in _PROGRAM_DTYPES},
        opcode_names=tuple(str(n) for n in meta["opcode_names"]),
        register_names=tuple(str(n) for n in meta["register_names"]),
    )
    segments = tuple(
        Segment(str(s["name"]), int(s["base"]), int(s["size_bytes"])) for s in meta["segments"]
    )
    check_program(program)
    classes = _classes(arrays, launch, program)
    check_classes(classes, launch, program)
    return TraceParts(launch, program, classes, segments)


def _classes(
    arrays: dict[str, Any], launch: TracedLaunch, program: InstructionTable
) -> tuple[CtaClass, ...]:
    lo, hi = _typed(arrays, "class_lo"), _typed(arrays, "class_hi")
    shifts, lanes = _typed(arrays, "class_shift_bytes"), _typed(arrays, "class_active_lanes")
    n_classes, n_instr, wpc = lo.shape[0], program.n_instructions, launch.warps_per_cta
    if lo.shape != (n_classes, 3) or hi.shape != (n_classes, 3):
        raise ValueError("class boxes must be [classes, 3]")
    if shifts.shape != (n_classes, n_instr, 3) or lanes.shape != (n_classes, n_instr):
        raise ValueError("class shift / lane arrays do not match the program")
    visit_offsets = _typed(arrays, "visit_offsets")
    run_offsets = _typed(arrays, "class_run_offsets")
    if visit_offsets.size != n_classes * wpc + 1 or run_offsets.size != n_classes + 1:
        raise ValueError("record offsets do not match the classes and warps per CTA")
    visits = {name: _typed(arrays, name) for name in RECORD_VISIT_ARRAYS}
    runs = {name: _typed(arrays, name) for name in RECORD_RUN_ARRAYS}
    check_records(
        ("visit_offsets", visit_offsets, visits), ("class_run_offsets", run_offsets, runs)
    )
    classes = []
    for k in range(n_classes):
        v0, v1 = visit_offsets[k * wpc], visit_offsets[(k + 1) * wpc]
        r0, r1 = run_offsets[k], run_offsets[k + 1]
        record = CtaRecord(
            visit_offsets=visit_offsets[k * wpc : (k + 1) * wpc + 1] - v0,
            **{name: value[v0:v1] for name, value in visits.items()},
            **{name: value[r0:r1] for name, value in runs.items()},
            active_lanes=lanes[k],
        )
        classes.append(
            CtaClass(
                lo=tuple(int(v) for v in lo[k]),  # type: ignore[arg-type]
                hi=tuple(int(v) for v in hi[k]),  # type: ignore[arg-type]
                record=record,
                shift_bytes=shifts[k],
            )
        )
    return tuple(classes)
