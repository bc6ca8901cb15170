"""GPU monitoring over SSH: our one long-lived stream against ``watch -n1 nvidia-smi``.

    sudo .venv/bin/python bench/gpu_bench.py [--seconds 20] [--compression both|off|on]
                                            [--recording NAME] [--table NAME]

Starts its own OpenSSH server on 127.0.0.1 (as the tests do: needs root, uses the plain user
``awsc-test``) behind a small TCP relay that counts every byte both ways. Both sides watch the
same 8-GPU host at a 1 s refresh, through the stand-in nvidia-smi (tests/data/bin/nvidia-smi,
replaying recordings; this machine has no GPU):

* ours: ``GpuMonitor`` over ``SshHost`` — one ``nvidia-smi --query-gpu=… -lms 1000`` stream
  plus the compute-apps loop (every 5 s), on one pooled connection;
* theirs: ``ssh -t HOST watch -n1 nvidia-smi`` in a pseudo-terminal (100×60), as people run it
  in a second window.

Measured after the first screen / first frame arrived, over ``--seconds``, scaled to one
minute: CPU seconds spent on the host (every process under sshd for that session: sshd,
shell, watch, each nvidia-smi — reaped children included; /proc counts in 10 ms ticks) and
bytes over the SSH connection. Ratio = theirs / ours (above 1: ours is cheaper).

Two screens, because ``watch`` sends only what changed on the terminal (and SSH compression
gains most from what repeats):
* quiet: the numbers do not change — watch shows the recorded table as is (only its clock
  line changes: watch's best case), our stream replays the 8-GPU recording's two ticks;
* busy: new numbers every second, as on a training machine — watch shows a variant of the
  table whose GPU numbers (fan, temperature, power, memory, utilisation) changed, our stream
  a tick whose utilisation, memory, temperature, power and clock changed; no variant repeats
  within a run. The variants are made here from the recordings (same widths); they are not
  recordings.
The stand-in is a Python script, so its start-up stands in for nvidia-smi's (NVML
initialisation, heavier on real GPUs).

Each screen is measured without and with SSH compression (zlib@openssh.com, which both sides
switch on after the login): ``ssh -o Compression=yes`` for watch, and for ours paramiko's
``Transport.use_compression(True)``, set here through ``SSHClient.connect(compress=True)``
because SshHost has no compression option yet. The host CPU rows include sshd's zlib work;
ours also pays zlib on this side (not counted).
With the default 20 s per run the whole bench takes about 4 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paramiko  # noqa: E402
import psutil  # noqa: E402

from console.gpu import GpuMonitor  # noqa: E402
from console.hosts.ssh.host import ConnectionPool, SshHost  # noqa: E402
from tests.fixtures.sshd import create_material, start_sshd, stop_sshd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "data" / "bin" / "nvidia-smi"
RECORDINGS = ROOT / "tests" / "data" / "nvidia-smi"
ALIAS = "gpubench"


class CountingRelay:
    """127.0.0.1:port -> the sshd; counts the bytes that cross, both directions."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.bytes = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    self.bytes += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def host_cpu_seconds(sshd_pid: int) -> float:
    """CPU time of every process under the sshd listener, with their reaped children."""
    total = 0.0
    for process in psutil.Process(sshd_pid).children(recursive=True):
        try:
            t = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


GPU_ROW = re.compile(r"^\|\s*(?:\d+|N/A)%?\s+\d+C\s")


def busy_variants(table: Path, directory: Path, count: int = 5) -> list[str]:
    """``count`` copies of ``table`` whose GPU rows' numbers changed (widths kept)."""
    rng = random.Random(1)
    lines = table.read_text().splitlines(keepends=True)
    paths = []
    for i in range(count):

        def vary(match: re.Match) -> str:
            digits = match.group(0)
            return (
                str(rng.randrange(10 ** (len(digits) - 1), 10 ** len(digits)))
                if len(digits) > 1
                else digits
            )

        out = [re.sub(r"\d+", vary, ln) if GPU_ROW.match(ln) else ln for ln in lines]
        path = directory / f"busy-{i}.txt"
        path.write_text("".join(out))
        paths.append(str(path))
    return paths


#: (low, high, decimals) of the numbers a training GPU's stream shows changing every second
BUSY_RANGES = {
    "utilization.gpu": (80, 100, 0),
    "utilization.memory": (25, 60, 0),
    "memory.used": (30000, 39000, 0),
    "temperature.gpu": (55, 80, 0),
    "power.draw": (250, 400, 2),
    "clocks.sm": (1200, 1410, 0),
}


def busy_stream_recording(recording: Path, directory: Path, ticks: int) -> Path:
    """A copy of the ``--query-gpu`` recording with ``ticks`` ticks whose changing numbers
    are new every tick (so neither side gains from repeats inside zlib's window)."""
    rng = random.Random(2)
    lines = recording.read_text().splitlines()
    cmd = next(line for line in lines if line.startswith("# cmd:"))
    fields = re.search(r"--query-gpu=(\S+)", cmd)[1].split(",")
    first_tick = []
    for line in (ln for ln in lines if ln.strip() and not ln.startswith("#")):
        cells = line.split(", ")
        if first_tick and cells[0] == first_tick[0][0]:
            break
        first_tick.append(cells)
    out = [cmd, "# made by bench/gpu_bench.py from " + recording.name + ": numbers varied"]
    for _ in range(ticks):
        for cells in first_tick:
            row = list(cells)
            for column, name in enumerate(fields):
                if name in BUSY_RANGES:
                    low, high, decimals = BUSY_RANGES[name]
                    row[column] = f"{rng.uniform(low, high):.{decimals}f}"
            out.append(", ".join(row))
    path = directory / "busy-query-gpu.txt"
    path.write_text("\n".join(out) + "\n")
    return path


def count_runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def measure(
    seconds: float, sshd_pid: int, relay: CountingRelay, log: Path
) -> tuple[float, int, int]:
    cpu0, bytes0, runs0 = host_cpu_seconds(sshd_pid), relay.bytes, count_runs(log)
    time.sleep(seconds)
    return (
        host_cpu_seconds(sshd_pid) - cpu0,
        relay.bytes - bytes0,
        count_runs(log) - runs0,
    )


@contextlib.contextmanager
def paramiko_compression(enabled: bool, negotiated: list[str]):
    """Every paramiko connection made inside asks for compression (or refuses it); what the
    server agreed to is appended to ``negotiated`` once the transport is up."""
    original = paramiko.SSHClient.connect

    def connect(client, *args, **kwargs):
        kwargs["compress"] = enabled  # SSHClient hands it to Transport.use_compression
        result = original(client, *args, **kwargs)
        transport = client.get_transport()
        negotiated.append(f"{transport.local_compression}/{transport.remote_compression}")
        return result

    paramiko.SSHClient.connect = connect
    try:
        yield
    finally:
        paramiko.SSHClient.connect = original


def run_ours(args, config: Path, known_hosts: Path, smi: Path, sshd_pid, relay, log, compress):
    negotiated: list[str] = []
    with paramiko_compression(compress, negotiated):
        result = _run_ours(args, config, known_hosts, smi, sshd_pid, relay, log)
    wanted = "zlib@openssh.com" if compress else "none"
    if not negotiated or any(n != f"{wanted}/{wanted}" for n in negotiated):
        raise SystemExit(f"asked for compression {wanted}, the connection got {negotiated}")
    return result


def _run_ours(args, config: Path, known_hosts: Path, smi: Path, sshd_pid, relay, log):
    pool = ConnectionPool()
    host = SshHost(ALIAS, config_path=str(config), known_hosts_path=str(known_hosts), pool=pool)
    first_frame = threading.Event()
    monitor = GpuMonitor(
        host,
        interval_ms=1000,
        nvidia_smi=str(smi),
        on_update=lambda s: s.gpus and first_frame.set(),
    )
    worker = threading.Thread(target=monitor.run, daemon=True)
    worker.start()
    try:
        if not first_frame.wait(60):
            raise SystemExit(f"no GPU frame from our monitor: {monitor.snapshot().state}")
        time.sleep(1.5)  # the stream is up, the first process refresh done
        return measure(args.seconds, sshd_pid, relay, log)
    finally:
        monitor.close()
        worker.join(timeout=10)
        pool.close_all()


def run_watch(args, config: Path, smi: Path, sshd_pid, relay, log, compress):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 100, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    process = subprocess.Popen(
        ["ssh", "-v", "-t", "-F", str(config), "-o", f"Compression={'yes' if compress else 'no'}"]
        + [ALIAS, "watch", "-n1", str(smi)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()
    first_screen = threading.Event()

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            if not first_screen.is_set():
                seen.extend(data)
                if b"NVIDIA-SMI" in seen:
                    first_screen.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not first_screen.wait(60):
            raise SystemExit(f"no screen from watch over ssh: {bytes(seen[-500:])!r}")
        # ssh -v says what was agreed: "kex: server->client cipher: … compression: zlib@…"
        agreed = set(re.findall(rb"kex: \S+ cipher: .* compression: (\S+)", bytes(seen)))
        wanted = b"zlib@openssh.com" if compress else b"none"
        if agreed != {wanted}:
            raise SystemExit(f"watch's ssh asked for compression {wanted!r}, got {agreed}")
        time.sleep(1.5)
        return measure(args.seconds, sshd_pid, relay, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
        os.close(master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per side")
    parser.add_argument(
        "--compression",
        choices=("both", "off", "on"),
        default="both",
        help="measure without SSH compression, with it, or both (default)",
    )
    parser.add_argument("--recording", default="query-gpu_synthetic_8gpu_a100_training.txt")
    parser.add_argument("--table", default="table_gtx1080ti_x8_390.25_processes.txt")
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("--seconds must be positive")

    material = create_material()
    server = start_sshd(material, "gpubench")
    relay = CountingRelay(server.port)
    work = Path(tempfile.mkdtemp(prefix="awsc-gpubench-"))
    work.chmod(0o777)
    try:
        smi = work / "nvidia-smi"
        smi.symlink_to(STANDIN)
        log = work / "runs.log"
        table = RECORDINGS / args.table
        # quiet: the numbers stay as they are; busy: new numbers every second, for as many
        # seconds as a run lasts (start-up included), so nothing repeats while measured
        ticks = int(args.seconds) + 60
        recording = RECORDINGS / args.recording
        screens = {
            "quiet": (recording, [str(table)]),
            "busy": (
                busy_stream_recording(recording, work, ticks),
                busy_variants(table, work, count=ticks),
            ),
        }
        known_hosts = work / "known_hosts"
        key_type, key_base64 = server.public_key()
        known_hosts.write_text(f"[127.0.0.1]:{relay.port} {key_type} {key_base64}\n")
        config = work / "ssh_config"
        config.write_text(
            f"Host {ALIAS}\n    HostName 127.0.0.1\n    Port {relay.port}\n"
            f"    User {material.user}\n    IdentityFile {material.client_key}\n"
            f"    IdentitiesOnly yes\n    UserKnownHostsFile {known_hosts}\n"
            "    StrictHostKeyChecking yes\n"
        )
        results = {}
        modes = {"both": (False, True), "off": (False,), "on": (True,)}[args.compression]
        for screen, (stream_recording, tables) in screens.items():
            (work / "nvidia-smi.json").write_text(
                json.dumps(
                    {
                        "query_gpu": str(stream_recording),
                        "table": tables,
                        "log": str(log),
                    }
                )
            )
            for compress in modes:
                sshd = server.process.pid
                ours = run_ours(args, config, known_hosts, smi, sshd, relay, log, compress)
                theirs = run_watch(args, config, smi, sshd, relay, log, compress)
                results[screen, compress] = (ours, theirs)
    finally:
        relay.close()
        stop_sshd(server)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(material.directory, ignore_errors=True)

    scale = 60.0 / args.seconds
    tick = 0.01 * scale  # the smallest CPU time /proc can tell, per minute
    rows = []
    for (screen, compress), (ours, theirs) in results.items():
        case = f"{screen}, compressed" if compress else screen
        rows += [
            (f"host CPU seconds ({case})", ours[0] * scale, theirs[0] * scale, "{:.2f}", tick),
            (f"bytes over SSH ({case})", ours[1] * scale, theirs[1] * scale, "{:,.0f}", 1),
        ]
        rows.append(
            (f"nvidia-smi started ({case})", ours[2] * scale, theirs[2] * scale, "{:.0f}", 1)
        )
    print(
        f"per minute of monitoring at 1 s refresh, 8 GPUs (measured over {args.seconds:g} s "
        f"per side, screen and compression setting, then scaled to 60 s)"
    )
    header = ("", "ours (one stream)", "watch -n1 nvidia-smi over ssh", "ratio theirs/ours")
    widths = (44, 18, 30, 17)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for name, mine, other, fmt, floor in rows:
        if mine:
            ratio, shown = f"{other / mine:.2f}x", fmt.format(mine)
        elif name.startswith("host CPU"):  # under what /proc can tell: a lower bound
            ratio, shown = (f"> {other / floor:.0f}x" if other else "-"), f"< {fmt.format(floor)}"
        else:
            ratio, shown = (f"{fmt.format(other)} vs none" if other else "-"), "0"
        cells = (name, shown, fmt.format(other), ratio)
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    print_compression_effect(results, scale)


def print_compression_effect(results: dict, scale: float) -> None:
    """Bytes per minute without and with SSH compression, for each side and screen."""
    pairs = [s for s, c in results if c is False and (s, True) in results]
    if not pairs:
        return
    print("\nSSH compression, bytes per minute: off -> on (on/off)")
    for side, name in ((0, "ours"), (1, "watch -n1 nvidia-smi")):
        for screen in pairs:
            off = results[screen, False][side][1] * scale
            on = results[screen, True][side][1] * scale
            cpu_off = results[screen, False][side][0] * scale
            cpu_on = results[screen, True][side][0] * scale
            share = f"{on / off:.2f}" if off else "-"
            print(
                f"  {name:<22}{screen:<7}{off:>12,.0f} -> {on:>12,.0f}  ({share})"
                f"   host CPU s {cpu_off:.2f} -> {cpu_on:.2f}"
            )


if __name__ == "__main__":
    main()
