"""The SGEMM ladder's inner loops in SASS: siboehm/SGEMM_CUDA's CUDA C against gpusim's Numba.

For each rung of the published RTX A6000 ladder (``validation/published/
siboehm-sgemm-rtx-a6000.json``) this compiles the source's kernel with NVRTC (the
``cuda.bindings.nvrtc`` of numba-cuda[cu13]) to an sm_86 cubin, with the template arguments
of the source's ``runner.cu``, and gpusim's kernel of the same rung through
``gpusim.cuda.compile`` (nvJitLink, sm_86, 4096^3); disassembles both with nvdisasm and
prints, per rung, the instruction mix of each kernel's innermost loops that hold FFMAs: per
loop iteration and per FFMA, by issue class (``gpusim.cuda.sass.classes``) and by opcode.

The source is not part of gpusim: give the folder of its kernels on the command line (a
checkout of https://github.com/siboehm/SGEMM_CUDA, ``src/kernels``; figures in
docs/validation.md are from commit 60cba6f). NVRTC has no host headers, so each file's
``#include`` lines are dropped and ``assert`` compiles to nothing (the source asserts only
its launch shape).

    .venv/bin/python bench/bench_ladder_sass.py /path/to/SGEMM_CUDA/src/kernels
    .venv/bin/python bench/bench_ladder_sass.py DIR --rung 2 --listing   # full loop SASS
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gpusim.cuda.compile import compile_ptx, find_nvdisasm, sass_listing
from gpusim.cuda.kernels import GemmParams, get_kernel
from gpusim.cuda.sass.classes import SassClass, sass_class
from gpusim.cuda.sass.listing import SassBlock, SassInstruction, parse_listing
from gpusim.cuda.sass.loops import find_loops

CC = (8, 6)
"""The RTX A6000 (GA102)."""
SIZE = 4096


@dataclass(frozen=True)
class Rung:
    number: int
    source_file: str
    source_kernel: str
    """The kernel as instantiated by ``runner.cu`` (template arguments included)."""
    gpusim_kernel: str
    const_inputs: bool = True
    """Whether the kernel takes ``const float *`` A and B (kernel 6 does not)."""

    @property
    def signature(self) -> str:
        inputs = "const float *" if self.const_inputs else "float *"
        return f"(int, int, int, float, {inputs}, {inputs}, float, float *)"


RUNGS = (
    Rung(1, "1_naive.cuh", "sgemm_naive", "gemm_naive_uncoalesced"),
    Rung(2, "2_kernel_global_mem_coalesce.cuh", "sgemm_global_mem_coalesce<32>", "gemm_naive"),
    Rung(3, "3_kernel_shared_mem_blocking.cuh", "sgemm_shared_mem_block<32>", "gemm_smem_tiled_32"),
    Rung(
        4,
        "4_kernel_1D_blocktiling.cuh",
        "sgemm1DBlocktiling<64, 64, 8, 8>",
        "gemm_1d_blocktiled_64",
    ),
    Rung(
        5,
        "5_kernel_2D_blocktiling.cuh",
        "sgemm2DBlocktiling<128, 128, 8, 8, 8>",
        "gemm_register_blocked_128",
    ),
    Rung(
        6,
        "6_kernel_vectorize.cuh",
        "sgemmVectorize<128, 128, 8, 8, 8>",
        "gemm_vectorized_128",
        const_inputs=False,
    ),
)

_PRELUDE = "typedef unsigned int uint;\n#define assert(condition) ((void)0)\n"
_INCLUDE = re.compile(r"^\s*#\s*include\b.*$", re.MULTILINE)


def source_cubin(kernels_dir: Path, rung: Rung) -> bytes:
    """The sm_86 cubin of the source's kernel, instantiated as ``runner.cu`` launches it."""
    from cuda.bindings import nvrtc

    text = _INCLUDE.sub("", (kernels_dir / rung.source_file).read_text())
    name, _, arguments = rung.source_kernel.partition("<")
    instantiation = (
        f"\ntemplate __global__ void {name}<{arguments}{rung.signature};\n" if arguments else ""
    )
    code = (_PRELUDE + text + instantiation).encode()
    err, program = nvrtc.nvrtcCreateProgram(code, rung.source_file.encode(), 0, [], [])
    _check(nvrtc, err, rung)
    try:
        options = [f"-arch=sm_{CC[0]}{CC[1]}".encode(), b"-std=c++17"]
        (err,) = nvrtc.nvrtcCompileProgram(program, len(options), options)
        if err != nvrtc.nvrtcResult.NVRTC_SUCCESS:
            _, size = nvrtc.nvrtcGetProgramLogSize(program)
            log = b" " * size
            nvrtc.nvrtcGetProgramLog(program, log)
            raise SystemExit(f"rung {rung.number}: NVRTC failed:\n{log.decode(errors='replace')}")
        err, size = nvrtc.nvrtcGetCUBINSize(program)
        _check(nvrtc, err, rung)
        cubin = bytes(int(size))
        (err,) = nvrtc.nvrtcGetCUBIN(program, cubin)
        _check(nvrtc, err, rung)
        return cubin
    finally:
        nvrtc.nvrtcDestroyProgram(program)


def _check(nvrtc: object, err: object, rung: Rung) -> None:
    if err != nvrtc.nvrtcResult.NVRTC_SUCCESS:  # type: ignore[attr-defined]
        raise SystemExit(f"rung {rung.number}: NVRTC error {err}")


def disassemble(cubin: bytes) -> str:
    with tempfile.TemporaryDirectory() as temp_dir:
        path = Path(temp_dir) / "kernel.cubin"
        path.write_bytes(cubin)
        return subprocess.run(
            [find_nvdisasm(), "-c", str(path)], capture_output=True, text=True, check=True
        ).stdout


def gpusim_listing(kernel_name: str) -> str:
    compiled = compile_ptx(get_kernel(kernel_name), GemmParams(SIZE, SIZE, SIZE), CC)
    return sass_listing(compiled)


def inner_loops(blocks: tuple[SassBlock, ...]) -> list[tuple[SassInstruction, ...]]:
    """The instructions of each innermost loop that holds an FFMA, in layout order."""
    edges = [(block.index, successor) for block in blocks for successor in block.successors]
    loops = find_loops(edges)
    inner = [
        loop
        for i, loop in enumerate(loops)
        if not any(other.parent == i for other in loops)  # no loop nested inside
    ]
    bodies = []
    for loop in inner:
        body = tuple(
            instruction
            for block in blocks[loop.header : loop.last + 1]
            for instruction in block.instructions
        )
        if any(instruction.base == "FFMA" for instruction in body):
            bodies.append(body)
    return bodies


def mix(body: tuple[SassInstruction, ...]) -> tuple[Counter[str], Counter[str]]:
    """(count by issue class, count by opcode) of one pass over a loop body."""
    classes = Counter(SassClass(sass_class(i.opcode)).name for i in body)
    opcodes = Counter(i.opcode for i in body)
    return classes, opcodes


def print_rung(rung: Rung, kernels_dir: Path, show_listing: bool) -> None:
    sides = {
        f"source {rung.source_kernel}": disassemble(source_cubin(kernels_dir, rung)),
        f"gpusim {rung.gpusim_kernel}": gpusim_listing(rung.gpusim_kernel),
    }
    print(f"\n## rung {rung.number}")
    for label, listing in sides.items():
        loops = inner_loops(parse_listing(listing, label))
        if not loops:
            print(f"{label}: no loop with FFMA (fully unrolled)")
        for body in loops:
            classes, opcodes = mix(body)
            ffma = opcodes.get("FFMA", 0)
            print(f"{label}: {len(body)} instructions per iteration, {ffma} FFMA")
            per_ffma = "  ".join(f"{name} {count / ffma:.2f}" for name, count in classes.items())
            print(f"    per FFMA by class: {per_ffma}  (all {len(body) / ffma:.2f})")
            print("    by opcode: " + ", ".join(f"{op} {n}" for op, n in opcodes.most_common()))
            if show_listing:
                for instruction in body:
                    print(f"      {instruction.offset:05x} {instruction.opcode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kernels_dir", type=Path, help="SGEMM_CUDA's src/kernels folder")
    parser.add_argument(
        "--rung", type=int, action="append", choices=range(1, 7), help="only these rungs"
    )
    parser.add_argument("--listing", action="store_true", help="print each loop's SASS")
    args = parser.parse_args()
    if not (args.kernels_dir / RUNGS[0].source_file).is_file():
        parser.error(f"kernels_dir: no {RUNGS[0].source_file} in {args.kernels_dir}")
    for rung in RUNGS:
        if args.rung is None or rung.number in args.rung:
            print_rung(rung, args.kernels_dir, args.listing)


if __name__ == "__main__":
    main()
