#!/usr/bin/env python3
"""``nvidia-smi`` for the demo's instances: replays what a real GPU of the instance's type
printed (console/demo/recordings/, named by ``AWSCONSOLE_GPU_RECORDING``).

The demo's instances are this machine, which has no NVIDIA GPU; this script stands in for
the one program that needs one, so the GPU view, its idle warning and its process list can be
tried. It answers the commands the console runs, in nvidia-smi's own formats:

- ``--query-gpu=FIELDS --format=csv[,noheader][,nounits]``: the fields asked, in that order
  (aliases such as ``clocks.sm`` and ``clocks.current.sm``, ``gpu_name`` and ``name`` are the
  same field); a value the recording does not hold reads ``[N/A]``, as nvidia-smi prints it;
- ``--query-compute-apps=FIELDS --format=…``: the recorded processes;
- ``-lms MS`` / ``-l SEC``: keep printing, one recorded frame per interval, in turn, until
  ended; the CSV header once;
- no arguments: the plain table of the first frame, dated now.

Standard library only, Python 3.6 syntax: it runs under any python3.
"""

import json
import os
import signal
import sys
import time

RECORDING_VAR = "AWSCONSOLE_GPU_RECORDING"
NA = "[N/A]"
# nvidia-smi prints the canonical name of an alias in its header
ALIASES = {
    "gpu_name": "name",
    "gpu_uuid": "uuid",
    "gpu_bus_id": "pci.bus_id",
    "clocks.sm": "clocks.current.sm",
    "clocks.gr": "clocks.current.graphics",
    "clocks.mem": "clocks.current.memory",
    "used_memory": "used_gpu_memory",
}
UNITS = {
    "utilization.gpu": "%",
    "utilization.memory": "%",
    "fan.speed": "%",
    "memory.used": "MiB",
    "memory.total": "MiB",
    "used_gpu_memory": "MiB",
    "power.draw": "W",
    "power.limit": "W",
    "clocks.current.sm": "MHz",
    "clocks.current.graphics": "MHz",
    "clocks.current.memory": "MHz",
}


def canonical(name):
    name = name.strip()
    return ALIASES.get(name, name)


def option(args, *names):
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def gpu_value(recording, gpu, field, gpu_count):
    if field == "driver_version":
        return recording["driver_version"]
    if field == "count":
        return str(gpu_count)
    if field == "timestamp":
        return time.strftime("%Y/%m/%d %H:%M:%S.000")
    return gpu.get(field, NA)


def with_unit(field, value, nounits):
    unit = UNITS.get(field)
    if nounits or not unit or value.startswith("["):
        return value
    return f"{value} {unit}"


def header(fields):
    cells = []
    for field in fields:
        unit = UNITS.get(field)
        cells.append(f"{field} [{unit}]" if unit else field)
    return ", ".join(cells)


def query(recording, asked, kind, formats, pause):
    nounits = "nounits" in formats
    fields = [canonical(f) for f in asked.split(",") if f.strip()]
    frames = recording["frames"]
    if "noheader" not in formats:
        sys.stdout.write(header(fields) + "\n")
    tick = 0
    while True:
        frame = frames[tick % len(frames)]
        if kind == "gpu":
            rows = [
                [str(gpu_value(recording, gpu, f, len(frame["gpus"]))) for f in fields]
                for gpu in frame["gpus"]
            ]
        else:
            rows = [[str(process.get(f, NA)) for f in fields] for process in frame["processes"]]
        for row in rows:
            sys.stdout.write(
                ", ".join(with_unit(f, v, nounits) for f, v in zip(fields, row))  # noqa: B905
                + "\n"
            )
        sys.stdout.flush()
        if pause is None:
            return 0
        tick += 1
        time.sleep(pause)


def table(recording):
    """The plain ``nvidia-smi`` table of the first recorded frame."""
    frame = recording["frames"][0]
    rule = "+" + "-" * 41 + "+" + "-" * 24 + "+" + "-" * 22 + "+"
    lines = [
        time.strftime("%a %b %d %H:%M:%S %Y"),
        "+" + "-" * 89 + "+",
        "| NVIDIA-SMI {:<23}Driver Version: {:<15}CUDA Version: {:<9}|".format(
            recording["driver_version"], recording["driver_version"], recording["cuda_version"]
        ),
        rule,
        "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |",
        "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |",
        "|                                         |                        |               MIG M. |",
        "|" + "=" * 41 + "+" + "=" * 24 + "+" + "=" * 22 + "|",
    ]
    for gpu in frame["gpus"]:
        fan = gpu["fan.speed"]
        fan = "N/A" if fan.startswith("[") else fan + "%"
        mig = gpu.get("mig.mode.current", NA)
        mig = "N/A" if mig.startswith("[") else mig
        left = "{:>4}  {}".format(gpu["index"], gpu["name"])
        power = "{}W / {}W".format(gpu["power.draw"], gpu["power.limit"])
        memory = "{}MiB / {}MiB".format(gpu["memory.used"], gpu["memory.total"])
        lines += [
            "|{}{:<3} |{:>19} Off |{:>21} |".format(
                left.ljust(37),
                gpu["persistence_mode"],
                gpu["pci.bus_id"],
                gpu["ecc.errors.uncorrected.volatile.total"],
            ),
            "|{:>4}   {:>3}    {:<2}{:>24} |{:>23} |{:>8}{:>13} |".format(
                fan,
                gpu["temperature.gpu"] + "C",
                gpu["pstate"],
                power,
                memory,
                gpu["utilization.gpu"] + "%",
                gpu["compute_mode"],
            ),
            "|{:41}|{:24}|{:>21} |".format("", "", mig),
            rule,
        ]
    lines += [
        "",
        "+" + "-" * 89 + "+",
        "| Processes:" + " " * 78 + "|",
        "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |",
        "|        ID   ID                                                               Usage      |",
        "|" + "=" * 89 + "|",
    ]
    if not frame["processes"]:
        lines.append("|  No running processes found" + " " * 61 + "|")
    for process in frame["processes"]:
        lines.append(
            "| {:>4}   N/A  N/A  {:>15}      C   {:<34} {:>9}MiB |".format(
                process.get("gpu_index", "0"),
                process["pid"],
                process["process_name"][:34],
                process["used_gpu_memory"],
            )
        )
    lines.append("+" + "-" * 89 + "+")
    return "\n".join(lines) + "\n"


def main(args):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
    path = os.environ.get(RECORDING_VAR)
    if not path:
        sys.stderr.write(f"NVIDIA-SMI has failed: no recording to replay ({RECORDING_VAR} unset)\n")
        return 9
    recording = load(path)
    query_gpu = option(args, "--query-gpu")
    query_apps = option(args, "--query-compute-apps")
    if not query_gpu and not query_apps:
        if args:
            sys.stdout.write("Invalid combination of input arguments: {}\n".format(" ".join(args)))
            return 2
        sys.stdout.write(table(recording))
        return 0
    formats = (option(args, "--format") or "").split(",")
    if "csv" not in formats:
        sys.stdout.write('"--format=" switch is missing. Please use --format=csv\n')
        return 2
    interval_ms = option(args, "-lms", "--loop-ms")
    interval_s = option(args, "-l", "--loop")
    pause = int(interval_ms) / 1000 if interval_ms else (float(interval_s) if interval_s else None)
    if query_gpu:
        return query(recording, query_gpu, "gpu", formats, pause)
    return query(recording, query_apps, "apps", formats, pause)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
