"""SshHost against the OpenSSH command-line tools, on a real sshd on loopback.

    sudo .venv/bin/python bench/ssh_transfer.py [--size-mib 64] [--commands 30] [--rtt-ms 40]

Starts its own sshd (as the tests do; needs root for the test user) and prints one table:
transfers (``put``/``get`` vs ``scp``), short commands (one pooled connection vs a new
``ssh`` process per command), and ``stat`` calls from 8 threads with the SFTP session pool
vs one session (what a single SFTP client behind a lock gives). Loopback hides the round
trip to a real instance, so the command and ``stat`` rows also run through a relay that
delays every packet by half of ``--rtt-ms`` each way.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.hosts.ssh import connection as sshconnection  # noqa: E402
from console.hosts.ssh.host import ConnectionPool, SshHost  # noqa: E402
from tests.fixtures.sshd import (  # noqa: E402
    create_material,
    start_sshd,
    stop_sshd,
    write_ssh_config,
)


def timed(action: Callable[[], object], repeat: int = 3) -> float:
    """Best of ``repeat`` wall-clock runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


class LatencyRelay:
    """127.0.0.1:port -> the sshd, delivering every chunk ``delay`` seconds after it arrived
    (in order, without limiting throughput): a stand-in for the round trip to an instance."""

    def __init__(self, target_port: int, delay: float):
        self.target_port = target_port
        self.delay = delay
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
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
                pending: queue.Queue = queue.Queue()
                threading.Thread(target=self._read, args=(src, pending), daemon=True).start()
                threading.Thread(target=self._deliver, args=(dst, pending), daemon=True).start()

    def _read(self, src: socket.socket, pending: queue.Queue) -> None:
        try:
            while data := src.recv(65536):
                pending.put((time.monotonic() + self.delay, data))
        except OSError:
            pass
        pending.put((0.0, b""))

    def _deliver(self, dst: socket.socket, pending: queue.Queue) -> None:
        while True:
            due, data = pending.get()
            if not data:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--commands", type=int, default=30)
    parser.add_argument("--stats", type=int, default=25, help="stat calls per thread")
    parser.add_argument("--rtt-ms", type=float, default=40.0, help="round trip of the slow link")
    args = parser.parse_args()

    material = create_material()
    server = start_sshd(material, "bench")
    relay = LatencyRelay(server.port, args.rtt_ms / 2000)
    work = Path(tempfile.mkdtemp(prefix="awsc-bench-"))
    try:
        config = work / "ssh_config"
        write_ssh_config(config, material, server, server)
        with config.open("a") as handle:
            handle.write(
                f"\nHost laghost\n    HostName 127.0.0.1\n    Port {relay.port}\n"
                f"    User {material.user}\n    IdentityFile {material.client_key}\n"
                "    IdentitiesOnly yes\n"
            )
        known_hosts = work / "known_hosts"
        key_type, key_base64 = server.public_key()
        known_hosts.write_text(
            server.known_hosts_line() + f"[127.0.0.1]:{relay.port} {key_type} {key_base64}\n"
        )
        ssh_options = [
            "-F", str(config), "-o", f"UserKnownHostsFile={known_hosts}", "-o", "BatchMode=yes",
        ]  # fmt: skip
        rows = run_benchmarks(args, material, config, known_hosts, ssh_options, work)
    finally:
        relay.close()
        stop_sshd(server)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(material.directory, ignore_errors=True)

    print(f"{'operation':<48} {'ours':>9} {'usual':>9} {'ratio':>7}  usual = ")
    for name, ours, theirs, tool in rows:
        print(f"{name:<48} {ours:>8.3f}s {theirs:>8.3f}s {theirs / ours:>6.2f}x  {tool}")
    print("ratio = usual time / ours (above 1: ours is faster); best of 3 for transfers")


def run_benchmarks(args, material, config, known_hosts, ssh_options, work):
    def make_host(alias: str) -> SshHost:
        return SshHost(
            alias, config_path=str(config), known_hosts_path=str(known_hosts), pool=ConnectionPool()
        )

    host, lag = make_host("testhost"), make_host("laghost")
    remote_dir = f"{material.user_home}/bench-{os.getpid()}"
    host.makedirs(remote_dir)
    source = work / "payload.bin"
    source.write_bytes(os.urandom(args.size_mib * 1024 * 1024))
    back = work / "back.bin"
    rtt = f"RTT {args.rtt_ms:g} ms"
    rows = []

    def scp(*paths: str) -> None:
        subprocess.run(["scp", "-q", *ssh_options, *paths], check=True)

    try:
        ours = timed(lambda: host.put(str(source), f"{remote_dir}/ours.bin"))
        theirs = timed(lambda: scp(str(source), f"testhost:{remote_dir}/scp.bin"))
        rows.append((f"upload {args.size_mib} MiB, loopback", ours, theirs, "scp"))

        ours = timed(lambda: host.get(f"{remote_dir}/ours.bin", str(back)))
        theirs = timed(lambda: scp(f"testhost:{remote_dir}/scp.bin", str(back)))
        rows.append((f"download {args.size_mib} MiB, loopback", ours, theirs, "scp"))

        count = args.commands
        for alias, target, link in (("testhost", host, "loopback"), ("laghost", lag, rtt)):
            target.run(["true"])  # connected once, as in the console
            ours = timed(lambda t=target: [t.run(["true"]) for _ in range(count)], repeat=1)
            theirs = timed(
                lambda a=alias: [
                    subprocess.run(["ssh", *ssh_options, a, "true"], check=True)
                    for _ in range(count)
                ],
                repeat=1,
            )
            rows.append(
                (f"{count} short commands, {link}", ours, theirs, "a new `ssh HOST true` each")
            )
            # The fairer rival: OpenSSH multiplexing over one master connection.
            control = [
                "-o", "ControlMaster=auto", "-o", f"ControlPath={work}/cm-%C",
                "-o", "ControlPersist=60",
            ]  # fmt: skip
            subprocess.run(["ssh", *ssh_options, *control, alias, "true"], check=True)
            theirs = timed(
                lambda a=alias, c=control: [
                    subprocess.run(["ssh", *ssh_options, *c, a, "true"], check=True)
                    for _ in range(count)
                ],
                repeat=1,
            )
            subprocess.run(
                ["ssh", *ssh_options, *control, "-O", "exit", alias], capture_output=True
            )
            rows.append((f"{count} short commands, {link}", ours, theirs, "`ssh` + ControlMaster"))

        def stats() -> None:
            def worker() -> None:
                for _ in range(args.stats):
                    lag.stat(remote_dir)

            threads = [threading.Thread(target=worker) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        pooled = timed(stats, repeat=2)
        sessions = sshconnection.SFTP_SESSIONS
        lag.close()
        sshconnection.SFTP_SESSIONS = (
            1  # one SFTP client: what one shared client behind a lock gives
        )
        try:
            single = timed(stats, repeat=2)
        finally:
            sshconnection.SFTP_SESSIONS = sessions
            lag.close()
        rows.append(
            (
                f"8 threads x {args.stats} stat, {rtt}",
                pooled,
                single,
                f"1 SFTP session (ours: {sessions})",
            )
        )
    finally:
        host.run(["rm", "-rf", "--", remote_dir])
        host.close()
        lag.close()
    return rows


if __name__ == "__main__":
    main()
