"""What a failed nvidia-smi means: no binary, no driver, a driver mismatch, no GPU."""

from __future__ import annotations

import re

from console.errors import HostError
from console.models import GpuState, GpuStatus

_NO_BINARY = re.compile(
    r"command not found|: not found|No such file or directory|not recognized as|"
    r"n.o . reconhecido|executable file not found",
    re.IGNORECASE,
)
_NO_DRIVER = re.compile(r"couldn't communicate with the NVIDIA driver|Failed to initialize NVML")
_MISMATCH = re.compile(r"Driver/library version mismatch")
_NO_DEVICES = re.compile(r"No devices were found")


def classify_failure(text: str, exit_code: int | None, host: str = "the host") -> GpuState:
    """The state behind nvidia-smi's (or the shell's) words and exit status.

    Exit 127 is the shell's "command not found". The texts are those of real machines
    (tests/data/nvidia-smi/errors.txt).
    """
    detail = text.strip()
    if _MISMATCH.search(text):
        return GpuState(
            GpuStatus.DRIVER_MISMATCH,
            f"The NVIDIA driver on {host} does not match its library (reboot to load the new one).",
            detail,
        )
    if _NO_DRIVER.search(text):
        return GpuState(GpuStatus.NO_DRIVER, f"No NVIDIA driver is loaded on {host}.", detail)
    if _NO_DEVICES.search(text):
        return GpuState(GpuStatus.NO_DEVICES, f"{host} has no NVIDIA GPU.", detail)
    if exit_code == 127 or (exit_code not in (0, None) and _NO_BINARY.search(text)):
        return GpuState(GpuStatus.NO_NVIDIA_SMI, f"nvidia-smi is not installed on {host}.", detail)
    return GpuState(
        GpuStatus.ERROR,
        f"nvidia-smi failed on {host}" + (f" (exit {exit_code})." if exit_code else "."),
        detail,
    )


def host_error_state(exc: HostError, host: str) -> GpuState:
    """The state of a host that could not run nvidia-smi at all (unreachable, refused…)."""
    return GpuState(GpuStatus.HOST_ERROR, f"{host}: {exc.message}", str(exc))
