"""The operators of a training step on one GPU, after tensor-parallel splitting.

Each layer's forward is its matrix products (QKV, attention scores, attention values,
output projection, the FFN's input and output products) and its memory-bound operators
(two RMSNorms, softmax, the activation, two residual adds). Backward is two products per
product of the forward: the input gradient and the weight gradient of a weight product, the
gradients of both operands of an attention product.

Approximations, stated:

* Attention is unfused: the scores of every head are materialised (no FlashAttention) and
  the causal mask is not exploited. The ``b x heads/tp`` products of one attention step are
  one GEMM with their rows stacked (same CTA count and k loop as the batched launch; the
  stacked instances share the right operand, so its DRAM reads are undercounted).
* A memory-bound operator's backward moves twice its forward's bytes (it reads the saved
  input and the incoming gradient, writes the outgoing one).
* Adam's step reads and writes 28 bytes per parameter: fp32 master weight, momentum and
  variance read and written (24), the bf16 gradient read and the bf16 weight written (4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpusim.roofline import DTYPE_BYTES
from gpusim.training.model import TrainingStepWorkload

Phase = Literal["forward", "backward"]

ADAM_BYTES_PER_PARAM = 28
"""Bytes Adam's step moves per parameter (module docstring)."""


@dataclass(frozen=True)
class Gemm:
    """C[m, n] = A[m, k] @ B[k, n], as the model performs it (before any padding)."""

    name: str
    m: int
    n: int
    k: int

    @property
    def flops(self) -> int:
        """Multiply-adds counted as two FLOPs."""
        return 2 * self.m * self.n * self.k


@dataclass(frozen=True)
class MemoryOp:
    """A bandwidth-bound operator that reads and writes ``bytes_moved`` bytes in all."""

    name: str
    bytes_moved: int


Operator = Gemm | MemoryOp


def _backward_of(gemm: Gemm) -> tuple[Gemm, Gemm]:
    """dA = dC @ B^T (m x k, inner n) and dB = A^T @ dC (k x n, inner m)."""
    return (
        Gemm(f"{gemm.name}.dgrad", gemm.m, gemm.k, gemm.n),
        Gemm(f"{gemm.name}.wgrad", gemm.k, gemm.n, gemm.m),
    )


def layer_gemms(workload: TrainingStepWorkload) -> tuple[Gemm, ...]:
    """The forward products of one layer for one micro-batch on one GPU."""
    shape, tp = workload.shape, workload.tp
    tokens = workload.tokens_per_micro_batch
    seq, head_dim = workload.seq_len, shape.head_dim
    stacked_rows = workload.micro_batch * shape.heads // tp * seq
    qkv_width = (shape.heads + 2 * shape.kv_heads) * head_dim // tp
    ffn_in_width = (2 if shape.gated_ffn else 1) * shape.ffn // tp
    return (
        Gemm("qkv", tokens, qkv_width, shape.hidden),
        Gemm("scores", stacked_rows, seq, head_dim),
        Gemm("values", stacked_rows, head_dim, seq),
        Gemm("out_proj", tokens, shape.hidden, shape.hidden // tp),
        Gemm("ffn_in", tokens, ffn_in_width, shape.hidden),
        Gemm("ffn_out", tokens, shape.hidden, shape.ffn // tp),
    )


def layer_memory_ops(workload: TrainingStepWorkload) -> tuple[MemoryOp, ...]:
    """The forward memory-bound operators of one layer for one micro-batch on one GPU."""
    shape, tp = workload.shape, workload.tp
    element = DTYPE_BYTES["bf16"]
    tokens = workload.tokens_per_micro_batch
    activations = tokens * shape.hidden * element
    scores = workload.micro_batch * shape.heads // tp * workload.seq_len**2 * element
    ffn = tokens * shape.ffn // tp * element
    activation_read = (2 if shape.gated_ffn else 1) * ffn
    return (
        MemoryOp("rmsnorm", 2 * activations),
        MemoryOp("softmax", 2 * scores),
        MemoryOp("residual", 3 * activations),
        MemoryOp("rmsnorm", 2 * activations),
        MemoryOp("activation", activation_read + ffn),
        MemoryOp("residual", 3 * activations),
    )


def layer_blocks(
    workload: TrainingStepWorkload, phase: Phase
) -> tuple[tuple[Operator, ...], tuple[Operator, ...]]:
    """One layer's operators for one micro-batch on one GPU, in issue order, as its two
    blocks (attention, FFN; FFN first in backward), each ending in a tensor-parallel
    all-reduce: of its output in forward, of its input gradient in backward (Megatron-LM,
    Shoeybi et al. 2019, figure 3)."""
    qkv, scores, values, out_proj, ffn_in, ffn_out = layer_gemms(workload)
    norm1, softmax, residual1, norm2, activation, residual2 = layer_memory_ops(workload)
    attention: tuple[Operator, ...] = (norm1, qkv, scores, softmax, values, out_proj, residual1)
    ffn: tuple[Operator, ...] = (norm2, ffn_in, activation, ffn_out, residual2)
    if phase == "forward":
        return attention, ffn
    return _backward_block(ffn), _backward_block(attention)


def _backward_block(block: tuple[Operator, ...]) -> tuple[Operator, ...]:
    backward: list[Operator] = []
    for op in reversed(block):
        if isinstance(op, Gemm):
            backward.extend(_backward_of(op))
        else:
            backward.append(MemoryOp(f"{op.name}.backward", 2 * op.bytes_moved))
    return tuple(backward)


def head_gemm(workload: TrainingStepWorkload) -> Gemm:
    """The output head's logits product on the last stage (vocabulary split over tp)."""
    shape = workload.shape
    return Gemm(
        "lm_head", workload.tokens_per_micro_batch, shape.vocab // workload.tp, shape.hidden
    )


def head_operators(workload: TrainingStepWorkload, phase: Phase) -> tuple[Operator, ...]:
    """The last stage's final RMSNorm, output head and cross-entropy for one micro-batch."""
    element = DTYPE_BYTES["bf16"]
    tokens = workload.tokens_per_micro_batch
    norm = MemoryOp("final_rmsnorm", 2 * tokens * workload.shape.hidden * element)
    logits = tokens * workload.shape.vocab // workload.tp * element
    loss = MemoryOp("cross_entropy", 2 * logits)
    gemm = head_gemm(workload)
    if phase == "forward":
        return (norm, gemm, loss)
    return _backward_block((norm, gemm, loss))


def embedding_operators(workload: TrainingStepWorkload, phase: Phase) -> tuple[Operator, ...]:
    """The first stage's embedding lookup (a gather: rows read, activations written)."""
    activations = workload.tokens_per_micro_batch * workload.shape.hidden * DTYPE_BYTES["bf16"]
    lookup: tuple[Operator, ...] = (MemoryOp("embedding", 2 * activations),)
    return lookup if phase == "forward" else _backward_block(lookup)


def tp_allreduce_bytes(workload: TrainingStepWorkload) -> int:
    """Bytes of each tensor-parallel all-reduce: one micro-batch's activations (bf16)."""
    return workload.tokens_per_micro_batch * workload.shape.hidden * DTYPE_BYTES["bf16"]


def stage_params(workload: TrainingStepWorkload, stage: int) -> int:
    """Parameters one GPU of pipeline stage ``stage`` holds (its tensor-parallel share)."""
    shape = workload.shape
    params = workload.layers_per_stage * shape.layer_params
    if stage == 0:
        params += shape.embedding_params
    if stage == workload.pp - 1:
        params += shape.embedding_params + shape.hidden  # output head and final norm
    return params // workload.tp


def model_flops_per_step(workload: TrainingStepWorkload) -> int:
    """Model FLOPs of one step on all GPUs: every product's forward and backward, no
    recomputation (the MFU convention of Chowdhery et al. 2022, PaLM, appendix B)."""
    layer = sum(op.flops for op in layer_gemms(workload))
    per_micro_batch = 3 * (workload.shape.layers * layer + head_gemm(workload).flops)
    return per_micro_batch * workload.tp * workload.micro_batches * workload.dp
