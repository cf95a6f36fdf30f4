"""Numba CUDA kernels, their PTX, the PTX emulator and the KernelTrace format."""
