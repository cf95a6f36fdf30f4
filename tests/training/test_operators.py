"""A tiny model's operators, parameters, FLOPs and memory, computed by hand."""

from __future__ import annotations

from gpusim.training.memory import activation_bytes_per_layer, gpu_memory
from gpusim.training.model import MODEL_PRESETS, TrainingStepWorkload
from gpusim.training.operators import (
    Gemm,
    MemoryOp,
    layer_blocks,
    layer_gemms,
    model_flops_per_step,
    stage_params,
)

TINY = TrainingStepWorkload(
    layers=2, hidden=256, heads=4, kv_heads=2, ffn=512, vocab=1024,
    seq_len=128, micro_batch=2, global_batch=8, dp=2, tp=2, pp=1,
)  # fmt: skip
"""256 tokens per micro-batch, 64-wide heads, grouped-query attention (2 KV heads)."""


def test_forward_products_after_tensor_parallel_splitting() -> None:
    assert [(g.name, g.m, g.n, g.k) for g in layer_gemms(TINY)] == [
        ("qkv", 256, 256, 256),  # (4 + 2 x 2) heads x 64 / tp 2
        ("scores", 512, 128, 64),  # 2 sequences x 2 heads per GPU, rows stacked
        ("values", 512, 64, 128),
        ("out_proj", 256, 256, 128),
        ("ffn_in", 256, 512, 256),  # gate and up, 512 each, over tp 2
        ("ffn_out", 256, 256, 256),
    ]


def test_backward_is_two_products_per_product_in_reverse() -> None:
    ffn, attention = layer_blocks(TINY, "backward")
    assert ffn == (
        MemoryOp("residual.backward", 2 * 393216),
        Gemm("ffn_out.dgrad", 256, 256, 256),
        Gemm("ffn_out.wgrad", 256, 256, 256),
        MemoryOp("activation.backward", 2 * 393216),
        Gemm("ffn_in.dgrad", 256, 256, 512),
        Gemm("ffn_in.wgrad", 256, 512, 256),
        MemoryOp("rmsnorm.backward", 2 * 262144),
    )
    assert [op.name for op in attention] == [
        "residual.backward", "out_proj.dgrad", "out_proj.wgrad", "values.dgrad",
        "values.wgrad", "softmax.backward", "scores.dgrad", "scores.wgrad", "qkv.dgrad",
        "qkv.wgrad", "rmsnorm.backward",
    ]  # fmt: skip
    forward = [op for block in layer_blocks(TINY, "forward") for op in block]
    backward = [op for block in layer_blocks(TINY, "backward") for op in block]
    forward_flops = sum(op.flops for op in forward if isinstance(op, Gemm))
    assert sum(op.flops for op in backward if isinstance(op, Gemm)) == 2 * forward_flops


def test_parameters_flops_and_memory_of_the_tiny_model() -> None:
    shape = TINY.shape
    assert shape.layer_params == 256 * 8 * 64 + 256 * 256 + 3 * 256 * 512 + 2 * 256
    # one stage: every layer, the embedding, the head and the final norm, halved by tp
    assert stage_params(TINY, 0) == (2 * 590336 + 2 * 262144 + 256) // 2
    # per micro-batch and GPU: 3 x (2 layers x 167772160 + head 67108864); x tp x 2 x dp
    assert model_flops_per_step(TINY) == 3 * (2 * 167772160 + 67108864) * 2 * 2 * 2
    assert activation_bytes_per_layer(TINY) == 128 * 2 * 256 * (10 + 12 + 5)
    memory = gpu_memory(TINY, 0)
    assert memory.weights_bytes == 2 * stage_params(TINY, 0)
    assert memory.optimizer_bytes == 12 * stage_params(TINY, 0)
    assert memory.activations_bytes == 2 * 1 * 1769472  # 2 layers, 1 micro-batch in flight


def test_gpipe_holds_every_micro_batch_1f1b_at_most_the_stages_left() -> None:
    four_stages = {"layers": 4, "pp": 4, "dp": 1, "global_batch": 16}
    one_f_one_b = TINY.model_copy(update=four_stages)
    gpipe = one_f_one_b.model_copy(update={"schedule": "gpipe"})
    per_layer = activation_bytes_per_layer(TINY)
    assert one_f_one_b.micro_batches == 8
    assert [gpu_memory(one_f_one_b, s).activations_bytes for s in range(4)] == [
        4 * per_layer,
        3 * per_layer,
        2 * per_layer,
        per_layer,
    ]
    assert gpu_memory(gpipe, 3).activations_bytes == 8 * per_layer


def test_llama2_presets_have_their_published_sizes() -> None:
    def billions(name: str) -> float:
        shape = MODEL_PRESETS[name]
        total = shape.layers * shape.layer_params + 2 * shape.embedding_params + shape.hidden
        return total / 1e9

    assert round(billions("llama2-7b"), 2) == 6.74
    assert round(billions("llama2-13b"), 2) == 13.02
    assert round(billions("llama2-70b"), 2) == 68.98
