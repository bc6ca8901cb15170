"""The host sampler: CPU %, load, memory, disks of the important mounts, network rx/tx.

This machine is sampled in-process with psutil. A remote host is sampled by ONE long-lived
command started through ``Host.stream`` that prints one record per interval: the Python
sampler (``python_sampler``: psutil when the host's Python has it, otherwise /proc and
``statvfs``) where the host has ``python3``, and the POSIX sh sampler (``sh_sampler``: builtins
over /proc, ``df -Pk`` for the mounts) where it has none. Every sample says which
(``HostSample.source``: ``"psutil"``, ``"proc"`` or ``"sh"``).

Rates (CPU %, bytes/s) need two readings, so the first sample arrives one interval after start.

The modules: ``mounts`` (which mounts matter), ``local`` (this machine), ``python_sampler``
and ``sh_sampler`` (the remote commands and their parsers), ``sampler`` (HostSampler).
"""

from console.hostmon.mounts import DISK_FSTYPES, SKIPPED_PREFIXES, is_important_mount
from console.hostmon.python_sampler import PYTHON_SAMPLER, sample_from_json
from console.hostmon.sampler import HostSampler
from console.hostmon.sh_sampler import LAUNCHER, LAUNCHER_NAME, ShRecordReader, sampler_argv
from console.hostmon.this_machine import local_disks, local_net, local_sample

__all__ = [
    "DISK_FSTYPES",
    "LAUNCHER",
    "LAUNCHER_NAME",
    "PYTHON_SAMPLER",
    "SKIPPED_PREFIXES",
    "HostSampler",
    "ShRecordReader",
    "is_important_mount",
    "local_disks",
    "local_net",
    "local_sample",
    "sample_from_json",
    "sampler_argv",
]
