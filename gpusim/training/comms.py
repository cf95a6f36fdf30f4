"""Communication of a training step, timed by the collective model on the system's topology.

* Tensor parallelism: all-reduces of one micro-batch's activations among the ``tp`` GPUs of
  a group, inside one node.
* Pipeline parallelism: each GPU sends its activations (forward) or their gradient
  (backward) to the same tensor-parallel rank of the next (previous) stage, a two-rank
  broadcast; a boundary between stages on two nodes crosses the network.
* Data parallelism: the gradient all-reduce of each bucket among the ``dp`` GPUs that hold
  the same shard; a group spanning nodes has ``gpus_per_node / tp`` members in each node.

A group is timed alone on a system of its own shape (its GPUs per node, its nodes). The
groups of one kind run at the same time on disjoint GPUs: on a non-blocking NVSwitch and
with one NIC per GPU they use disjoint ports, so they are not slowed by one another.
Contention between a GPU's own collectives is the schedule's (``schedule.py``).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Literal

from gpusim.collectives import simulate_collective
from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload
from gpusim.workload import AllreduceWorkload, BroadcastWorkload

Path = Literal["nvlink", "network"]
"""What a GPU's collective occupies: its NVLink (or PCIe) port, or its NIC."""


def group_system(system: SystemSpec, per_node: int, nodes: int) -> SystemSpec:
    """``system`` cut down to ``nodes`` nodes of ``per_node`` GPUs."""
    if nodes == 1:
        return system.with_overrides({"nodes": 1})
    return system.with_overrides(
        {
            "nodes": nodes,
            "gpus_per_node": per_node,
            "gpus_per_pcie_switch": math.gcd(per_node, system.gpus_per_pcie_switch),
            "nic.gpus_per_port": math.gcd(per_node, system.nic.gpus_per_port),
        }
    )


class CommCosts:
    """Seconds of each collective of a step, simulated once per distinct size and group."""

    def __init__(self, system: SystemSpec, workload: TrainingStepWorkload) -> None:
        self.system = system
        self.workload = workload
        self._allreduce_s = cache(self._simulate_allreduce)
        self._send_s = cache(self._simulate_send)

    def tp_allreduce_s(self, size_bytes: int) -> float:
        """An all-reduce of ``size_bytes`` in a tensor-parallel group (0 when tp is 1)."""
        if self.workload.tp == 1:
            return 0.0
        return self._allreduce_s(size_bytes, self.workload.tp, 1)

    def dp_members_per_node(self) -> int:
        """Members of a data-parallel group in each node it spans."""
        return min(self.workload.dp, max(1, self.system.gpus_per_node // self.workload.tp))

    def dp_path(self) -> Path:
        """Where a data-parallel all-reduce goes."""
        return "nvlink" if self.dp_members_per_node() == self.workload.dp else "network"

    def dp_allreduce_s(self, size_bytes: int) -> float:
        """An all-reduce of one gradient bucket of ``size_bytes`` (0 when dp is 1)."""
        if self.workload.dp == 1:
            return 0.0
        per_node = self.dp_members_per_node()
        return self._allreduce_s(size_bytes, per_node, self.workload.dp // per_node)

    def boundary_path(self, stage: int) -> Path:
        """Where sends between ``stage`` and ``stage + 1`` go."""
        stage_gpus = self.workload.dp * self.workload.tp
        per_node = self.system.gpus_per_node
        same = (stage * stage_gpus) // per_node == ((stage + 1) * stage_gpus) // per_node
        return "nvlink" if same else "network"

    def send_s(self, stage: int, size_bytes: int) -> float:
        """A send of ``size_bytes`` across the boundary after ``stage``."""
        return self._send_s(size_bytes, self.boundary_path(stage))

    def _simulate_allreduce(self, size_bytes: int, per_node: int, nodes: int) -> float:
        group = group_system(self.system, per_node, nodes)
        ranks = per_node * nodes
        workload = AllreduceWorkload(size_bytes=size_bytes, dtype="bf16", ranks=ranks)
        return simulate_collective(group, workload).time_s

    def _simulate_send(self, size_bytes: int, path: Path) -> float:
        nodes = 1 if path == "nvlink" else 2
        group = group_system(self.system, 2 if nodes == 1 else 1, nodes)
        workload = BroadcastWorkload(size_bytes=size_bytes, dtype="bf16", ranks=2)
        return simulate_collective(group, workload).time_s
