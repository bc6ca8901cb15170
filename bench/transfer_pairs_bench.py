"""The transfer engine on every pair of sides it copies between, with a folder of small
files (where the cost per file shows) and one bigger file (where the bytes show).

    sudo .venv/bin/python bench/transfer_pairs_bench.py [--files 200] [--file-kib 16]
                                                       [--big-mib 48] [--repeat 3]

Starts its own sshd on loopback (as the tests do; root is needed for the test user) and
moto's standalone server for S3, then times ``TransferEngine.run`` for this machine ->
this machine, this machine <-> host and this machine <-> S3. Every copy is verified
(SHA-256 or S3's checksum) and renamed from a temporary name, as every copy is. Prints one
table: seconds (best of ``--repeat``), files per second and MiB per second.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from console.files.transfer.engine import TransferEngine, TransferSpec  # noqa: E402
from console.hosts.ssh.host import ConnectionPool, SshHost  # noqa: E402
from tests.fixtures.sshd import (  # noqa: E402
    create_material,
    start_sshd,
    stop_sshd,
    write_ssh_config,
)

MIB = 1 << 20


def best_of(repeat: int, prepare: Callable[[], None], action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        prepare()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, help="files in the small-file folder")
    parser.add_argument("--file-kib", type=int, default=16, help="size of each small file")
    parser.add_argument("--big-mib", type=int, default=48, help="size of the one big file")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root (the bench starts sshd for a test user)")
        return 2

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="bench")

    material = create_material()
    server = start_sshd(material, "bench")
    work = Path(tempfile.mkdtemp(prefix="awsc-pairs-bench-"))
    remote = f"{material.user_home}/pairs-bench-{os.getpid()}"
    rows: list[tuple[str, float, int, int]] = []
    try:
        config, known = work / "ssh_config", work / "known_hosts"
        write_ssh_config(config, material, server, server)
        known.write_text(server.known_hosts_line())
        host = SshHost("testhost", config_path=str(config), known_hosts_path=str(known),
                       pool=ConnectionPool())  # fmt: skip
        host.makedirs(remote)
        engine = TransferEngine(lambda name: host, lambda: s3)

        small = work / "small"
        small.mkdir()
        for index in range(args.files):
            (small / f"f{index:05d}.bin").write_bytes(os.urandom(args.file_kib * 1024))
        big = work / "big.bin"
        big.write_bytes(os.urandom(args.big_mib * MIB))
        small_bytes = args.files * args.file_kib * 1024
        engine.run(TransferSpec(str(small), f"testhost:{remote}/small", recursive=True))
        engine.run(TransferSpec(str(big), f"testhost:{remote}/big.bin"))
        engine.run(TransferSpec(str(small), "s3://bench/small", recursive=True))
        engine.run(TransferSpec(str(big), "s3://bench/big.bin"))

        def local_clean() -> None:
            shutil.rmtree(work / "out", ignore_errors=True)
            (work / "out").mkdir()

        def host_clean() -> None:
            host.run(["rm", "-rf", "--", f"{remote}/out"])
            host.makedirs(f"{remote}/out")

        def s3_clean() -> None:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix="out/"):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket="bench", Key=item["Key"])

        out, host_out = str(work / "out") + "/", f"testhost:{remote}/out/"
        cases = [
            ("local -> local", local_clean, str(small), str(big), out),
            ("local -> host", host_clean, str(small), str(big), host_out),
            ("host -> local", local_clean, f"testhost:{remote}/small",
             f"testhost:{remote}/big.bin", out),
            ("local -> S3", s3_clean, str(small), str(big), "s3://bench/out/"),
            ("S3 -> local", local_clean, "s3://bench/small", "s3://bench/big.bin", out),
        ]  # fmt: skip
        host.run(["true"])
        for label, clean, folder, one, destination in cases:
            seconds = best_of(args.repeat, clean, lambda f=folder, d=destination: engine.run(
                TransferSpec(f, d, recursive=True)))  # fmt: skip
            rows.append((f"{label}: {args.files} x {args.file_kib} KiB", seconds, args.files,
                         small_bytes))  # fmt: skip
            seconds = best_of(args.repeat, clean, lambda o=one, d=destination: engine.run(
                TransferSpec(o, d)))  # fmt: skip
            rows.append((f"{label}: 1 x {args.big_mib} MiB", seconds, 1, args.big_mib * MIB))
        host.close()
    finally:
        stop_sshd(server)
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(remote, ignore_errors=True)
        shutil.rmtree(material.directory, ignore_errors=True)

    header = f"{'case':36s} {'seconds':>8s} {'files/s':>9s} {'MiB/s':>8s}"
    print(header)
    print("-" * len(header))
    for case, seconds, files, size in rows:
        print(f"{case:36s} {seconds:8.3f} {files / seconds:9.1f} {size / MIB / seconds:8.1f}")
    print(f"best of {args.repeat}; every copy verified and renamed from a temporary name")
    return 0


if __name__ == "__main__":
    sys.exit(main())
