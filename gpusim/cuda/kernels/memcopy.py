"""The device-to-device copy: the bandwidth reference every other kernel is held against.

A grid-stride loop moves one 16-byte vector per thread per iteration. Numba's own element
copies are at most 8 bytes wide: over fp32 arrays it emits ``ld.global.f32``, over uint64
``ld.global.u64``, and over complex128 (16-byte elements) two ``ld.global.f64`` per element,
because it only knows an 8-byte alignment for the element. ``copy_vector`` is an intrinsic
that loads and stores the 16-byte element as one ``<2 x i64>`` with 16-byte alignment,
which gives ``ld.global.v2.u64`` / ``st.global.v2.u64``: 128-bit accesses, the widest a
thread can issue. The buffers are complex128 arrays (any data, viewed as 16-byte units);
CUDA allocations are 256-byte aligned, so every element is 16-byte aligned.

Under the CUDA simulator (which cannot run LLVM intrinsics) ``copy_vector`` is the plain
element assignment it stands for, so the same kernel runs in the self-check.

The kernel's facts are registered in ``copy_def``. This module holds everything its kernel
compiles, so its source text is the source part of the compile cache key; the one constant
it takes from ``copy_def``, ``VECTOR_BYTES``, is the hardware's widest access (16 bytes),
not a tuning choice.
"""

from __future__ import annotations

from typing import no_type_check

from llvmlite import ir
from numba import cuda
from numba.cuda import cgutils, types
from numba.cuda.core import config
from numba.cuda.extending import intrinsic

from gpusim.cuda.kernels.copy_def import VECTOR_BYTES

if config.ENABLE_CUDASIM:

    @no_type_check
    def copy_vector(dst, src, index):
        """``dst[index] = src[index]``: what the compiled intrinsic does, for the simulator."""
        dst[index] = src[index]

else:

    @intrinsic
    @no_type_check
    def copy_vector(typingctx, dst, src, index):
        """``dst[index] = src[index]`` for complex128 arrays as one 128-bit load and store."""
        if not (dst.dtype == src.dtype == types.complex128):
            return None
        sig = types.void(dst, src, types.intp)

        def codegen(context, builder, signature, args):
            vector_ptr_type = ir.VectorType(ir.IntType(64), 2).as_pointer()

            def element_ptr(array_type, array_value):
                array = context.make_array(array_type)(context, builder, value=array_value)
                ptr = cgutils.get_item_pointer(
                    context, builder, array_type, array, [args[2]], wraparound=False
                )
                return builder.bitcast(ptr, vector_ptr_type)

            value = builder.load(element_ptr(signature.args[1], args[1]), align=VECTOR_BYTES)
            builder.store(value, element_ptr(signature.args[0], args[0]), align=VECTOR_BYTES)

        return sig, codegen


@no_type_check
def copy(src, dst):
    """Grid-stride copy of ``src`` into ``dst``, one 16-byte vector per thread per step."""
    index = cuda.grid(1)
    stride = cuda.gridsize(1)
    vectors = src.shape[0]
    while index < vectors:
        copy_vector(dst, src, index)
        index += stride
