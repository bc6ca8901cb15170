"""The plain ``nvidia-smi`` table (what ``watch nvidia-smi`` shows), read for the doctor."""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.gpu.parse import parse_number, parse_text
from console.models import GpuSample

_TABLE_DRIVER = re.compile(r"(?:Driver|KMD) Version:\s*([\w.]+)")
_TABLE_CUDA = re.compile(r"CUDA (?:UMD )?Version:\s*([\w.]+)")
# "| 53%   75C    P2   223W / 250W |  10807MiB / 11178MiB |     98%      Default |"
_TABLE_GPU_ROW = re.compile(
    r"^\|\s*(?P<fan>\d+%|N/A)\s+(?P<temp>\d+C|N/A)\s+(?P<perf>P\d+|N/A)\s+"
    r"(?P<draw>\d+W|N/A)\s*/\s*(?P<cap>\d+W|N/A)\s*\|\s*"
    r"(?P<used>\d+MiB|N/A)\s*/\s*(?P<total>\d+MiB|N/A)\s*\|\s*(?P<util>\d+%|N/A)"
)
_TABLE_NAME_ROW = re.compile(r"^\|\s+(?P<index>\d+)\s+(?P<name>.+?)\s{2,}\S+\s*\|")


@dataclass(frozen=True)
class TableSummary:
    """What the plain ``nvidia-smi`` table says: versions and one sample per GPU."""

    driver_version: str | None
    cuda_version: str | None
    gpus: tuple[GpuSample, ...]


def looks_like_table(text: str) -> bool:
    return "NVIDIA-SMI " in text and ("Driver Version" in text or "KMD Version" in text)


def parse_table(text: str, at: float = 0.0) -> TableSummary:
    """Read the plain ``nvidia-smi`` table (old 79-column and new 91-column layouts)."""
    driver = _TABLE_DRIVER.search(text)
    cuda = _TABLE_CUDA.search(text)
    gpus: list[GpuSample] = []
    pending: tuple[int, str] | None = None
    for line in text.splitlines():
        if line.startswith("| MIG devices") or line.startswith("| Processes"):
            break  # per-process and MIG blocks are not GPUs
        name_row = _TABLE_NAME_ROW.match(line)
        if name_row and pending is None:
            pending = (int(name_row["index"]), name_row["name"])
            continue
        row = _TABLE_GPU_ROW.match(line)
        if row and pending is not None:
            gpus.append(
                GpuSample(
                    at=at,
                    index=pending[0],
                    name=pending[1],
                    driver_version=driver[1] if driver else None,
                    fan_percent=parse_number(row["fan"].rstrip("%")),
                    temperature_c=parse_number(row["temp"].rstrip("C")),
                    pstate=parse_text(row["perf"]),
                    power_draw_w=parse_number(row["draw"].rstrip("W")),
                    power_limit_w=parse_number(row["cap"].rstrip("W")),
                    memory_used_mib=parse_number(row["used"].removesuffix("MiB")),
                    memory_total_mib=parse_number(row["total"].removesuffix("MiB")),
                    utilization_gpu=parse_number(row["util"].rstrip("%")),
                )
            )
            pending = None
    return TableSummary(driver[1] if driver else None, cuda[1] if cuda else None, tuple(gpus))
