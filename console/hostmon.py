"""The host sampler: CPU %, load, memory, disks of the important mounts, network rx/tx.

This machine is sampled in-process with psutil. A remote host is sampled by ONE long-lived
command started through ``Host.stream`` — ``python3 -c <sampler> INTERVAL FORCE_PROC
[MOUNT…]`` — that prints one JSON line per interval: with psutil when the host's Python has
it, otherwise from /proc (``/proc/stat``, ``/proc/meminfo``, ``/proc/net/dev``,
``/proc/mounts`` and ``statvfs``), which every Linux has. Either way the sample says which
(``HostSample.source``).

Rates (CPU %, bytes/s) need two readings, so the first sample arrives one interval after start.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

import psutil

from console.errors import HostError
from console.gpu import iter_lines
from console.hosts.base import Host
from console.hosts.local import LocalHost
from console.models import DiskUsage, HostSample

#: filesystems whose use matters (data, checkpoints, datasets); S3 FUSE mounts report
#: made-up sizes and are left out
DISK_FSTYPES = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "nfs", "nfs4", "lustre"})
#: mount points that are never where data lives
SKIPPED_PREFIXES = ("/boot", "/snap", "/proc", "/sys", "/dev", "/run", "/var/lib/docker")


def is_important_mount(mountpoint: str, fstype: str) -> bool:
    """``/`` always; otherwise a real data filesystem outside the system's own corners."""
    if mountpoint == "/":
        return True
    if fstype not in DISK_FSTYPES:
        return False
    return not any(mountpoint == p or mountpoint.startswith(p + "/") for p in SKIPPED_PREFIXES)


# The remote sampler. It is sent as one argument of ``python3 -c``; the interval, the /proc
# switch and extra mounts travel as further arguments, never pasted into the code. It keeps
# to what Python 3.6 offers (old images) and to the standard library unless psutil is there.
REMOTE_SAMPLER = r"""
import json, os, sys, time
interval = float(sys.argv[1]); force_proc = sys.argv[2] == "1"; extra = sys.argv[3:]
FSTYPES = __FSTYPES__
SKIP = __SKIP__
try:
    if force_proc:
        raise ImportError
    import psutil
except ImportError:
    psutil = None

def important(mount, fstype):
    if mount == "/":
        return True
    if fstype not in FSTYPES:
        return False
    return not any(mount == p or mount.startswith(p + "/") for p in SKIP)

def mounts():
    found = []
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2:
                mount = parts[1].replace("\\040", " ")
                if important(mount, parts[2]) and mount not in found:
                    found.append(mount)
    for path in extra:
        path = os.path.expanduser(path)
        if path not in found:
            found.append(path)
    return found

def disks():
    out = []
    for mount in mounts():
        try:
            st = os.statvfs(mount)
        except OSError:
            continue
        total = st.f_blocks * st.f_frsize
        free = st.f_bavail * st.f_frsize
        out.append([mount, total, total - st.f_bfree * st.f_frsize, free])
    return out

def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]), idle

def net_bytes():
    rx = tx = 0
    with open("/proc/net/dev") as f:
        for line in f.readlines()[2:]:
            name, data = line.split(":", 1)
            if name.strip() == "lo":
                continue
            values = data.split()
            rx += int(values[0]); tx += int(values[8])
    return rx, tx

def memory():
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            info[key] = int(value.split()[0]) * 1024
    available = info.get("MemAvailable", info.get("MemFree", 0) + info.get("Cached", 0))
    return info.get("MemTotal"), available

def read():
    if psutil is not None:
        counters = psutil.net_io_counters(pernic=True)
        rx = sum(c.bytes_recv for n, c in counters.items() if n != "lo")
        tx = sum(c.bytes_sent for n, c in counters.items() if n != "lo")
        return None, (rx, tx)
    return cpu_times(), net_bytes()

if psutil is not None:
    psutil.cpu_percent(None)
before, t0 = read(), time.time()
while True:
    time.sleep(interval)
    now, t1 = read(), time.time()
    elapsed = max(t1 - t0, 1e-6)
    if psutil is not None:
        cpu = psutil.cpu_percent(None)
        vm = psutil.virtual_memory()
        mem = (vm.total, vm.available)
    else:
        total = now[0][0] - before[0][0]
        busy = total - (now[0][1] - before[0][1])
        cpu = 100.0 * busy / total if total > 0 else 0.0
        mem = memory()
    sample = {
        "source": "psutil" if psutil is not None else "proc",
        "cpu": round(cpu, 2), "ncpu": os.cpu_count(), "load": list(os.getloadavg()),
        "mem_total": mem[0], "mem_available": mem[1], "disks": disks(),
        "rx": (now[1][0] - before[1][0]) / elapsed, "tx": (now[1][1] - before[1][1]) / elapsed,
        "at": t1,
    }
    sys.stdout.write(json.dumps(sample) + "\n")
    sys.stdout.flush()
    before, t0 = now, t1
""".replace("__FSTYPES__", repr(sorted(DISK_FSTYPES))).replace("__SKIP__", repr(SKIPPED_PREFIXES))


def remote_sampler_argv(
    interval_s: float,
    *,
    python: str = "python3",
    force_proc: bool = False,
    mounts: Sequence[str] = (),
) -> list[str]:
    """``python3 -c <sampler> INTERVAL 0|1 [MOUNT…]``: one JSON line per interval, forever."""
    return [python, "-c", REMOTE_SAMPLER, f"{interval_s:g}", "1" if force_proc else "0", *mounts]


def sample_from_json(host: str, line: str) -> HostSample:
    """One line of the remote sampler. Raises ValueError when it is not such a line."""
    data = json.loads(line)
    if not isinstance(data, dict) or "source" not in data:
        raise ValueError(f"not a sampler line: {line[:80]!r}")
    load = data.get("load")
    return HostSample(
        host=host,
        at=float(data.get("at") or time.time()),
        source=str(data["source"]),
        cpu_percent=_num(data.get("cpu")),
        cpu_count=data.get("ncpu"),
        load=tuple(float(x) for x in load) if load else None,  # type: ignore[arg-type]
        memory_total_bytes=data.get("mem_total"),
        memory_available_bytes=data.get("mem_available"),
        disks=tuple(
            DiskUsage(str(m), int(t), int(u), int(f)) for m, t, u, f in data.get("disks", [])
        ),
        net_rx_bytes_per_s=_num(data.get("rx")),
        net_tx_bytes_per_s=_num(data.get("tx")),
    )


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class HostSampler:
    """Samples one host every ``interval_s`` until ``cancel`` is set.

    ``run()`` blocks (call it from a thread worker); ``latest()``, ``samples()`` and ``error``
    may be read from any thread; ``on_sample(sample)`` is called for each sample. Errors
    (host unreachable, no python3 on the host) are kept in ``error`` and retried after
    ``retry_s``; ``run()`` itself does not raise.
    """

    def __init__(
        self,
        host: Host,
        *,
        interval_s: float = 2.0,
        cancel: threading.Event | None = None,
        python: str = "python3",
        mounts: Sequence[str] = (),
        history_len: int = 300,
        on_sample: Callable[[HostSample], None] | None = None,
        force_remote: bool = False,
        force_proc: bool = False,
        retry_s: float = 10.0,
    ):
        if interval_s <= 0:
            raise ValueError(f"host sampling interval must be positive, got {interval_s}")
        self.host = host
        self.interval_s = interval_s
        self.cancel = cancel or threading.Event()
        self.python = python
        self.mounts = tuple(mounts)
        self.on_sample = on_sample
        self.history: deque[HostSample] = deque(maxlen=history_len)
        self.error: str | None = None
        self.retry_s = retry_s
        self.force_proc = force_proc
        # a LocalHost is this machine: psutil in-process, no command at all
        self.remote = force_remote or not isinstance(host, LocalHost)
        self._stream = None
        self._lock = threading.Lock()

    def latest(self) -> HostSample | None:
        with self._lock:
            return self.history[-1] if self.history else None

    def samples(self) -> tuple[HostSample, ...]:
        """The history, oldest first (safe while the sampler adds to it)."""
        with self._lock:
            return tuple(self.history)

    def close(self) -> None:
        self.cancel.set()
        stream = self._stream
        if stream is not None:
            stream.close()

    def run(self) -> None:
        if self.remote:
            self._run_remote()
        else:
            self._run_local()

    def _emit(self, sample: HostSample) -> None:
        with self._lock:
            self.history.append(sample)
            self.error = None
        if self.on_sample is not None:
            self.on_sample(sample)

    # --- this machine ---

    def _run_local(self) -> None:
        psutil.cpu_percent(None)
        before, t0 = _local_net(), time.time()
        while not self.cancel.wait(self.interval_s):
            now, t1 = _local_net(), time.time()
            elapsed = max(t1 - t0, 1e-6)
            self._emit(
                local_sample(
                    self.host.name,
                    self.mounts,
                    rx=(now[0] - before[0]) / elapsed,
                    tx=(now[1] - before[1]) / elapsed,
                    at=t1,
                )
            )
            before, t0 = now, t1

    # --- a remote host ---

    def _run_remote(self) -> None:
        argv = remote_sampler_argv(
            self.interval_s, python=self.python, force_proc=self.force_proc, mounts=self.mounts
        )
        while not self.cancel.is_set():
            try:
                with self.host.stream(argv, cancel=self.cancel) as stream:
                    self._stream = stream
                    if self.cancel.is_set():
                        break
                    for line in iter_lines(stream):
                        try:
                            self._emit(sample_from_json(self.host.name, line))
                        except ValueError:
                            continue  # login noise or a partial line: skip it
                    code = stream.exit_code
                    if code is not None and not self.cancel.is_set():
                        reason = getattr(stream, "stderr", b"").decode("utf-8", "replace").strip()
                        self.error = _sampler_failure(self.host.name, self.python, code, reason)
            except HostError as exc:
                self.error = f"{self.host.name}: {exc.message}"
            finally:
                self._stream = None
            if self.cancel.wait(self.retry_s):
                return


def _sampler_failure(host: str, python: str, code: int, reason: str) -> str:
    if code == 127:
        return f"{host} has no {python}: the host monitor needs Python 3 on the host."
    return f"The host sampler on {host} stopped (exit {code}): {reason[-300:]}"


def _local_net() -> tuple[int, int]:
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
