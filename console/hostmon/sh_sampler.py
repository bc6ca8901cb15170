"""The POSIX sh sampler: a host with no Python at all is still sampled, from /proc.

The one remote command of a host sampler is ``sh -c <LAUNCHER> awsconsole-hostmon PYTHON CODE
INTERVAL FORCE_PROC [MOUNT…]``. The launcher ``exec``s ``PYTHON -c CODE …`` (the Python
sampler) when ``command -v PYTHON`` finds it, and otherwise becomes the sampler itself: a loop
of shell builtins over ``/proc/uptime``, ``/proc/stat``, ``/proc/loadavg``, ``/proc/meminfo``
and ``/proc/net/dev``, plus ``df -Pk MOUNT`` per mount, that prints one record per interval::

    @sample 12345.67 8          <- /proc/uptime's seconds, online CPUs
    @cpu cpu  4705 0 1303 …     <- the first line of /proc/stat
    @load 0.10 0.20 0.30 1/99 4 <- /proc/loadavg
    @mem MemTotal: 16318540 kB  <- /proc/meminfo up to Cached
    @net eth0: 1234 5 …         <- /proc/net/dev's interfaces
    @disk /data                 <- then what ``df -Pk /data`` printed
    @end

Rates and CPU % come from two records, computed here (``ShRecordReader``), so the first
sample arrives one interval after start, as with the Python sampler. An empty PYTHON forces
this sampler. Nothing in the loop but ``df`` and ``sleep`` starts a process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from console.hostmon.mounts import DISK_FSTYPES, SKIPPED_PREFIXES
from console.hostmon.python_sampler import PYTHON_SAMPLER
from console.models import DiskUsage, HostSample

#: the name the launcher runs under ($0): how its process is recognised on the host
LAUNCHER_NAME = "awsconsole-hostmon"

# Only builtins read the files (dash reads a byte at a time, so reading stops as soon as
# what is needed was read: one line of /proc/stat, /proc/meminfo up to Cached). printf, not
# echo: dash's echo would interpret backslashes in what it prints.
LAUNCHER = r"""
python=$1 code=$2 interval=$3 force_proc=$4
shift 4
if [ -n "$python" ] && command -v "$python" >/dev/null 2>&1; then
    exec "$python" -c "$code" "$interval" "$force_proc" "$@"
fi
if [ ! -r /proc/stat ]; then
    printf '%s\n' "no /proc/stat: the host monitor reads Linux's /proc" >&2
    exit 3
fi
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null) || ncpu=
if [ -z "$ncpu" ]; then
    ncpu=0
    while read -r key rest; do
        case $key in processor) ncpu=$((ncpu + 1)) ;; esac
    done < /proc/cpuinfo
fi
important() {
    [ "$1" = / ] && return 0
    case " __FSTYPES__ " in *" $2 "*) ;; *) return 1 ;; esac
    case $1 in __SKIP__) return 1 ;; esac
    return 0
}
disks() {
    extras=$#
    while read -r dev mount fstype rest; do
        important "$mount" "$fstype" && set -- "$@" "$mount"
    done < /proc/mounts
    while [ "$extras" -gt 0 ]; do  # the mounts asked for after the important ones
        set -- "$@" "$1"
        shift
        extras=$((extras - 1))
    done
    for mount in "$@"; do
        case $mount in
            "~") mount=$HOME ;;
            "~/"*) mount=$HOME/${mount#"~/"} ;;
        esac
        printf '@disk %s\n' "$mount"
        df -Pk -- "$mount" 2>/dev/null
    done
}
while :; do
    read -r up rest < /proc/uptime
    printf '@sample %s %s\n' "$up" "$ncpu"
    read -r line < /proc/stat
    printf '@cpu %s\n' "$line"
    read -r line < /proc/loadavg
    printf '@load %s\n' "$line"
    while read -r line; do
        printf '@mem %s\n' "$line"
        case $line in Cached:*) break ;; esac
    done < /proc/meminfo
    while read -r line; do
        case $line in *:*) printf '@net %s\n' "$line" ;; esac
    done < /proc/net/dev
    disks "$@"
    printf '@end\n'
    # a sleep without fractions (old busybox) refuses "0.5": then once a second
    sleep "$interval" 2>/dev/null || sleep 1 || exit
done
""".replace("__FSTYPES__", " ".join(sorted(DISK_FSTYPES))).replace(
    "__SKIP__", "|".join(f"{p}|{p}/*" for p in SKIPPED_PREFIXES)
)


def sampler_argv(
    interval_s: float,
    *,
    python: str | None = "python3",
    force_proc: bool = False,
    mounts: Sequence[str] = (),
) -> list[str]:
    """``sh -c <LAUNCHER> awsconsole-hostmon PYTHON <code> INTERVAL 0|1 [MOUNT…]``.

    ``python=None`` (or empty) forces the sh sampler; otherwise it runs only where ``python``
    cannot be found on the host. ``force_proc`` makes the Python sampler ignore psutil.
    """
    return [
        "sh",
        "-c",
        LAUNCHER,
        LAUNCHER_NAME,
        python or "",
        PYTHON_SAMPLER,
        f"{interval_s:g}",
        "1" if force_proc else "0",
        *mounts,
    ]


# "/dev/nvme0n1p1  101430960  2389240  99025336  3%  /"  (the numbers are 1024-byte blocks;
# the capacity may be "-" where the total is 0; the device name may hold spaces)
_DF_ROW = re.compile(r"\s(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+(.+)$")
_CPU_FIELDS = 8  # user nice system idle iowait irq softirq steal (guest is inside user)


@dataclass
class ShRecord:
    """One record of the sh sampler, as read (counters still cumulative)."""

    uptime: float
    ncpu: int | None
    cpu_total: int | None = None
    cpu_idle: int | None = None
    load: tuple[float, float, float] | None = None
    meminfo: dict[str, int] = field(default_factory=dict)
    net_rx: int = 0
    net_tx: int = 0
    disks: list[DiskUsage] = field(default_factory=list)
    pending_disk: str | None = None


class ShRecordReader:
    """Turns the sh sampler's lines into HostSamples (``feed`` one line at a time).

    Lines outside a record (login noise) are ignored; a malformed value leaves that
    measurement unknown (None) rather than failing the whole sample.
    """

    def __init__(self, host: str, clock: Callable[[], float] = time.time):
        self.host = host
        self.clock = clock
        self._current: ShRecord | None = None
        self._previous: ShRecord | None = None

    def feed(self, line: str) -> HostSample | None:
        """One line in; a HostSample out when it ended a record that has a predecessor."""
        tag, _, rest = line.partition(" ")
        if tag == "@sample":
            self._current = _start_record(rest)
            return None
        record = self._current
        if record is None:
            return None
        if tag == "@cpu":
            record.cpu_total, record.cpu_idle = _cpu_times(rest)
        elif tag == "@load":
            record.load = _load(rest)
        elif tag == "@mem":
            key, _, value = rest.partition(":")
            number = _leading_int(value)
            if number is not None:
                record.meminfo[key.strip()] = number * 1024
        elif tag == "@net":
            _add_net(record, rest)
        elif tag == "@disk":
            record.pending_disk = rest
        elif tag == "@end":
            self._current = None
            return self._finish(record)
        elif record.pending_disk is not None:
            disk = _disk(record.pending_disk, line)
            if disk is not None:
                if all(d.mount != disk.mount for d in record.disks):
                    record.disks.append(disk)
                record.pending_disk = None
        return None

    def _finish(self, now: ShRecord) -> HostSample | None:
        before, self._previous = self._previous, now
        if before is None:
            return None  # rates need two records
        elapsed = now.uptime - before.uptime
        cpu = None
        if None not in (now.cpu_total, before.cpu_total, now.cpu_idle, before.cpu_idle):
            total = now.cpu_total - before.cpu_total  # type: ignore[operator]
            busy = total - (now.cpu_idle - before.cpu_idle)  # type: ignore[operator]
            cpu = 100.0 * busy / total if total > 0 else 0.0
        rx = tx = None
        if elapsed > 0:
            rx = max(0, now.net_rx - before.net_rx) / elapsed
            tx = max(0, now.net_tx - before.net_tx) / elapsed
        info = now.meminfo
        available = info.get("MemAvailable")
        if available is None and "MemFree" in info:
            available = info["MemFree"] + info.get("Cached", 0)  # kernels before 3.14
        return HostSample(
            host=self.host,
            at=self.clock(),
            source="sh",
            cpu_percent=round(cpu, 2) if cpu is not None else None,
            cpu_count=now.ncpu,
            load=now.load,
            memory_total_bytes=info.get("MemTotal"),
            memory_available_bytes=available,
            disks=tuple(now.disks),
            net_rx_bytes_per_s=rx,
            net_tx_bytes_per_s=tx,
        )


def _start_record(rest: str) -> ShRecord | None:
    parts = rest.split()
    try:
        uptime = float(parts[0])
    except (IndexError, ValueError):
        return None
    ncpu = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) else None
    return ShRecord(uptime=uptime, ncpu=ncpu)


def _cpu_times(rest: str) -> tuple[int | None, int | None]:
    """``cpu  4705 0 1303 136432 85 0 12 0 0 0`` -> (total of the first 8, idle + iowait)."""
    values = rest.split()[1:]
    if len(values) < 4 or not all(v.isdigit() for v in values):
        return None, None
    numbers = [int(v) for v in values[:_CPU_FIELDS]]
    idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)
    return sum(numbers), idle


def _load(rest: str) -> tuple[float, float, float] | None:
    try:
        one, five, fifteen = (float(x) for x in rest.split()[:3])
    except ValueError:
        return None
    return one, five, fifteen


def _leading_int(text: str) -> int | None:
    head = text.split()[:1]
    return int(head[0]) if head and head[0].isdigit() else None


def _add_net(record: ShRecord, rest: str) -> None:
    """``eth0: 1234 5 0 0 0 0 0 0 4321 …`` (old kernels: ``eth0:1234``); lo left out."""
    name, _, data = rest.partition(":")
    values = data.split()
    if name.strip() == "lo" or len(values) < 9:
        return
    if values[0].isdigit() and values[8].isdigit():
        record.net_rx += int(values[0])
        record.net_tx += int(values[8])


def _disk(mount: str, line: str) -> DiskUsage | None:
    """The data row of ``df -Pk MOUNT``, labelled with the mount asked for (a path that is
    not itself a mount point reports the filesystem holding it, as statvfs does)."""
    row = _DF_ROW.search(line)
    if row is None:
        return None
    total, used, free = (int(row[i]) * 1024 for i in (1, 2, 3))
    return DiskUsage(mount, total, used, free)
