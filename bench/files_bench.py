"""Counts and unpack on a host over a real sshd, against the commands they replace.

    .venv/bin/python bench/files_bench.py [--entries N | --flat-dir DIR] [--archives N]
                                          [--images N] [-P N] [--repeat N] [--skip count|unpack]

Starts its own OpenSSH server on 127.0.0.1 (the one the tests use: needs root, creates the
plain user ``awsc-test``), then on that host, same data, same run:

* count: ``awsconsole count HOST:DIR`` (one pooled connection, one python3 on the host)
  against ``ssh HOST 'ls -1 DIR | wc -l'`` (a new connection, as people type it) and the same
  through an already open OpenSSH master connection;
* unpack: ``awsconsole unpack HOST:DIR -P N`` against
  ``find . -name '*.zip' -print0 | xargs -0 -I {} -P N unzip -q -o {} -d DEST`` run with
  ssh, with the same N.

Prints a table with a ratio column (theirs / ours: above 1 means ours is faster). Timings
are the best of ``--repeat`` runs, after one warm-up run of each side (hot page cache).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.files.count.engine import count_on_host  # noqa: E402
from console.files.unpack.runner import unpack_on_host  # noqa: E402
from console.hosts.ssh.host import ConnectionPool, SshHost  # noqa: E402
from console.models import CountOptions
from tests.fixtures import sshd as sshd_fixture  # noqa: E402

ALIAS = "benchhost"


class BenchSsh:
    """A private sshd, a client config naming it ``benchhost``, and the user's home."""

    def __init__(self) -> None:
        material = sshd_fixture.create_material()
        self.user_home = material.user_home
        self.directory = material.directory
        key = material.client_key
        self.server = sshd_fixture.start_sshd(material, "bench")
        self.known_hosts = self.directory / "known_hosts"
        self.known_hosts.write_text(self.server.known_hosts_line())
        self.config = self.directory / "ssh_config"
        self.config.write_text(
            f"Host {ALIAS}\n    HostName 127.0.0.1\n    Port {self.server.port}\n"
            f"    User {sshd_fixture.TEST_USER}\n    IdentityFile {key}\n"
            f"    IdentitiesOnly yes\n    UserKnownHostsFile {self.known_hosts}\n"
            "    StrictHostKeyChecking yes\n"
        )
        self.control = self.directory / "control.sock"
        self.pool = ConnectionPool()
        self.host = SshHost(
            ALIAS,
            config_path=str(self.config),
            known_hosts_path=str(self.known_hosts),
            pool=self.pool,
        )
        self.host.connect()
        #: failed ssh commands (the usual tool's failures are part of the comparison)
        self.failures: list[str] = []

    def ssh(self, command: str, *, master: bool = False) -> str:
        """``ssh -F CONFIG benchhost COMMAND`` (COMMAND is a remote shell line)."""
        argv = ["ssh", "-F", str(self.config)]
        if master:
            argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.control}"]
            argv += ["-o", "ControlPersist=60"]
        result = subprocess.run([*argv, ALIAS, command], capture_output=True, text=True)
        if result.returncode != 0:
            # counted, not fatal: parallel unzips into one folder race on mkdir now and then
            self.failures.append(f"exit {result.returncode}: {result.stderr.strip()[:300]}")
        return result.stdout

    def close(self) -> None:
        subprocess.run(
            [
                "ssh",
                "-F",
                str(self.config),
                "-o",
                f"ControlPath={self.control}",
                "-O",
                "exit",
                ALIAS,
            ],
            capture_output=True,
        )
        self.pool.close_all()
        sshd_fixture.stop_sshd(self.server)
        shutil.rmtree(self.directory, ignore_errors=True)


def best_of(
    repeat: int, action: Callable[[], object], prepare: Callable[[], object] | None = None
) -> tuple[float, object]:
    """The best time of ``repeat`` runs of ``action`` after a warm-up run; ``prepare`` runs
    untimed before each (clearing a destination)."""
    prepare = prepare or (lambda: None)
    prepare()
    action()  # warm-up: page cache, dentries, the ssh master
    best, value = float("inf"), None
    for _ in range(repeat):
        prepare()
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return best, value


def give_to_user(path: Path) -> None:
    shutil.chown(path, sshd_fixture.TEST_USER, sshd_fixture.TEST_USER)


# --- count ---------------------------------------------------------------------------


def make_flat_dir(directory: Path, entries: int) -> None:
    directory.mkdir()
    fd = os.open(directory, os.O_RDONLY)
    try:
        for i in range(entries):
            os.close(os.open(f"img_{i:07d}.jpg", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


def bench_count(
    ssh: BenchSsh, work: Path, entries: int, repeat: int, existing: Path | None = None
) -> list[tuple]:
    if existing is not None:
        # a folder made earlier (a million files take minutes to create on a busy disk)
        directory = existing
        entries = sum(1 for _ in os.scandir(directory))
    else:
        directory = work / "flat"
        print(f"creating {entries:,} entries in {directory} …", file=sys.stderr)
        make_flat_dir(directory, entries)
    remote_line = shlex.join(["ls", "-1", str(directory)]) + " | wc -l"

    fast = CountOptions(with_bytes=False)
    ours_fast, count_fast = best_of(repeat, lambda: count_on_host(ssh.host, str(directory), fast))
    ours_full, count_full = best_of(
        repeat, lambda: count_on_host(ssh.host, str(directory), CountOptions())
    )
    ls_cold, ls_out = best_of(repeat, lambda: ssh.ssh(remote_line))
    ls_warm, _ = best_of(repeat, lambda: ssh.ssh(remote_line, master=True))
    assert count_fast.files == count_full.files == int(ls_out) == entries, (count_fast, ls_out)
    label = f"count {entries:,} entries"
    return [
        (f"{label} (kinds)", ours_fast, "ssh host 'ls -1 DIR | wc -l'", ls_cold),
        (f"{label} (kinds)", ours_fast, "same, ssh master open", ls_warm),
        (f"{label} (+bytes)", ours_full, "ssh host 'ls -1 DIR | wc -l'", ls_cold),
    ]


# --- unpack --------------------------------------------------------------------------


def small_images(count: int) -> list[bytes]:
    """A few real small JPEGs (noise, so they do not compress, like photos)."""
    from PIL import Image

    images = []
    rng = random.Random(7)
    for _ in range(count):
        size = (rng.randint(48, 128), rng.randint(48, 128))
        image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        images.append(buffer.getvalue())
    return images


def make_archives(directory: Path, archives: int, per_archive: int) -> int:
    directory.mkdir()
    pool = small_images(32)
    for a in range(archives):
        with zipfile.ZipFile(directory / f"part_{a:04d}.zip", "w", zipfile.ZIP_DEFLATED) as out:
            for i in range(per_archive):
                out.writestr(f"img/class_{a % 50:02d}/img_{a:04d}_{i:04d}.jpg", pool[(a + i) % 32])
    return archives * per_archive


def bench_unpack(
    ssh: BenchSsh, work: Path, archives: int, per_archive: int, parallel: int, repeat: int
) -> list[tuple]:
    source = work / "archives"
    print(f"creating {archives} zip archives of {per_archive} images …", file=sys.stderr)
    files = make_archives(source, archives, per_archive)
    ours_dest, xargs_dest = work / "out-ours", work / "out-xargs"

    def clear(path: Path) -> Callable[[], object]:
        return lambda: ssh.ssh(shlex.join(["rm", "-rf", str(path)]), master=True)

    def ours() -> object:
        return unpack_on_host(ssh.host, str(source), dest=str(ours_dest), parallel=parallel)

    pipeline = (
        f"cd {shlex.quote(str(source))} && "
        f"find . -name '*.zip' -print0 | xargs -0 -I {{}} -P {parallel} "
        f"unzip -q -o {{}} -d {shlex.quote(str(xargs_dest))}"
    )
    ours_time, result = best_of(repeat, ours, clear(ours_dest))
    ours_files = int(ssh.ssh(f"find {shlex.quote(str(ours_dest))} -type f | wc -l"))
    assert result.files_written == ours_files == files and not result.failures, result
    failed_before = len(ssh.failures)
    theirs_time, _ = best_of(repeat, lambda: ssh.ssh(pipeline), clear(xargs_dest))
    theirs_files = int(ssh.ssh(f"find {shlex.quote(str(xargs_dest))} -type f | wc -l"))
    failed = len(ssh.failures) - failed_before
    if failed or theirs_files != files:
        print(
            f"note: the xargs pipeline failed in {failed} of {repeat + 1} runs "
            f"(last run left {theirs_files:,} of {files:,} files); first error: "
            f"{ssh.failures[failed_before] if failed else '-'}",
            file=sys.stderr,
        )
    label = f"unpack {archives} zips ({files:,} images), P={parallel}"
    tool = f"ssh host 'find | xargs -P {parallel} unzip'"
    return [(label, ours_time, tool, theirs_time)]


def print_table(rows: list[tuple]) -> None:
    header = ("task", "ours s", "usual tool", "theirs s", "ratio")
    lines = [header] + [
        (task, f"{ours:.3f}", tool, f"{theirs:.3f}", f"{theirs / ours:.2f}x")
        for task, ours, tool, theirs in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--entries", type=int, default=200_000, help="flat folder size (issue: 1000000)"
    )
    parser.add_argument(
        "--flat-dir",
        type=Path,
        default=None,
        help="count this existing flat folder instead of creating one (readable by the "
        "bench's ssh user)",
    )
    parser.add_argument("--archives", type=int, default=200)
    parser.add_argument("--images", type=int, default=50, help="images per archive")
    parser.add_argument("-P", "--parallel", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", choices=["count", "unpack"], action="append", default=[])
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("The bench starts sshd and a test user: run it as root.", file=sys.stderr)
        return 2
    ssh = BenchSsh()
    work = Path(tempfile.mkdtemp(prefix="files-bench-", dir=ssh.user_home))
    work.chmod(0o755)
    give_to_user(work)
    rows: list[tuple] = []
    try:
        if "count" not in args.skip:
            rows += bench_count(ssh, work, args.entries, args.repeat, args.flat_dir)
            print_table(rows)  # already worth having if the unpack part fails
        if "unpack" not in args.skip:
            rows += bench_unpack(ssh, work, args.archives, args.images, args.parallel, args.repeat)
    finally:
        print("cleaning up …", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
        ssh.close()
    print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
