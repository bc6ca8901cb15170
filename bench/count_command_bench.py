"""The whole ``awsconsole count DIR`` command against ``ls -1 DIR | wc -l`` on this machine.

A person asks "did everything arrive?" with ``ls -1 DIR | wc -l``; the console's twin is
``awsconsole count DIR``. Both are timed as whole processes (interpreter start, imports,
settings, the scan, the printing), best of N, on the same flat folder of N empty files,
alternately so machine load affects both alike. Also printed: which heavy libraries the
command loaded (none of boto3, botocore, paramiko or textual should be).

    .venv/bin/python bench/count_command_bench.py [--entries 1000000] [--repeat 5] [--dir D]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("boto3", "botocore", "paramiko", "textual", "moto")


def make_flat_folder(path: Path, entries: int) -> None:
    marker = path.with_name(path.name + ".complete")
    if marker.exists() and len(os.listdir(path)) == entries:
        return
    path.mkdir(parents=True, exist_ok=True)
    for index in range(entries):
        os.close(os.open(path / f"img_{index:08d}.jpg", os.O_CREAT | os.O_WRONLY, 0o644))
    marker.touch()


def best_of(repeat: int, argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    best, output = float("inf"), ""
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
        best = min(best, time.perf_counter() - started)
        output = result.stdout
    return best, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="reuse this folder (created if missing)")
    args = parser.parse_args()
    awsconsole = shutil.which("awsconsole", path=str(Path(sys.executable).parent))
    if awsconsole is None:
        sys.exit("needs the installed awsconsole script (make test or make demo first)")
    folder = args.dir or Path(tempfile.gettempdir()) / f"awsc-count-bench-{args.entries}"
    started = time.perf_counter()
    make_flat_folder(folder, args.entries)
    print(f"folder {folder}: {args.entries:,} entries ({time.perf_counter() - started:.1f}s)")
    with tempfile.TemporaryDirectory() as config_dir:
        config = Path(config_dir) / "config.toml"
        config.write_text("", encoding="utf-8")
        env = {**os.environ, "AWSCONSOLE_CONFIG": str(config)}
        ours, theirs = float("inf"), float("inf")
        for _ in range(args.repeat):
            t, out = best_of(1, [awsconsole, "count", str(folder), "--json"], env)
            ours = min(ours, t)
            t, counted = best_of(1, ["sh", "-c", f"ls -1 '{folder}' | wc -l"], env)
            theirs = min(theirs, t)
        loaded = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "console.cli", "count", str(folder)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stderr
    heavy = sorted(
        name
        for name in HEAVY
        if any(line.rstrip().endswith(f"| {name}") for line in loaded.split("\n"))
    )
    files = json.loads(out)[0]["files"]
    assert int(counted) == files == args.entries, (counted, files, args.entries)
    print(f"both counted {files:,} files")
    print(f"{'':34}{'ours':>10}{'ls | wc -l':>14}{'ratio':>8}")
    print(
        f"{'count ' + format(args.entries, ',') + ' entries (best of ' + str(args.repeat) + ')':34}"
        f"{ours:>9.2f}s{theirs:>13.2f}s{theirs / ours:>7.2f}x"
    )
    print("heavy libraries loaded by the command:", ", ".join(heavy) or "none")


if __name__ == "__main__":
    main()
