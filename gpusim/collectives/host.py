"""The host side of a collective: one CPU thread launching it on the GPUs it drives.

A collective is one kernel per GPU, and no GPU's part can finish before every rank's kernel
has been launched. A thread that drives ``g`` GPUs (``collective.gpus_per_thread``;
nccl-tests ``-g g`` inside ``ncclGroupStart/End``) launches their kernels one after another,
``g x host.kernel_launch_s`` of CPU time per collective. Launches are asynchronous, so in a
loop of back-to-back collectives (nccl-tests' ``-n`` iterations, timed together) the thread
runs ahead while the GPUs are the slower side, and the GPUs wait for it when it is:
collective i starts at ``max(H x i, end of i-1)`` (H the thread's time per collective, the
launch of its last GPU) and takes the GPUs' time T, so from the second collective on they
end ``max(H, T)`` apart. That is the time per collective reported.

What the thread does besides the launches (NCCL's enqueue work per call: task preparation,
stream and event bookkeeping) has no published figure and is left out; so is the first
collective's fill (``min(H, T)`` over the loop's length).
"""

from __future__ import annotations

from gpusim.spec.system import SystemSpec


def host_launch_s(system: SystemSpec) -> float:
    """CPU time one host thread spends launching one collective on all the GPUs it drives."""
    return system.collective.gpus_per_thread * system.host.kernel_launch_s


def back_to_back_s(gpu_time_s: float, launch_s: float) -> float:
    """Time per collective in a loop of them: the GPUs' time or the thread's, the longer."""
    return max(gpu_time_s, launch_s)
