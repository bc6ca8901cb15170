"""The Python sampler sent to a remote host: psutil when the host's Python has it, else /proc.

It prints one JSON line per interval. It is sent as one argument of ``python3 -c``; the
interval, the /proc switch and extra mounts travel as further arguments, never pasted into the
code. It keeps to what Python 3.6 offers (old images) and to the standard library unless
psutil is there.
"""

from __future__ import annotations

import json
import time

from console.hostmon.mounts import DISK_FSTYPES, SKIPPED_PREFIXES
from console.models import DiskUsage, HostSample

PYTHON_SAMPLER = r"""
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

def unescape(field):
    # /proc/mounts writes space, tab, newline and backslash in a path as \ooo
    out, i = bytearray(), 0
    while i < len(field):
        if field[i:i + 1] == b"\\" and field[i + 1:i + 4].isdigit() and len(field[i + 1:i + 4]) == 3:
            out.append(int(field[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out += field[i:i + 1]
            i += 1
    return bytes(out)

def mounts():
    # read as bytes: a mount point is any bytes a user chose (0xff included), not UTF-8;
    # os.fsdecode keeps such bytes as surrogates that statvfs takes back unchanged
    found = []
    with open("/proc/mounts", "rb") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2:
                mount = os.fsdecode(unescape(parts[1]))
                fstype = parts[2].decode("ascii", "replace")
                if important(mount, fstype) and mount not in found:
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
