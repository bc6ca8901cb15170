"""This machine, sampled in-process with psutil (no command at all)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import psutil

from console.hostmon.mounts import is_important_mount
from console.models import DiskUsage, HostSample


def local_net() -> tuple[int, int]:
    """Bytes received and sent so far by every interface but loopback."""
    counters = psutil.net_io_counters(pernic=True)
    rx = sum(c.bytes_recv for name, c in counters.items() if name != "lo")
    tx = sum(c.bytes_sent for name, c in counters.items() if name != "lo")
    return rx, tx


def local_disks(extra: Sequence[str] = ()) -> tuple[DiskUsage, ...]:
    """Use of the important mounts of this machine (``df`` of ``/`` and data filesystems)."""
    mounts: list[str] = []
    for part in psutil.disk_partitions(all=True):
        if is_important_mount(part.mountpoint, part.fstype) and part.mountpoint not in mounts:
            mounts.append(part.mountpoint)
    for path in extra:
        path = os.path.expanduser(path)
        if path not in mounts:
            mounts.append(path)
    disks = []
    for mount in mounts:
        try:
            usage = psutil.disk_usage(mount)
        except OSError:
            continue
        disks.append(DiskUsage(mount, usage.total, usage.used, usage.free))
    return tuple(disks)


def local_sample(
    host: str, mounts: Sequence[str] = (), *, rx: float | None, tx: float | None, at: float
) -> HostSample:
    """This machine now (CPU % since the previous ``psutil.cpu_percent`` call)."""
    memory = psutil.virtual_memory()
    return HostSample(
        host=host,
        at=at,
        source="psutil",
        cpu_percent=psutil.cpu_percent(None),
        cpu_count=psutil.cpu_count(),
        load=tuple(os.getloadavg()),  # type: ignore[arg-type]
        memory_total_bytes=memory.total,
        memory_available_bytes=memory.available,
        disks=local_disks(mounts),
        net_rx_bytes_per_s=rx,
        net_tx_bytes_per_s=tx,
    )
