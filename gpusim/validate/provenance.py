"""Where a measurement comes from: device, driver, packages, clocks, code and time.

Every figure is read, never assumed: a figure a source cannot give is recorded as null
(the CUDA simulator has no device attributes; a machine without ``nvidia-smi`` or ``git``
gives none of theirs). The lent GPU machines receive a copy of the working tree without
its ``.git``, so the commit can also be given on the command line or in ``GPUSIM_COMMIT``.
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMIT_ENV = "GPUSIM_COMMIT"
PACKAGES = (
    "numpy",
    "numba",
    "numba-cuda",
    "llvmlite",
    "cuda-bindings",
    "cuda-core",
    "torch",
    "cupy-cuda13x",
    "cupy-cuda12x",
)
NVIDIA_SMI_FIELDS = (
    "name",
    "driver_version",
    "pstate",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "clocks.sm",
    "clocks.mem",
    "clocks.max.sm",
    "clocks.max.mem",
    "memory.total",
    "persistence_mode",
    "compute_mode",
)
DEVICE_ATTRIBUTES = {
    "sm_count": "MULTIPROCESSOR_COUNT",
    "clock_rate_khz": "CLOCK_RATE",
    "memory_clock_rate_khz": "MEMORY_CLOCK_RATE",
    "memory_bus_width_bits": "GLOBAL_MEMORY_BUS_WIDTH",
    "l2_size_bytes": "L2_CACHE_SIZE",
    "max_shared_bytes_per_sm": "MAX_SHARED_MEMORY_PER_MULTIPROCESSOR",
    "max_registers_per_sm": "MAX_REGISTERS_PER_MULTIPROCESSOR",
    "pci_bus_id": "PCI_BUS_ID",
    "ecc_enabled": "ECC_ENABLED",
}
"""Provenance key -> CUDA device attribute (``CU_DEVICE_ATTRIBUTE_<name>``)."""
COMMAND_TIMEOUT_S = 20


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def device_info(simulator: bool) -> dict[str, Any]:
    """The current device's name, compute capability and attributes from the driver."""
    if simulator:
        return {"name": "CUDA simulator", "simulator": True, "compute_capability": None}
    from numba import cuda

    device = cuda.get_current_device()
    name = device.name.decode() if isinstance(device.name, bytes) else str(device.name)
    major, minor = device.compute_capability
    info: dict[str, Any] = {
        "name": name,
        "simulator": False,
        "compute_capability": f"{major}.{minor}",
        "uuid": str(getattr(device, "uuid", "")) or None,
        "total_memory_bytes": int(cuda.current_context().get_memory_info().total),
    }
    for key, attribute in DEVICE_ATTRIBUTES.items():
        info[key] = _device_attribute(device, attribute)
    return info


def _device_attribute(device: Any, attribute: str) -> int | None:
    """One attribute, or None where this driver no longer reports it (CUDA 13 dropped some)."""
    from numba.cuda.cudadrv.error import CudaDriverError

    try:
        return int(getattr(device, attribute))
    except (AttributeError, CudaDriverError):
        return None


def driver_info(simulator: bool) -> dict[str, Any]:
    """CUDA driver API and runtime (NVRTC) versions as Numba sees them."""
    if simulator:
        return {"cuda_driver_version": None, "cuda_runtime_version": None}
    from numba.cuda.cudadrv import driver, runtime

    driver_major, driver_minor = driver.driver.get_version()
    runtime_major, runtime_minor = runtime.get_version()
    return {
        "cuda_driver_version": f"{driver_major}.{driver_minor}",
        "cuda_runtime_version": f"{runtime_major}.{runtime_minor}",
    }


def package_versions() -> dict[str, str | None]:
    """Python and the installed version of each package that shapes the numbers."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def nvidia_smi() -> dict[str, str] | None:
    """Clocks, power and state from ``nvidia-smi`` (first GPU), None where it is absent."""
    if shutil.which("nvidia-smi") is None:
        return None
    output = _run(
        ["nvidia-smi", f"--query-gpu={','.join(NVIDIA_SMI_FIELDS)}", "--format=csv,noheader"]
    )
    if output is None:
        return None
    values = [value.strip() for value in output.splitlines()[0].split(",")]
    return dict(zip(NVIDIA_SMI_FIELDS, values, strict=False))


def code_version(commit: str | None) -> dict[str, Any]:
    """The gpusim commit: from ``commit``, else ``GPUSIM_COMMIT``, else ``git`` here."""
    if commit:
        return {"commit": commit, "commit_source": "argument", "dirty": None}
    if os.environ.get(COMMIT_ENV):
        return {"commit": os.environ[COMMIT_ENV], "commit_source": "environment", "dirty": None}
    head = _run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"]) if shutil.which("git") else None
    if head is None:
        return {"commit": None, "commit_source": None, "dirty": None}
    status = _run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"])
    return {
        "commit": head.strip(),
        "commit_source": "git",
        "dirty": None if status is None else bool(status.strip()),
    }


def host_info() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


def _run(command: list[str]) -> str | None:
    """A command's standard output, or None if it fails: provenance never stops a recording."""
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout if completed.returncode == 0 else None


def collect(*, simulator: bool, commit: str | None, argv: list[str]) -> dict[str, Any]:
    """The provenance block written at the start of a recording (``finished_at_utc`` later)."""
    return {
        "recorded_at_utc": utc_now(),
        "finished_at_utc": None,
        "device": device_info(simulator),
        "driver": driver_info(simulator),
        "packages": package_versions(),
        "gpusim": code_version(commit),
        "host": host_info(),
        "nvidia_smi_before": nvidia_smi(),
        "nvidia_smi_after": None,
        "command": [sys.executable, *argv],
    }
