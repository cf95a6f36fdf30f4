"""The timing model: a discrete-event simulation of SMs, caches, HBM and links."""
