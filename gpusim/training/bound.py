"""The roofline bound of a training step: its model FLOPs at every GPU's dense peak."""

from __future__ import annotations

from gpusim.roofline import Bound, tensor_flops_per_s
from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.operators import model_flops_per_step


def training_bound(system: SystemSpec, workload: TrainingStepWorkload) -> Bound:
    """No step is faster than its model FLOPs spread evenly over every GPU's tensor cores."""
    flops = model_flops_per_step(workload)
    peak_flops_per_s = system.gpu_count * tensor_flops_per_s(system.gpu, workload.dtype)
    return Bound(flops / peak_flops_per_s, 0.0, float(flops), 0.0, "compute")
