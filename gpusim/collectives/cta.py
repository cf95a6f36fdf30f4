"""What one channel's CTA can move: a channel of NCCL is one thread block on one SM.

NCCL runs each channel as one CTA (``src/enqueue.cc``: one block per channel, ``nThreads``
threads), and that CTA's reduce-copy loop (``src/device/prims_*.h``, ``reduce_kernel.h``)
loads its operands and stores the result through its SM's load/store path. For every byte
of payload a ring step loads the received data and the local data and stores the result
(reduce) or stores it twice, locally and to the peer (copy): three accesses of the SM's
L1/LSU path, which moves ``l1.bandwidth_bytes_per_cycle`` per cycle. The protocols carry
less payload than they move: LL stores 8 bytes of data beside two 4-byte flags in each
16-byte line, LL128 120 of every 128 bytes, Simple all of them
(``ProtocolSpec.line_payload_fraction``).

So one channel's payload rate is ``sm.clock_hz x l1.bandwidth_bytes_per_cycle / 3 x
line_payload_fraction``: about 84 GB/s of Simple on an H100 at 1.98 GHz, 60 GB/s on an
A100 at 1.41 GHz, half that with LL. A collective with few channels (small messages, where
NCCL opens one channel per thread threshold) is held to that many CTAs' rate, whatever the
links could carry.
"""

from __future__ import annotations

from gpusim.spec.gpu import GpuSpec
from gpusim.spec.system import ProtocolSpec

REDUCE_COPY_ACCESSES = 3
"""L1/LSU accesses per byte of payload in a ring step: two loads and a store (reduce), or a
load and two stores (copy to the output and to the peer)."""


def channel_payload_bytes_per_s(gpu: GpuSpec, protocol: ProtocolSpec) -> float:
    """Payload one channel's CTA moves per second on ``gpu`` with ``protocol``."""
    per_cycle = gpu.l1.bandwidth_bytes_per_cycle / REDUCE_COPY_ACCESSES
    return gpu.sm.clock_hz * per_cycle * protocol.line_payload_fraction
