"""The GPU monitor against a real nvidia-smi: run on a machine with an NVIDIA GPU.

Tests here use a stand-in ``nvidia-smi`` that replays recordings; this script is the check
that the recordings and the parser agree with the real thing. It

1. records what the real nvidia-smi prints for every command the monitor sends (the one-shot
   query, the ``-lms`` stream, compute-apps, the plain table) into a folder, named the way
   tests/data/nvidia-smi names its recordings, so they can join the tests' data;
2. runs ``GpuMonitor`` on this machine (LocalHost): one probe, then the long-lived stream for
   a few seconds, and checks what it understood against nvidia-smi's own answers;
3. with ``--expect-pid`` (a process using the GPU), checks that the process list shows it.

Prints one line per check and a JSON summary; exit status 0 when every check passed.

    python bench/gpu_device_check.py --out DIR [--expect-pid PID] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.gpu import (  # noqa: E402
    APPS_FIELDS,
    QUERY_FIELDS,
    STREAM_FIELDS,
    GpuMonitor,
    query_apps_argv,
    query_gpu_argv,
)
from console.hosts.local import LocalHost  # noqa: E402


def record(out: Path, label: str, driver: str) -> dict[str, str]:
    """Save the real outputs of the monitor's commands; returns file name -> command line."""
    stem = f"{label}_{driver}"
    commands = {
        f"query-gpu_{stem}_fields.txt": query_gpu_argv(QUERY_FIELDS),
        f"query-gpu_{stem}_header.txt": ["nvidia-smi", "--query-gpu=" + ",".join(QUERY_FIELDS), "--format=csv"],
        f"compute-apps_{stem}.txt": query_apps_argv(APPS_FIELDS),
        f"compute-apps_{stem}_header.txt": ["nvidia-smi", "--query-compute-apps=" + ",".join(APPS_FIELDS),
                                           "--format=csv"],
        f"table_{stem}.txt": ["nvidia-smi"],
    }
    saved = {}
    for name, argv in commands.items():
        done = subprocess.run(argv, capture_output=True, timeout=60)
        (out / name).write_bytes(done.stdout + done.stderr)
        saved[name] = " ".join(argv)
    # the stream, as the monitor starts it: header once? frames at the interval
    name = f"query-gpu_{stem}_stream_lms500.txt"
    argv = query_gpu_argv(STREAM_FIELDS, interval_ms=500)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(3.2)
    proc.terminate()
    data, _ = proc.communicate(timeout=10)
    (out / name).write_bytes(data)
    saved[name] = " ".join(argv) + "  (3.2 s)"
    return saved


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder for the recordings")
    ap.add_argument("--expect-pid", type=int, help="a pid that uses the GPU now")
    ap.add_argument("--seconds", type=float, default=5.0, help="how long to stream")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    truth = subprocess.run(query_gpu_argv(("index", "name", "driver_version", "memory.total")),
                           capture_output=True, text=True, timeout=60)
    rows = [[c.strip() for c in line.split(",")] for line in truth.stdout.splitlines() if line.strip()]
    driver = rows[0][2] if rows else "unknown"
    label = (rows[0][1] if rows else "unknown").lower().replace("nvidia ", "").replace(" ", "-")
    saved = record(out, label, driver)

    checks: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        checks.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name}  {detail}", flush=True)

    host = LocalHost("local")
    updates: list[float] = []
    monitor = GpuMonitor(host, interval_ms=500, apps_interval_s=1.0,
                         on_update=lambda snap: updates.append(time.time()))
    probe = monitor.probe()
    check("probe: state ok", probe.state.ok, probe.state.message)
    check("probe: one sample per GPU", len(probe.gpus) == len(rows), f"{len(probe.gpus)} vs {len(rows)}")
    for sample, row in zip(probe.gpus, rows, strict=False):  # a count mismatch is checked above
        check(f"GPU {row[0]}: name", sample.name == row[1], repr(sample.name))
        check(f"GPU {row[0]}: driver", sample.driver_version == row[2], repr(sample.driver_version))
        check(f"GPU {row[0]}: memory total", sample.memory_total_mib == float(row[3]),
              f"{sample.memory_total_mib} MiB")
        for attr in ("utilization_gpu", "memory_used_mib", "temperature_c", "power_draw_w",
                     "power_limit_w", "clock_sm_mhz", "pstate"):
            check(f"GPU {row[0]}: {attr} known", getattr(sample, attr) is not None, repr(getattr(sample, attr)))
        # a data-centre card has no fan: the monitor must say unknown, never 0
        check(f"GPU {row[0]}: fan unknown or a real reading", sample.fan_percent is None or sample.fan_percent >= 0,
              repr(sample.fan_percent))

    runner = threading.Thread(target=monitor.run, daemon=True)
    started = time.time()
    runner.start()
    time.sleep(args.seconds)
    snapshot = monitor.snapshot()
    monitor.close()
    runner.join(timeout=10)
    key = probe.gpus[0].key if probe.gpus else ""
    history = monitor.history.samples(key) if key else ()
    expected = int(args.seconds / 0.5)
    check("stream: frames arrive at the interval", len(history) >= expected * 0.6,
          f"{len(history)} samples in {args.seconds:.0f} s at 500 ms (expected ~{expected})")
    check("stream: monitor stopped cleanly", not runner.is_alive())
    check("stream: static fields carried into streamed samples",
          bool(history) and history[-1].name == probe.gpus[0].name and history[-1].memory_total_mib is not None)
    if args.expect_pid:
        pids = {p.pid for p in snapshot.processes}
        check("processes: the GPU job's pid is listed", args.expect_pid in pids,
              f"pids {sorted(p for p in pids if p is not None)}")
        mine = [p for p in snapshot.processes if p.pid == args.expect_pid]
        check("processes: its GPU memory known", bool(mine) and mine[0].used_memory_mib is not None,
              repr(mine[0].used_memory_mib if mine else None))

    summary = {
        "driver": driver, "gpu": label, "gpus": len(rows), "recordings": saved,
        "updates": len(updates), "stream_seconds": time.time() - started,
        "last_snapshot": [
            {k: getattr(s, k) for k in ("index", "name", "utilization_gpu", "memory_used_mib",
                                         "memory_total_mib", "temperature_c", "power_draw_w",
                                         "clock_sm_mhz", "fan_percent", "pstate")}
            for s in snapshot.gpus
        ],
        "processes": [{"pid": p.pid, "name": p.process_name, "mib": p.used_memory_mib} for p in snapshot.processes],
        "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks],
    }
    (out / "check.json").write_text(json.dumps(summary, indent=2))
    failed = [n for n, ok, _ in checks if not ok]
    print(f"\n{len(checks) - len(failed)}/{len(checks)} checks passed" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
