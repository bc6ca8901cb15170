"""``awsconsole gpu``: the GPUs of a host — the GPU view's twin, and `watch nvidia-smi`'s.

    awsconsole gpu HOST [--once] [--json] [--interval MS] [--count N]

Without ``--once`` one long-lived ``nvidia-smi … -lms MS`` stream runs on the host and each
refresh prints one line per GPU until Ctrl-C (or ``--count`` refreshes). ``--json`` prints the
snapshot as one JSON object (``--once``) or one object per line (streaming): ``host``,
``state`` (``status``, ``message``), ``gpus`` and ``processes``; unknown values are null.
The exit status is 1 when the host has no usable GPU (no nvidia-smi, no driver, no GPU).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Any

from console.commands import json_line, json_text, jsonable, print_table
from console.errors import ConfigError
from console.gpu import monitor_for
from console.models import GpuProcess, GpuSample, GpuSnapshot, GpuStatus
from console.settings import GpuSettings

UNKNOWN = "?"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gpu",
        help="GPU utilisation, memory, temperature, power and processes of a host",
        description="Show a host's GPUs (one long-lived nvidia-smi stream, not a command per "
        "refresh). HOST is 'local', an ssh alias, user@host[:port] or an instance id.",
    )
    parser.add_argument("host", metavar="HOST")
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument(
        "--json", action="store_true", help="JSON instead of a table (one object per refresh)"
    )
    parser.add_argument(
        "--interval", type=int, metavar="MS", help="refresh interval (default: [gpu] interval_ms)"
    )
    parser.add_argument("--count", type=int, metavar="N", help="stop after N refreshes")
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    settings = services.settings.gpu
    if args.interval is not None and args.interval < 1:
        raise ConfigError(
            f"--interval must be a positive number of milliseconds, not {args.interval}"
        )
    host = services.hosts.host_for(args.host)
    if args.once:
        snapshot = monitor_for(settings, host).probe()
        if args.json:
            print(json_text(jsonable(snapshot)))
        else:
            print_snapshot(snapshot)
        return 0 if snapshot.state.ok else 1
    return _stream(settings, host, args)


def _stream(settings: GpuSettings, host: Any, args: Any) -> int:
    updates: queue.Queue[GpuSnapshot] = queue.Queue()
    kwargs = {"interval_ms": args.interval} if args.interval else {}
    monitor = monitor_for(settings, host, on_update=updates.put, **kwargs)
    worker = threading.Thread(target=monitor.run, name=f"gpu-{host.name}", daemon=True)
    worker.start()
    printed, last_frame, last_state = 0, None, None
    try:
        while args.count is None or printed < args.count:
            snapshot = updates.get()
            if snapshot.state.status is GpuStatus.STARTING:
                continue  # the first answer is on its way
            if snapshot.state != last_state and not snapshot.state.ok:
                last_state = snapshot.state
                if args.json:
                    _json_line(snapshot)
                else:
                    print(f"{host.name}: {snapshot.state.message}", flush=True)
                if args.count is not None:
                    return 1
                continue
            last_state = snapshot.state
            if snapshot.updated_at is None or snapshot.updated_at == last_frame:
                continue  # a process refresh: shown with the next frame
            last_frame = snapshot.updated_at
            printed += 1
            if args.json:
                _json_line(snapshot)
            else:
                if printed == 1 and snapshot.recording:  # said once, before the first frame
                    print(f"{host.name}: {snapshot.recording}", flush=True)
                print_frame_lines(snapshot)
    finally:
        monitor.close()
        worker.join(timeout=10)
    return 0


def _json_line(snapshot: GpuSnapshot) -> None:
    sys.stdout.write(json_line(jsonable(snapshot)) + "\n")
    sys.stdout.flush()


# --- text -------------------------------------------------------------------------------------


def _num(value: float | None, unit: str = "", digits: int = 0) -> str:
    return UNKNOWN if value is None else f"{value:.{digits}f}{unit}"


def _pair(a: float | None, b: float | None, unit: str) -> str:
    if a is None and b is None:
        return UNKNOWN
    return f"{_num(a)} / {_num(b)} {unit}"


GPU_COLUMNS = [
    ("GPU", lambda g: g.index),
    ("NAME", lambda g: g.name),
    ("UTIL", lambda g: _num(g.utilization_gpu, " %")),
    ("MEMORY", lambda g: _pair(g.memory_used_mib, g.memory_total_mib, "MiB")),
    ("TEMP", lambda g: _num(g.temperature_c, " C")),
    ("POWER", lambda g: _pair(g.power_draw_w, g.power_limit_w, "W")),
    ("SM CLOCK", lambda g: _num(g.clock_sm_mhz, " MHz")),
    ("FAN", lambda g: _num(g.fan_percent, " %")),
]


def print_snapshot(snapshot: GpuSnapshot) -> None:
    """The GPU table, then the process table; or the state, plainly."""
    if not snapshot.state.ok:
        print(f"{snapshot.host}: {snapshot.state.message}")
        if snapshot.state.detail:
            print(snapshot.state.detail)
        return
    if snapshot.recording:  # the demo's hosts: never passed off as a live GPU
        print(f"{snapshot.host}: {snapshot.recording}\n")
    print_table(snapshot.gpus, GPU_COLUMNS)
    if not snapshot.processes:
        print("\nNo processes on the GPUs.")
        return
    index_of = {g.uuid: g.index for g in snapshot.gpus if g.uuid}
    print()
    print_table(
        snapshot.processes,
        [
            ("PID", lambda p: p.pid),
            ("GPU", lambda p: index_of.get(p.gpu_uuid, p.gpu_uuid)),
            ("MEMORY", lambda p: _num(p.used_memory_mib, " MiB")),
            ("JOB", lambda p: p.job),
            ("PROCESS", lambda p: p.process_name),
        ],
    )


def print_frame_lines(snapshot: GpuSnapshot) -> None:
    """One line per GPU: ``12:00:01 gpu0 100 % 19818 / 81559 MiB 59 C 632 / 700 W``."""
    stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.updated_at or time.time()))
    by_gpu: dict[str | None, list[GpuProcess]] = {}
    for process in snapshot.processes:
        by_gpu.setdefault(process.gpu_uuid, []).append(process)
    for gpu in snapshot.gpus:
        print(f"{stamp} {_frame_line(gpu, by_gpu.get(gpu.uuid, []))}", flush=True)


def _frame_line(gpu: GpuSample, processes: list[GpuProcess]) -> str:
    jobs = sorted({p.job for p in processes if p.job})
    parts = [
        f"gpu{gpu.index if gpu.index is not None else UNKNOWN}",
        f"util {_num(gpu.utilization_gpu, ' %')}",
        f"mem {_pair(gpu.memory_used_mib, gpu.memory_total_mib, 'MiB')}",
        f"temp {_num(gpu.temperature_c, ' C')}",
        f"power {_pair(gpu.power_draw_w, gpu.power_limit_w, 'W')}",
        f"procs {len(processes)}",
    ]
    if jobs:
        parts.append("jobs " + ",".join(jobs))
    return "  ".join(parts)
