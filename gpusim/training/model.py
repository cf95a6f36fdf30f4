"""The model a training step trains and how it is split: a decoder-only transformer, its
public presets, and the ``training_step`` workload (parallelism degrees, batch, schedule).

Loading this module loads neither Numba nor the engine (scenario files are checked with it).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from gpusim.schema import FrozenModel, validate_model

TrainingDtype = Literal["bf16", "fp8"]
PipelineSchedule = Literal["gpipe", "1f1b"]

DDP_BUCKET_BYTES = 25 * 2**20
"""PyTorch DistributedDataParallel's default gradient bucket (``bucket_cap_mb=25``)."""


class TransformerShape(FrozenModel):
    """A decoder-only transformer: pre-norm layers of attention then a feed-forward block.

    ``kv_heads`` below ``heads`` is grouped-query attention; ``gated_ffn`` is a SwiGLU
    feed-forward block (gate and up projections, each ``ffn`` wide) as Llama has.
    """

    layers: int = Field(gt=0, le=1024, description="transformer layers")
    hidden: int = Field(gt=0, le=65536, description="hidden size (model width)")
    heads: int = Field(gt=0, le=1024, description="attention (query) heads")
    kv_heads: int = Field(gt=0, le=1024, description="key/value heads (grouped-query attention)")
    ffn: int = Field(gt=0, le=262144, description="feed-forward inner size")
    vocab: int = Field(gt=0, le=1_048_576, description="vocabulary size")
    gated_ffn: bool = Field(default=True, description="SwiGLU feed-forward (gate and up)")

    @model_validator(mode="after")
    def _heads_divide(self) -> Self:
        if self.hidden % self.heads:
            raise ValueError(
                f"hidden: must be a multiple of heads ({self.heads}), got {self.hidden}"
            )
        if self.heads % self.kv_heads:
            raise ValueError(f"kv_heads: must divide heads ({self.heads}), got {self.kv_heads}")
        return self

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden // self.heads

    @property
    def layer_params(self) -> int:
        """Weights of one layer: Q, K, V and output projections, the FFN, two RMSNorm scales."""
        attention = self.hidden * (self.heads + 2 * self.kv_heads) * self.head_dim
        attention += self.hidden * self.hidden
        ffn = (3 if self.gated_ffn else 2) * self.hidden * self.ffn
        return attention + ffn + 2 * self.hidden

    @property
    def embedding_params(self) -> int:
        """Weights of the token embedding (the output head is as large, untied, as in Llama)."""
        return self.vocab * self.hidden


MODEL_PRESETS: dict[str, TransformerShape] = {
    # Touvron et al. 2023, "Llama 2: Open Foundation and Fine-Tuned Chat Models", Table 1
    # (context 4096, GQA for 70B only), and the released config.json files (hidden_size,
    # intermediate_size, num_attention_heads, num_key_value_heads, vocab_size 32000).
    "llama2-7b": TransformerShape(
        layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000
    ),
    "llama2-13b": TransformerShape(
        layers=40, hidden=5120, heads=40, kv_heads=40, ffn=13824, vocab=32000
    ),
    "llama2-70b": TransformerShape(
        layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672, vocab=32000
    ),
}
"""Public model shapes by name."""

_SHAPE_FIELDS = tuple(TransformerShape.model_fields)


class TrainingStepWorkload(FrozenModel):
    """One optimizer step of a transformer on a system, split ``dp`` x ``tp`` x ``pp``.

    The model is a preset (``model``) whose fields the workload may replace, or given whole
    by its fields. GPUs are numbered tensor-parallel rank fastest, then data-parallel, then
    pipeline stage (Megatron-LM's order), so tensor-parallel groups sit inside a node.
    """

    kind: Literal["training_step"] = "training_step"
    model: str | None = Field(default=None, description="model preset (see MODEL_PRESETS)")
    layers: int | None = Field(default=None, gt=0, le=1024)
    hidden: int | None = Field(default=None, gt=0, le=65536)
    heads: int | None = Field(default=None, gt=0, le=1024)
    kv_heads: int | None = Field(default=None, gt=0, le=1024)
    ffn: int | None = Field(default=None, gt=0, le=262144)
    vocab: int | None = Field(default=None, gt=0, le=1_048_576)
    gated_ffn: bool | None = None
    seq_len: int = Field(default=4096, gt=0, le=1_048_576, description="tokens per sequence")
    micro_batch: int = Field(default=1, gt=0, le=4096, description="sequences per micro-batch")
    global_batch: int = Field(gt=0, le=1_048_576, description="sequences per optimizer step")
    dtype: TrainingDtype = Field(default="bf16", description="GEMM operand format")
    dp: int = Field(default=1, gt=0, le=65536, description="data-parallel degree")
    tp: int = Field(default=1, gt=0, le=576, description="tensor-parallel degree")
    pp: int = Field(default=1, gt=0, le=1024, description="pipeline-parallel degree (stages)")
    schedule: PipelineSchedule = Field(default="1f1b", description="pipeline schedule")
    gemm_kernel: str = Field(
        default="auto", min_length=1, description="GEMM kernel; auto: the best tensor-core one"
    )
    bucket_bytes: int = Field(
        default=DDP_BUCKET_BYTES, gt=0, description="gradient all-reduce bucket (bytes)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.model is not None and self.model not in MODEL_PRESETS:
            known = ", ".join(MODEL_PRESETS)
            raise ValueError(f"model: must be one of {known}, got {self.model!r}")
        if self.model is None:
            missing = [name for name in _SHAPE_FIELDS if name != "gated_ffn"]
            missing = [name for name in missing if getattr(self, name) is None]
            if missing:
                raise ValueError(f"{missing[0]}: give it, or a model preset")
        shape = self.shape
        sequences = self.micro_batch * self.dp
        if self.global_batch % sequences:
            raise ValueError(
                f"global_batch: must be a multiple of micro_batch x dp ({sequences}), "
                f"got {self.global_batch}"
            )
        for field, value in (("heads", shape.heads), ("kv_heads", shape.kv_heads)):
            if value % self.tp:
                raise ValueError(f"tp: must divide {field} ({value}), got {self.tp}")
        if shape.layers % self.pp:
            raise ValueError(f"pp: must divide layers ({shape.layers}), got {self.pp}")
        return self

    @property
    def shape(self) -> TransformerShape:
        """The model: the preset with this workload's fields replaced, or these fields."""
        given = {name: getattr(self, name) for name in _SHAPE_FIELDS}
        given = {name: value for name, value in given.items() if value is not None}
        preset = {} if self.model is None else MODEL_PRESETS[self.model].model_dump()
        return validate_model(TransformerShape, preset | given)

    @property
    def gpus(self) -> int:
        """GPUs the step runs on."""
        return self.dp * self.tp * self.pp

    @property
    def micro_batches(self) -> int:
        """Micro-batches each pipeline runs per step."""
        return self.global_batch // (self.micro_batch * self.dp)

    @property
    def tokens_per_micro_batch(self) -> int:
        """Tokens of one micro-batch."""
        return self.micro_batch * self.seq_len

    @property
    def layers_per_stage(self) -> int:
        """Layers on each pipeline stage."""
        return self.shape.layers // self.pp

    def describe(self) -> str:
        """One line for humans."""
        name = self.model or f"{self.shape.layers}-layer h{self.shape.hidden}"
        return (
            f"training step {name} dp={self.dp} tp={self.tp} pp={self.pp} "
            f"({self.schedule}, {self.micro_batches} micro-batches of {self.micro_batch}, "
            f"seq {self.seq_len}, {self.dtype})"
        )
