"""Log tailing and job listing over SSH: ours next to the usual tools.

    .venv/bin/python bench/logs_bench.py [--rate 50000] [--seconds 8] [--jobs 50] [--hosts 3]

Starts a real OpenSSH server on 127.0.0.1 (the test suite's fixture code, as root, with
the ``awsc-test`` user), then:

1. Tailing: a writer appends ``--rate`` lines/s (each carrying its write time) to a file
   for ``--seconds``; it is read once by ``LogFollower`` over paramiko and once by
   ``ssh HOST tail -c +1 -F FILE`` (OpenSSH client). Reported: lines per second delivered
   and the lag from write to delivery (median, 95th percentile, max).
   Then once more by the console's real log viewer (``LogViewerScreen`` in a headless
   Textual app, following the file over the same kind of SSH connection): the lag from
   the write to the line being in the ``LogView`` widget (every line: its ``append``), and
   to the line being drawn (the widget's ``render_line`` producing that line's row in a
   screen update; at 50,000 lines/s only the lines on screen at a frame are drawn, so
   this lag is measured on those).
2. Listing: ``--hosts`` hosts with ``--jobs`` jobs each, listed by ``list_all`` (one remote
   command per host, in parallel) against the usual ``ssh HOST tmux ls`` plus
   ``ssh HOST cat ~/.awsconsole/jobs/*/job.json …`` one host after the other.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.hosts.ssh.host import ConnectionPool, SshHost  # noqa: E402
from console.jobs.manager import JobManager, list_all  # noqa: E402
from console.logs.follower import LogFollower  # noqa: E402
from console.models import JobSpec  # noqa: E402
from console.ui.jobs.log_view import LogView  # noqa: E402
from console.ui.jobs.log_viewer import LogSource, LogViewerScreen  # noqa: E402
from tests.fixtures import sshd as sshd_fixture  # noqa: E402

# Appends RATE lines/s for SECONDS in batches every 10 ms; each line: seq, write time (ns).
WRITER = """
import sys, time
path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
total = int(rate * seconds)
pad = b"x" * 60
start = time.monotonic()
seq = 0
with open(path, "ab", buffering=0) as out:
    while seq < total:
        due = min(total, int((time.monotonic() - start) * rate) + 1)
        if due > seq:
            now = b"%d" % time.monotonic_ns()
            out.write(b"".join(b"%09d %s %s\\n" % (n, now, pad) for n in range(seq, due)))
            seq = due
        time.sleep(0.01)
"""


@dataclass
class TailResult:
    lines: int
    seconds: float
    lags_ms: list[float]

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    def lag(self, q: float) -> float:
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Meter:
    """Counts delivered lines and their write-to-delivery lag."""

    def __init__(self, expected: int):
        self.expected = expected
        self.lines = 0
        self.lags: list[float] = []
        self.partial = b""
        self.first = 0.0
        self.last = 0.0

    def feed(self, data: bytes) -> bool:
        now = time.monotonic_ns()
        data = self.partial + data
        cut = data.rfind(b"\n") + 1
        self.partial = data[cut:]
        lines = data[:cut].split(b"\n")[:-1]
        if lines and not self.first:
            self.first = time.monotonic()
        for line in lines:
            self.lags.append((now - int(line.split(b" ", 2)[1])) / 1e6)
        self.lines += len(lines)
        self.last = time.monotonic()
        return self.lines >= self.expected

    def result(self, write_start: float) -> TailResult:
        return TailResult(self.lines, self.last - write_start, self.lags)


def tail_ours(host: SshHost, path: Path, rate: int, seconds: float) -> TailResult:
    meter = Meter(int(rate * seconds))
    follower = LogFollower(host, str(path))
    ready = threading.Event()

    def read() -> None:
        ready.set()
        for chunk in follower:
            if meter.feed(chunk.data):
                follower.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait()
    time.sleep(0.5)  # the tail is running before the first write
    start = write(path, rate, seconds)
    reader.join(seconds + 60)
    follower.close()
    return meter.result(start)


def tail_openssh(ssh: list[str], path: Path, rate: int, seconds: float) -> TailResult:
    meter = Meter(int(rate * seconds))
    process = subprocess.Popen(
        [*ssh, shlex.join(["tail", "-c", "+1", "-F", str(path)])], stdout=subprocess.PIPE
    )
    time.sleep(0.5)
    start = write(path, rate, seconds, wait=False)
    fd = process.stdout.fileno()
    deadline = time.monotonic() + seconds + 60
    while time.monotonic() < deadline:
        data = os.read(fd, 65536)
        if not data or meter.feed(data):
            break
    process.kill()
    process.wait()
    return meter.result(start)


#: one line in this many is read back for the widget's lag (see ScreenMeter.on_append)
SAMPLE_EVERY = 50


class ScreenMeter:
    """Hooks into the log widget: when each line is handed to it (``append``) and when a
    row showing a line is rendered for the screen (``render_line``), against its write time."""

    def __init__(self, expected: int):
        self.expected = expected
        self.appended = 0
        self.newest_appended = -1
        self.append_lags: list[float] = []
        self.drawn_lags: list[float] = []
        self.newest_drawn = -1
        self.first = 0.0
        self.last = 0.0
        self.done = threading.Event()

    @staticmethod
    def _parse(line: str) -> tuple[int, int] | None:
        parts = line.split(" ", 2)
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        return int(parts[0]), int(parts[1])

    def on_append(self, lines: list[str]) -> None:
        now = time.monotonic_ns()
        if not lines:
            return
        if not self.first:
            self.first = time.monotonic()
        # Every line of one append reaches the widget at the same moment: reading one in
        # SAMPLE_EVERY (and the last) gives the same lag figures without making the
        # measurement itself slow the UI thread down.
        sampled = lines[::SAMPLE_EVERY]
        for line in [*sampled, lines[-1]] if len(lines) % SAMPLE_EVERY != 1 else sampled:
            parsed = self._parse(line)
            if parsed is not None:
                self.append_lags.append((now - parsed[1]) / 1e6)
                self.newest_appended = max(self.newest_appended, parsed[0])
        self.appended += len(lines)
        self.last = time.monotonic()
        # The viewer may hand over only the newest lines of a huge batch (it keeps a
        # bounded number): the run is over when the writer's last line is there.
        if self.newest_appended >= self.expected - 1:
            self.done.set()

    def on_draw(self, line: str) -> None:
        parsed = self._parse(line)
        if parsed is None or parsed[0] <= self.newest_drawn:
            return  # drawn before (a redraw of a row already on screen)
        self.newest_drawn = parsed[0]
        self.drawn_lags.append((time.monotonic_ns() - parsed[1]) / 1e6)

    def results(self, write_start: float) -> tuple[TailResult, TailResult]:
        seconds = self.last - write_start
        return (
            TailResult(self.appended, seconds, self.append_lags),
            TailResult(self.appended, seconds, self.drawn_lags),
        )


def tail_screen(host: SshHost, path: Path, rate: int, seconds: float) -> tuple[TailResult, ...]:
    """The console's log viewer, headless, following ``path`` while the writer runs."""
    import asyncio

    from textual.app import App

    meter = ScreenMeter(int(rate * seconds))
    original_append, original_render = LogView.append, LogView.render_line

    def append(view, lines, *, scroll_end=None):
        lines = list(lines)
        meter.on_append(lines)
        return original_append(view, lines, scroll_end=scroll_end)

    def render_line(view, y):
        strip = original_render(view, y)
        index, _ = view._line_at_row(int(view.scroll_offset.y) + y)
        if 0 <= index < len(view.shown):
            meter.on_draw(view.shown[index])
        return strip

    class LogBenchApp(App):
        def on_mount(self) -> None:
            self.push_screen(LogViewerScreen(LogSource(host, str(path), "bench")))

    async def drive() -> float:
        app = LogBenchApp()
        async with app.run_test(headless=True, size=(160, 45)) as pilot:
            while not isinstance(app.screen, LogViewerScreen) or not app.screen.is_open_at_tail:
                await pilot.pause(0.05)
            await pilot.pause(0.5)  # the follower is running before the first write
            start = write(path, rate, seconds)
            deadline = time.monotonic() + seconds + 60
            # Plain sleeps: Pilot.pause would force extra screen updates; the app must
            # draw at its own pace for the on-screen figure to be honest.
            while not meter.done.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the last lines' frame
        return start

    LogView.append, LogView.render_line = append, render_line
    try:
        start = asyncio.run(drive())
    finally:
        LogView.append, LogView.render_line = original_append, original_render
    return meter.results(start)


_writers: list[subprocess.Popen] = []


def write(path: Path, rate: int, seconds: float, wait: bool = False) -> float:
    start = time.monotonic()
    _writers.append(
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(rate), str(seconds)])
    )
    return start


def fake_finished_jobs(host: SshHost, manager: JobManager, count: int) -> None:
    """``count`` finished jobs written straight into the host's jobs folder."""
    import json

    for i in range(count):
        job_id = f"20260101-000000-bench-{i:04d}"
        job_dir = f"{manager.jobs_root}/{job_id}"
        host.makedirs(job_dir)
        record = {
            "version": 1, "id": job_id, "name": f"bench {i}", "command": ["python", "train.py"],
            "cwd": "~", "env": {}, "group": None, "node_rank": None, "home": manager.home,
            "host": host.name, "started": "2026-01-01T00:00:00+00:00",
            "tmux_socket": manager.tmux_socket, "session": job_id,
        }  # fmt: skip
        host.write(f"{job_dir}/job.json", json.dumps(record).encode())
        host.write(f"{job_dir}/output.log", b"epoch 1 loss 0.5\n" * 50)
        host.write(f"{job_dir}/exit_code", b"0\n")


def list_usual(ssh: list[str], managers: list[JobManager]) -> None:
    for manager in managers:
        for argv in (
            ["tmux", "-L", manager.tmux_socket, "ls"],
            [
                "sh",
                "-c",
                'cat "$1"/*/job.json "$1"/*/exit_code >/dev/null',
                "sh",
                manager.jobs_root,
            ],
        ):
            subprocess.run([*ssh, shlex.join(argv)], capture_output=True, check=False)


def timed(action, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--jobs", type=int, default=50, help="jobs per host")
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--no-list", action="store_true", help="only the tailing part")
    args = parser.parse_args()

    material = sshd_fixture.create_material()
    workdir = material.directory
    client_key = material.client_key
    server = sshd_fixture.start_sshd(material, "bench")
    config = workdir / "ssh_config"
    config.write_text(
        f"Host benchhost\n    HostName 127.0.0.1\n    Port {server.port}\n"
        f"    User {material.user}\n    IdentityFile {client_key}\n    IdentitiesOnly yes\n"
    )
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(server.known_hosts_line())
    ssh = ["ssh", "-F", str(config), "-o", f"UserKnownHostsFile={known_hosts}", "benchhost"]
    pools: list[ConnectionPool] = []

    def new_host() -> SshHost:
        pools.append(ConnectionPool())
        return SshHost("benchhost", config_path=str(config), known_hosts_path=str(known_hosts),
                       pool=pools[-1])  # fmt: skip

    managers: list[JobManager] = []
    try:
        print(f"Tailing a log growing at {args.rate:,} lines/s for {args.seconds:g} s over SSH "
              "(127.0.0.1, real sshd)\n")  # fmt: skip
        ours = tail_ours(new_host(), _fresh_log(workdir), args.rate, args.seconds)
        theirs = tail_openssh(ssh, _fresh_log(workdir), args.rate, args.seconds)
        rows = [
            ("lines delivered / s", ours.rate, theirs.rate, "{:,.0f}"),
            ("lag median (ms)", ours.lag(0.5), theirs.lag(0.5), "{:.1f}"),
            ("lag p95 (ms)", ours.lag(0.95), theirs.lag(0.95), "{:.1f}"),
            ("lag max (ms)", max(ours.lags_ms), max(theirs.lags_ms), "{:.1f}"),
            ("lines received", ours.lines, theirs.lines, "{:,.0f}"),
        ]
        _table(("tail", "LogFollower", "ssh tail -F", "ratio"), rows)

        in_widget, drawn = tail_screen(new_host(), _fresh_log(workdir), args.rate, args.seconds)
        print(f"\nThe same writer into the console's log viewer (Textual, headless, "
              f"{len(drawn.lags_ms):,} lines drawn as they arrived)\n")  # fmt: skip
        _screen_table(ours, in_widget, drawn, theirs)
        if args.no_list:
            return 0

        print(f"\nListing {args.jobs} jobs on each of {args.hosts} hosts "
              f"({args.jobs * args.hosts} jobs; median of 5)\n")  # fmt: skip
        socket = f"awsconsole-bench-{uuid.uuid4().hex[:6]}"
        for _ in range(args.hosts):
            host = new_host()
            root = f"~/awsconsole-bench-{uuid.uuid4().hex[:8]}/jobs"
            manager = JobManager(host, tmux_socket=socket, jobs_root=root)
            running = min(5, args.jobs)
            fake_finished_jobs(host, manager, args.jobs - running)
            for _ in range(running):
                manager.start(JobSpec(command=("sleep", "600"), name="bench running"))
            managers.append(manager)
        counted = len(list_all(managers)[0])
        assert counted == args.jobs * args.hosts, counted
        warm = timed(lambda: list_all(managers))

        def cold() -> None:
            for pool in pools:
                pool.close_all()
            list_all(managers)

        cold_time = timed(cold)
        usual = timed(lambda: list_usual(ssh, managers))
        # The fair warm comparison: OpenSSH reusing one connection (ControlMaster).
        mux = [*ssh[:-1], "-o", "ControlMaster=auto", "-o", f"ControlPath={workdir}/cm-%C",
               "-o", "ControlPersist=120", ssh[-1]]  # fmt: skip
        subprocess.run([*mux, "true"], check=True)
        usual_mux = timed(lambda: list_usual(mux, managers))
        subprocess.run([*mux[:-1], "-O", "exit", mux[-1]], capture_output=True, check=False)
        _table(
            ("list jobs", "list_all", "ssh per host", "ratio"),
            [
                ("connected (s) vs ssh ControlMaster", warm, usual_mux, "{:.3f}"),
                ("connecting first (s) vs plain ssh", cold_time, usual, "{:.3f}"),
            ],
        )
        print("\nratio = ours / theirs (tail: higher is better for lines/s, lower for lag; "
              "list: lower is better). 'ssh per host' = `ssh HOST tmux -L SOCKET ls` + "
              "`ssh HOST cat …/job.json …/exit_code`, host after host.")  # fmt: skip
    finally:
        for writer in _writers:
            writer.kill()
        for manager in managers:
            manager.host.run(["tmux", "-L", manager.tmux_socket, "kill-server"])
            manager.host.run(["sh", "-c", 'rm -f -- "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$1"',
                              "sh", manager.tmux_socket])  # fmt: skip
            manager.host.run(["rm", "-rf", "--", str(Path(manager.jobs_root).parent)])
        for pool in pools:
            pool.close_all()
        sshd_fixture.stop_sshd(server)
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return 0


def _fresh_log(workdir: Path) -> Path:
    path = workdir / f"train-{uuid.uuid4().hex[:6]}.log"
    path.write_bytes(b"")
    path.chmod(0o644)
    return path


def _screen_table(ours: TailResult, widget: TailResult, drawn: TailResult,
                  theirs: TailResult) -> None:  # fmt: skip
    """Backend, widget and screen side by side with ``ssh tail -F`` (whose terminal draws
    what it delivers); ratio = on screen / ssh tail -F."""
    headers = ("write to …", "LogFollower", "in widget", "on screen", "ssh tail -F", "ratio")
    rows = [
        ("lines / s", ours.rate, widget.rate, widget.rate, theirs.rate, "{:,.0f}"),
        ("lag median (ms)", ours.lag(0.5), widget.lag(0.5), drawn.lag(0.5), theirs.lag(0.5),
         "{:.1f}"),
        ("lag p95 (ms)", ours.lag(0.95), widget.lag(0.95), drawn.lag(0.95), theirs.lag(0.95),
         "{:.1f}"),
        ("lag max (ms)", max(ours.lags_ms), max(widget.lags_ms, default=float("nan")),
         max(drawn.lags_ms, default=float("nan")), max(theirs.lags_ms), "{:.1f}"),
        ("lines received", ours.lines, widget.lines, widget.lines, theirs.lines, "{:,.0f}"),
    ]  # fmt: skip
    cells = [list(headers)]
    for label, *values, fmt in rows:
        screen, usual = values[2], values[3]
        ratio = screen / usual if usual else float("nan")
        cells.append([label, *(fmt.format(v) for v in values), f"{ratio:.2f}"])
    _print_cells(cells)
    print("\n'in widget' = handed to the LogView; 'on screen' = the row showing the line "
          "rendered in a screen update (only the lines on screen at a frame are drawn, so this "
          "lag is theirs). A batch larger than the view keeps (10,000 lines) hands over only "
          "its newest lines: those skipped are missing from 'lines received' (they are in "
          "the file; the viewer shows the newest). Goal: on-screen lag under 250 ms.")  # fmt: skip


def _print_cells(cells: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip


def _table(headers: tuple[str, ...], rows: list[tuple]) -> None:
    cells = [list(headers)]
    for label, ours, theirs, fmt in rows:
        ratio = ours / theirs if theirs else float("nan")
        cells.append([label, fmt.format(ours), fmt.format(theirs), f"{ratio:.2f}"])
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    sys.exit(main())
