"""``awsconsole cp`` (the transfer engine) against OpenSSH ``scp``, same file, same sshd.

    sudo .venv/bin/python bench/transfer_bench.py [--size-mib 256] [--rtt-ms 50] [--repeat 1]
                                                  [--streams N] [--also-streams 1,4,8]
                                                  [--skip-rtt]

Starts its own sshd on loopback (as the tests do; root is needed for the test user), writes
a random file of ``--size-mib`` (1024 for the 1 GiB figure of issue 6) and times, for
upload and download: ``scp`` with its defaults, then ours (verified: SHA-256 computed on
both sides before the rename, as every copy does). Ours picks its stream count itself from
the file size and the measured round trip (``transfer_ssh.choose_streams``; the table says
what it picked) unless ``--streams`` fixes it; ``--also-streams`` adds rows with fixed
counts, to see whether the automatic choice was the right one.

The long-link rows need a round trip of ``--rtt-ms``. First choice: a network namespace
this script creates (``ip netns`` + a veth pair), ``tc qdisc … netem delay`` on both ends
and a second sshd inside the namespace. Where the kernel has no netem (or no namespaces),
it says so and falls back to a relay on loopback that holds every chunk for half the round
trip each way: that reproduces what limits a single SSH stream over distance (its 2 MiB
channel window needs a round trip to refill) but not TCP's own slow start, so treat those
rows as indicative.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.files.transfer.engine import TransferEngine, TransferSpec, measure_rtt  # noqa: E402
from console.files.transfer.ssh_streams import choose_streams  # noqa: E402
from console.hosts.ssh.host import ConnectionPool, SshHost  # noqa: E402
from tests.fixtures.sshd import (  # noqa: E402
    SSHD,
    SshMaterial,
    create_material,
    start_sshd,
    stop_sshd,
)

NETNS = "awsc-bench"
VETH_OUT, VETH_IN = "awsc-bo", "awsc-bi"
NS_ADDR, OUT_ADDR = "10.231.77.2", "10.231.77.1"


def timed(action: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


# --- the delayed link --------------------------------------------------------------------


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True)


class NetemLink:
    """A namespace behind a veth pair with ``netem delay RTT/2`` on both ends."""

    def __init__(self, rtt_ms: float):
        self.rtt_ms = rtt_ms

    def setup(self) -> str | None:
        """None when ready, else why it cannot be done here."""
        if shutil.which("ip") is None or shutil.which("tc") is None:
            return "iproute2 (ip, tc) is not installed: apt-get install iproute2"
        self.teardown()
        half = f"{self.rtt_ms / 2:g}ms"
        steps = [
            ["ip", "netns", "add", NETNS],
            ["ip", "link", "add", VETH_OUT, "type", "veth", "peer", "name", VETH_IN],
            ["ip", "link", "set", VETH_IN, "netns", NETNS],
            ["ip", "addr", "add", f"{OUT_ADDR}/24", "dev", VETH_OUT],
            ["ip", "link", "set", VETH_OUT, "up"],
            ["ip", "netns", "exec", NETNS, "ip", "addr", "add", f"{NS_ADDR}/24", "dev", VETH_IN],
            ["ip", "netns", "exec", NETNS, "ip", "link", "set", VETH_IN, "up"],
            ["ip", "netns", "exec", NETNS, "ip", "link", "set", "lo", "up"],
            ["tc", "qdisc", "add", "dev", VETH_OUT, "root", "netem", "delay", half],
            ["ip", "netns", "exec", NETNS, "tc", "qdisc", "add", "dev", VETH_IN, "root",
             "netem", "delay", half],
        ]  # fmt: skip
        for step in steps:
            done = _run(*step)
            if done.returncode != 0:
                self.teardown()
                return f"`{' '.join(step)}` failed: {done.stderr.strip()}"
        return None

    def teardown(self) -> None:
        _run("ip", "link", "del", VETH_OUT)
        _run("ip", "netns", "del", NETNS)


def start_namespaced_sshd(material: SshMaterial) -> subprocess.Popen:
    """An sshd inside the namespace on NS_ADDR:22, sharing the loopback sshd's keys."""
    directory = material.directory
    config = directory / "netns_sshd_config"
    config.write_text(
        f"ListenAddress {NS_ADDR}\nPort 22\nHostKey {directory}/target_host_ed25519_key\n"
        f"PidFile {directory}/netns.pid\nAuthorizedKeysFile {directory}/authorized_keys\n"
        f"AllowUsers {material.user}\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n"
        "Subsystem sftp internal-sftp\nMaxSessions 30\nMaxStartups 30:30:60\n"
    )
    process = subprocess.Popen(["ip", "netns", "exec", NETNS, SSHD, "-D", "-e", "-f", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((NS_ADDR, 22), timeout=1):
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the sshd in the namespace did not answer")


class DelayRelay:
    """127.0.0.1:port -> target, each chunk delivered ``delay`` s after it arrived."""

    def __init__(self, target_port: int, delay: float):
        self.target_port = target_port
        self.delay = delay
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst in ((client, upstream), (upstream, client)):
                self._pipe(src, dst)

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        pending: deque = deque()
        ready = threading.Condition()

        def read() -> None:
            try:
                while data := src.recv(262144):
                    with ready:
                        pending.append((time.monotonic() + self.delay, data))
                        ready.notify()
            except OSError:
                pass
            with ready:
                pending.append((0.0, b""))
                ready.notify()

        def deliver() -> None:
            while True:
                with ready:
                    while not pending:
                        ready.wait()
                    due, data = pending.popleft()
                if not data:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                try:
                    dst.sendall(data)
                except OSError:
                    return

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=deliver, daemon=True).start()

    def close(self) -> None:
        self.listener.close()


# --- the runs ----------------------------------------------------------------------------


def ssh_world(material: SshMaterial, directory: Path, hostname: str, port: int, key_file: Path):
    config = directory / f"ssh_config_{hostname}_{port}"
    config.write_text(
        f"Host bench\n    HostName {hostname}\n    Port {port}\n    User {material.user}\n"
        f"    IdentityFile {material.client_key}\n    IdentitiesOnly yes\n"
    )
    known = directory / f"known_hosts_{hostname}_{port}"
    key_type, key = key_file.with_suffix(".pub").read_text().split()[:2]
    name = hostname if port == 22 else f"[{hostname}]:{port}"
    known.write_text(f"{name} {key_type} {key}\n")
    return config, known


def measure(label: str, config: Path, known: Path, source: Path, remote_dir: str,
            size_mib: int, repeat: int, streams: int | None,
            also: list[int]) -> list[tuple]:  # fmt: skip
    scp_base = ["scp", "-q", "-F", str(config), "-o", f"UserKnownHostsFile={known}",
                "-o", "BatchMode=yes"]  # fmt: skip
    host = SshHost("bench", config_path=str(config), known_hosts_path=str(known),
                   pool=ConnectionPool())  # fmt: skip
    engine = TransferEngine(lambda name: host)
    local_copy = source.with_name("back.bin")
    host.run(["true"])  # connected, as in the console: the round trip is measured on it
    rtt = measure_rtt(host)
    auto = choose_streams(size_mib << 20, rtt, os.cpu_count() or 1)
    rtt_text = f"{rtt * 1000:.1f} ms" if rtt is not None else "unknown"
    print(f"{label}: measured RTT {rtt_text}, automatic choice {auto} streams", file=sys.stderr)

    def clean() -> None:
        host.run(["rm", "-f", "--", f"{remote_dir}/up.bin", f"{remote_dir}/ours.bin"])
        with contextlib.suppress(FileNotFoundError):
            local_copy.unlink()

    def scp_up() -> None:
        clean()
        subprocess.run([*scp_base, str(source), f"bench:{remote_dir}/up.bin"], check=True)

    def ours_up(streams: int | None) -> None:
        clean()
        engine.run(TransferSpec(str(source), f"bench:{remote_dir}/ours.bin", streams=streams))

    def scp_down() -> None:
        clean()
        subprocess.run([*scp_base, f"bench:{remote_dir}/src.bin", str(local_copy)], check=True)

    def ours_down(streams: int | None) -> None:
        clean()
        engine.run(TransferSpec(f"bench:{remote_dir}/src.bin", str(local_copy), streams=streams))

    rows = []
    chosen = f"{streams} fixed" if streams else f"auto={auto}"
    for what, theirs, ours in (("upload", scp_up, ours_up), ("download", scp_down, ours_down)):
        scp_s = timed(theirs, repeat)
        ours_s = timed(lambda ours=ours: ours(streams), repeat)
        rows.append((f"{label} {what} {size_mib} MiB", chosen, scp_s, ours_s, size_mib))
        for count in also:
            fixed_s = timed(lambda ours=ours, c=count: ours(c), repeat)
            rows.append((f"{label} {what} {size_mib} MiB", f"{count} fixed", scp_s, fixed_s,
                         size_mib))  # fmt: skip
    clean()
    host.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=256, help="file size (1024 = 1 GiB)")
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument(
        "--streams", type=int, default=None, help="ssh streams per file (default: automatic)"
    )
    parser.add_argument(
        "--also-streams",
        default="",
        help="comma-separated fixed stream counts to time as well (e.g. 1,2,4,8)",
    )
    parser.add_argument("--skip-rtt", action="store_true", help="loopback rows only")
    args = parser.parse_args()
    also = [int(part) for part in args.also_streams.split(",") if part.strip()]
    if os.geteuid() != 0:
        print("run as root (the bench starts sshd and may create a network namespace)")
        return 2

    material = create_material()
    server = start_sshd(material, "target")
    work = Path(tempfile.mkdtemp(prefix="awsc-xfer-bench-"))
    rows: list[tuple] = []
    notes: list[str] = []
    remote_dir = f"{material.user_home}/transfer-bench"
    try:
        source = work / "src.bin"
        with open(source, "wb") as handle:
            for _ in range(args.size_mib):
                handle.write(os.urandom(1 << 20))
        subprocess.run(["install", "-d", "-o", material.user, remote_dir], check=True)
        shutil.copy(source, f"{remote_dir}/src.bin")
        os.chmod(f"{remote_dir}/src.bin", 0o644)

        key = material.directory / "target_host_ed25519_key"
        config, known = ssh_world(material, work, "127.0.0.1", server.port, key)
        rows += measure("loopback", config, known, source, remote_dir, args.size_mib,
                        args.repeat, args.streams, also)  # fmt: skip

        if not args.skip_rtt:
            link = NetemLink(args.rtt_ms)
            why = link.setup()
            if why is None:
                sshd = start_namespaced_sshd(material)
                try:
                    config, known = ssh_world(material, work, NS_ADDR, 22, key)
                    rows += measure(
                        f"netem {args.rtt_ms:g} ms RTT", config, known, source, remote_dir,
                        args.size_mib, args.repeat, args.streams, also,
                    )  # fmt: skip
                finally:
                    sshd.kill()
                    link.teardown()
            else:
                notes.append(
                    f"netem is not available here ({why}); the {args.rtt_ms:g} ms rows use a "
                    "user-space relay on loopback that delays each direction by half the RTT "
                    "(SSH window effects yes, TCP slow start no)."
                )
                relay = DelayRelay(server.port, args.rtt_ms / 2000)
                try:
                    config, known = ssh_world(material, work, "127.0.0.1", relay.port, key)
                    # the relay listens on another port: known_hosts must name that port
                    known.write_text(
                        known.read_text().replace(f":{server.port}]", f":{relay.port}]")
                    )
                    rows += measure(
                        f"relay {args.rtt_ms:g} ms RTT", config, known, source, remote_dir,
                        args.size_mib, args.repeat, args.streams, also,
                    )  # fmt: skip
                finally:
                    relay.close()
    finally:
        stop_sshd(server)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(remote_dir, ignore_errors=True)
        shutil.rmtree(material.directory, ignore_errors=True)

    print("\nours: OpenSSH streams, AES-GCM, SHA-256 verified on both sides")
    header = (f"{'case':38s} {'streams':>9s} {'scp s':>8s} {'ours s':>8s} {'scp MiB/s':>10s} "
              f"{'ours MiB/s':>11s} {'ours/scp speed':>15s}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for case, chosen, scp_s, ours_s, mib in rows:
        print(f"{case:38s} {chosen:>9s} {scp_s:8.2f} {ours_s:8.2f} {mib / scp_s:10.1f} "
              f"{mib / ours_s:11.1f} {scp_s / ours_s:14.2f}x")  # fmt: skip
    for note in notes:
        print("note:", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
