"""Start-up time: process start to a populated Instances view, ``awsconsole --demo`` vs a
minimal Textual app (one DataTable with 4 rows), in the same terminal on the same machine.

Each run starts the program in a fresh tmux pane (160x50, isolated socket) and polls the
pane until the marker text shows: ``fashion-train`` for the console (its Instances view has
rows from the demo's AWS endpoint), the last row for the minimal app. The two programs run
alternately so machine load affects both alike.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

MINIMAL_APP = """
from textual.app import App
from textual.widgets import DataTable


class Minimal(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("ID", "Name", "Type", "State")
        for n in range(4):
            table.add_row(f"i-{n:017x}", f"box-{n}", "g5.xlarge", "running")
        table.add_row("i-last", "minimal-ready", "g5.xlarge", "running")


Minimal().run()
"""


PHASES = """
import tempfile, time
started = time.perf_counter()
marks = []
def mark(label):
    marks.append((label, time.perf_counter()))
from console.settings import Settings
from console.startup import build_services
mark("import settings + services")
demo_dir = tempfile.mkdtemp()
services = build_services(Settings(demo=True, demo_dir=demo_dir))
mark("build_services(demo): endpoint started + seeded fleet")
import console.app
mark("import console.app (Textual)")
services.ec2.list_instances()
mark("first list_instances (boto3 client + call)")
services.close()
# the demo's endpoint outlives the console: this measurement's own one ends here
from pathlib import Path
from console.demo.endpoint import stop_endpoint
stop_endpoint(Path(demo_dir))
previous = started
for label, at in marks:
    print(f"{label}\t{at - previous:.2f}")
    previous = at
"""


def tmux(socket: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, env=env, check=False
    ).stdout


def time_to_markers(
    argv: list[str], markers: list[str], env: dict[str, str], timeout: float
) -> list[float]:
    """Seconds from starting ``argv`` in a new pane until each of ``markers`` is on screen."""
    socket = f"awsconsole-bench-{uuid.uuid4().hex[:8]}"
    command = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), *argv])
    seen: dict[str, float] = {}
    try:
        started = time.perf_counter()
        tmux(socket, "new-session", "-d", "-s", "bench", "-x", "160", "-y", "50", command)
        while len(seen) < len(markers):
            screen = tmux(socket, "capture-pane", "-p", "-t", "bench")
            now = time.perf_counter() - started
            for marker in markers:
                if marker in screen:
                    seen.setdefault(marker, now)
            if now > timeout:
                raise RuntimeError(f"{markers!r} did not all appear within {timeout}s: {argv}")
            time.sleep(0.02)
        tmux(socket, "send-keys", "-t", "bench", "q")
        deadline = time.perf_counter() + 20
        while tmux(socket, "list-panes", "-t", "bench") and time.perf_counter() < deadline:
            time.sleep(0.05)
        return [seen[marker] for marker in markers]
    finally:
        tmux(socket, "kill-server")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    awsconsole = shutil.which("awsconsole", path=str(bin_dir))
    if awsconsole is None or shutil.which("tmux") is None:
        sys.exit("needs the installed awsconsole script and tmux")

    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP, encoding="utf-8")
        config = Path(tmp) / "config.toml"
        config.write_text("", encoding="utf-8")
        env = {
            "AWSCONSOLE_CONFIG": str(config),
            "AWSCONSOLE_DEMO_DIR": str(Path(tmp) / "demo"),
            "TERM": "xterm-256color",
        }
        first: list[float] = []
        ours: list[float] = []
        baseline: list[float] = []
        for run in range(args.runs):
            # the tab bar is the first screen; a seeded instance means the table is populated
            shown, populated = time_to_markers(
                [awsconsole, "--demo"], ["1 Instances", "fashion-train"], env, 120
            )
            first.append(shown)
            ours.append(populated)
            [ready] = time_to_markers([sys.executable, str(minimal)], ["minimal-ready"], env, 60)
            baseline.append(ready)
            print(
                f"run {run + 1}: awsconsole --demo first screen {shown:.2f}s, populated "
                f"{populated:.2f}s; minimal Textual app {ready:.2f}s",
                file=sys.stderr,
            )

    print(f"\nStart-up, {args.runs} runs each, tmux 160x50 (minimal app: one DataTable, 5 rows)\n")
    print(
        f"{'':<8} {'ours: first screen':>19} {'ours: populated':>16} {'minimal Textual':>16}"
        f" {'ratio first':>12} {'ratio populated':>16}"
    )
    for label, pick in (("median", statistics.median), ("best", min), ("worst", max)):
        f, a, b = pick(first), pick(ours), pick(baseline)
        print(
            f"{label:<8} {f:>18.2f}s {a:>15.2f}s {b:>15.2f}s {f / b:>11.2f}x {a / b:>15.2f}x"
        )

    # where the console's time goes, measured inside one process (no terminal)
    out = subprocess.run(
        [sys.executable, "-c", PHASES], capture_output=True, text=True, check=True
    ).stdout
    print("\nOne in-process run, phase by phase:")
    for line in out.splitlines():
        label, seconds = line.split("\t")
        print(f"  {label:<48} {float(seconds):>6.2f}s")


if __name__ == "__main__":
    main()
