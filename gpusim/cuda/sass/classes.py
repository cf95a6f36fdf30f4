"""What unit a SASS instruction occupies, in the same terms for SASS and for the trace's PTX.

The classes are the hardware's issue targets: the integer ALU, the FMA pipe (which also
runs ``IMAD``, Volta onwards: NVIDIA's Volta/Turing tuning guides and Nsight Compute's
``fma`` pipe), FP64, the multi-function unit, the tensor cores, branch/barrier control,
the uniform datapath (``U*`` instructions and ``S2UR``/``LDC``, Turing onwards: they take an
issue slot but no vector pipe), and the load/store kinds. A memory instruction moves
``access_bytes`` per lane, read from its width modifier (``LDS.128`` 16 B).
"""

from __future__ import annotations

from enum import IntEnum

from gpusim.cuda.trace import OpClass


class SassClass(IntEnum):
    INT = 0
    FMA = 1
    FP64 = 2
    SFU = 3
    TENSOR = 4
    CONTROL = 5
    UNIFORM = 6
    SHUFFLE = 7
    LD_SHARED = 8
    ST_SHARED = 9
    LD_GLOBAL = 10
    ST_GLOBAL = 11
    LD_LOCAL = 12
    ST_LOCAL = 13
    ATOMIC = 14


N_CLASSES = len(SassClass)
MEMORY_CLASSES = frozenset(
    {
        SassClass.LD_SHARED,
        SassClass.ST_SHARED,
        SassClass.LD_GLOBAL,
        SassClass.ST_GLOBAL,
        SassClass.LD_LOCAL,
        SassClass.ST_LOCAL,
        SassClass.ATOMIC,
    }
)

_BY_BASE: dict[str, SassClass] = {
    **dict.fromkeys(
        (
            "FFMA",
            "FADD",
            "FMUL",
            "FFMA32I",
            "FADD32I",
            "FMUL32I",
            "IMAD",
            "IMUL",
            "IDP",
            "IMAD32I",
            "HFMA2",
            "HADD2",
            "HMUL2",
            "HSET2",
            "HSETP2",
            "HMNMX2",
            "FSWZADD",
        ),
        SassClass.FMA,
    ),
    **dict.fromkeys(("DFMA", "DADD", "DMUL", "DSETP", "DMNMX"), SassClass.FP64),
    **dict.fromkeys(
        ("MUFU", "I2F", "F2I", "F2F", "I2I", "FRND", "F2FP", "I2FP", "F2IP", "S2R", "CS2R"),
        SassClass.SFU,
    ),
    **dict.fromkeys(("HMMA", "IMMA", "DMMA", "BMMA", "HGMMA", "IGMMA", "QGMMA"), SassClass.TENSOR),
    **dict.fromkeys(
        (
            "BRA",
            "BRX",
            "JMP",
            "JMX",
            "EXIT",
            "RET",
            "CALL",
            "BAR",
            "BSSY",
            "BSYNC",
            "WARPSYNC",
            "MEMBAR",
            "DEPBAR",
            "YIELD",
            "BMOV",
            "ERRBAR",
            "CCTL",
            "FENCE",
            "WARPGROUP",
            "KILL",
            "NANOSLEEP",
            "ARRIVES",
            "SYNCS",
            "BPT",
        ),
        SassClass.CONTROL,
    ),
    **dict.fromkeys(("LDC", "S2UR", "R2UR", "VOTEU", "ULDC"), SassClass.UNIFORM),
    **dict.fromkeys(("SHFL", "MATCH"), SassClass.SHUFFLE),
    **dict.fromkeys(("LDS", "LDSM"), SassClass.LD_SHARED),
    **dict.fromkeys(("STS",), SassClass.ST_SHARED),
    **dict.fromkeys(("LDG", "LD", "LDGSTS"), SassClass.LD_GLOBAL),
    **dict.fromkeys(("STG", "ST"), SassClass.ST_GLOBAL),
    **dict.fromkeys(("LDL",), SassClass.LD_LOCAL),
    **dict.fromkeys(("STL",), SassClass.ST_LOCAL),
    **dict.fromkeys(("ATOM", "ATOMS", "ATOMG", "RED", "REDG", "REDUX"), SassClass.ATOMIC),
}


def sass_class(opcode: str) -> SassClass:
    """The class of a SASS opcode with modifiers; integer ALU for everything not listed."""
    base = opcode.split(".", 1)[0]
    if base in _BY_BASE:
        return _BY_BASE[base]
    return SassClass.UNIFORM if base.startswith("U") else SassClass.INT


_WIDTH_BYTES = {"128": 16, "64": 8, "U8": 1, "S8": 1, "U16": 2, "S16": 2}


_LDSM_MATRICES_BYTES = {"M88": 4, "M88.2": 8, "M88.4": 16, "MT88": 4, "MT88.2": 8, "MT88.4": 16}
"""``LDSM``: each lane receives one 32-bit register per 8x8 matrix (x1, x2 or x4)."""


def access_bytes(opcode: str) -> int:
    """Bytes per lane a load or store moves (4 unless a width modifier says otherwise)."""
    base, _, modifiers = opcode.partition(".")
    if base == "LDSM":
        matrices = modifiers.split(".", 1)[-1]  # after the element size (".16")
        return _LDSM_MATRICES_BYTES.get(matrices, 4)
    for modifier in opcode.split(".")[1:]:
        if modifier in _WIDTH_BYTES:
            return _WIDTH_BYTES[modifier]
    return 4


_PTX_CLASS: dict[OpClass, SassClass | None] = {
    OpClass.INT32: SassClass.INT,
    OpClass.INT64: SassClass.INT,
    OpClass.INT_DIV: SassClass.INT,
    OpClass.MOVE: SassClass.INT,
    OpClass.SETP: SassClass.INT,
    OpClass.PREDICATE: SassClass.INT,
    OpClass.FP32: SassClass.FMA,
    OpClass.FP16: SassClass.FMA,
    OpClass.FP64: SassClass.FP64,
    OpClass.FP_DIV: SassClass.SFU,
    OpClass.SFU: SassClass.SFU,
    OpClass.MMA: SassClass.TENSOR,
    OpClass.BRANCH: SassClass.CONTROL,
    OpClass.BARRIER: SassClass.CONTROL,
    OpClass.MEMBAR: SassClass.CONTROL,
    OpClass.EXIT: SassClass.CONTROL,
    OpClass.SHFL: SassClass.SHUFFLE,
    OpClass.LD_SHARED: SassClass.LD_SHARED,
    OpClass.ST_SHARED: SassClass.ST_SHARED,
    OpClass.LD_GLOBAL: SassClass.LD_GLOBAL,
    OpClass.ST_GLOBAL: SassClass.ST_GLOBAL,
    OpClass.LD_LOCAL: SassClass.LD_LOCAL,
    OpClass.ST_LOCAL: SassClass.ST_LOCAL,
    OpClass.ATOM_GLOBAL: SassClass.ATOMIC,
    OpClass.ATOM_SHARED: SassClass.ATOMIC,
    OpClass.LD_PARAM: None,
    OpClass.MBARRIER: SassClass.CONTROL,  # SYNCS
    OpClass.TENSOR_COPY: SassClass.UNIFORM,  # UTMALDG, on the uniform datapath
    OpClass.WGMMA: SassClass.TENSOR,  # HGMMA, QGMMA
}


def ptx_class(op_class: OpClass, opcode: str) -> SassClass | None:
    """The class a PTX instruction's SASS falls in; None for ``ld.param`` (folded away).

    A conversion between integer widths is an integer move; one touching a float type
    runs on the conversion unit (SFU class), as ``gpusim.hw.sm.isa`` costs it.
    """
    if op_class == OpClass.CONVERT:
        types = opcode.split(".")[-2:]
        return SassClass.INT if all(t[0] in "us" for t in types if t) else SassClass.SFU
    return _PTX_CLASS[op_class]
