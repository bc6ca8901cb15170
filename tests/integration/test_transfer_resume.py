"""A big copy cut off by the console dying (``kill -9``) continues on the next run.

The first run happens in a child process that is killed with SIGKILL (its whole process
group: the ssh streams it started go too) while the copy is under way; the second run, in
this process, must find the partial file, check what had arrived, send only the rest and
end with the source's SHA-256 under the final name — through the real sshd on loopback.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from console.files.transfer.engine import TransferEngine, TransferSpec
from console.files.transfer.resume import PART_MARK, Journal, local_journal_path
from console.models import TransferState

MIB = 1024 * 1024
SIZE = 200 * MIB
REPO = Path(__file__).resolve().parents[2]

#: the first run: the engine in a process of its own, reporting progress as JSON lines;
#: with "slow" every progress report waits a little (uploads: the sending threads report,
#: so the copy runs slower, and the kill lands while bytes are moving); with "pause" the
#: copy pauses itself past a third (downloads: ssh writes the file itself, too fast to
#: catch on loopback) and the kill lands on a paused copy
CHILD = r"""
import json, sys, threading
from console.files.transfer import engine as transfer
from console.files.transfer import resume as transfer_resume
from console.files.transfer.engine import TransferEngine, TransferSpec
from console.hosts.ssh.host import ConnectionPool, SshHost

config, known, source, destination, mode = sys.argv[1:6]
transfer.PROGRESS_INTERVAL = 0.0
transfer_resume.JOURNAL_INTERVAL = 0.1
host = SshHost("testhost", config_path=config, known_hosts_path=known, pool=ConnectionPool())
engine = TransferEngine(lambda name: host)
box = {}
paused = threading.Event()

def report(progress):
    print(json.dumps({"done": progress.bytes_done, "total": progress.bytes_total}), flush=True)
    if mode == "slow":
        threading.Event().wait(0.03)
    elif progress.bytes_total and progress.bytes_done * 3 > progress.bytes_total:
        if not paused.is_set():
            paused.set()
            box["handle"].pause()

box["handle"] = engine.submit(TransferSpec(source, destination, streams=2), report)
box["handle"].result()
print(json.dumps({"finished": True}), flush=True)
"""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(MIB):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def host(ssh_env):
    return ssh_env.host("testhost")


@pytest.fixture
def remote_dir(host, ssh_env):
    """A folder in the test user's home (the sshd runs on this machine: readable here)."""
    path = Path(ssh_env.material.user_home) / f"resume-{uuid.uuid4().hex[:8]}"
    host.makedirs(str(path))
    yield path
    host.run(["rm", "-rf", "--", str(path)])


def journal_of(folder: Path, name: str) -> Journal | None:
    """The journal of the partial file of ``name`` in ``folder``: beside it on the host (an
    upload), in this user's private state folder here (a download)."""
    for entry in folder.iterdir():
        if entry.name.startswith(f".{name}{PART_MARK}") and entry.name.endswith(".ranges"):
            return Journal.from_bytes(entry.read_bytes())
    for entry in folder.iterdir():
        if entry.name.startswith(f".{name}{PART_MARK}"):
            journal = Path(local_journal_path(str(entry)))
            if journal.exists():
                return Journal.from_bytes(journal.read_bytes())
    return None


def partial_files(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir() if PART_MARK in entry.name)


def run_and_kill(ssh_env, source: str, destination: str, mode: str, journal_folder: Path,
                 name: str) -> int:  # fmt: skip
    """Start the child, wait until its journal says a fifth (or more) arrived, kill -9 its
    process group; returns the bytes the journal recorded."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ssh_env.config_path), str(ssh_env.known_hosts_path),
         source, destination, mode],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        arrived = 0
        while time.monotonic() < deadline and child.poll() is None:
            journal = journal_of(journal_folder, name)
            arrived = journal.arrived if journal else 0
            if arrived >= SIZE // 5:
                break
            time.sleep(0.05)
        assert child.poll() is None, (
            "the first run ended before it could be killed: "
            + child.stderr.read().decode(errors="replace")[-2000:]
        )
        assert arrived >= SIZE // 5, "the journal never recorded a fifth of the file"
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    lines = [json.loads(line) for line in child.stdout.read().splitlines() if line.strip()]
    assert not any(line.get("finished") for line in lines)
    return arrived


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["upload", "download"])
def test_a_killed_copy_resumes_on_the_next_run(ssh_env, host, remote_dir, tmp_path, direction):
    source = tmp_path / "big.bin"
    with open(source, "wb") as handle:
        for _ in range(SIZE // MIB):
            handle.write(os.urandom(MIB))
    digest = sha256(source)
    if direction == "upload":
        spec = TransferSpec(str(source), f"testhost:{remote_dir}/copy.bin")
        final, folder, mode = remote_dir / "copy.bin", remote_dir, "slow"
    else:
        host.put(str(source), f"{remote_dir}/big.bin")
        spec = TransferSpec(f"testhost:{remote_dir}/big.bin", str(tmp_path / "copy.bin"))
        final, folder, mode = tmp_path / "copy.bin", tmp_path, "pause"

    arrived = run_and_kill(ssh_env, spec.source, spec.destination, mode, folder, "copy.bin")
    assert not final.exists()
    if direction == "upload":
        assert len(partial_files(folder)) == 2  # the partial file and its journal
    else:  # the partial file; its journal is in the private state folder, not beside it
        [partial] = partial_files(folder)
        journal = Path(local_journal_path(str(folder / partial)))
        assert journal.exists()
        assert journal.parent.stat().st_mode & 0o777 == 0o700

    reports = []
    result = TransferEngine(lambda name: host).run(spec, reports.append)

    assert result.state is TransferState.DONE
    assert sha256(final) == digest
    last = reports[-1]
    assert last.bytes_done == last.bytes_total == SIZE
    # what the killed run had sent was checked and kept, only the rest went again
    assert last.bytes_resumed == result.bytes_resumed >= arrived
    sent_again = SIZE - last.bytes_resumed
    assert 0 < sent_again < SIZE
    print(f"{direction}: killed with {arrived} bytes in the journal; resumed "
          f"{last.bytes_resumed}, sent again {sent_again} of {SIZE}")  # fmt: skip
    assert partial_files(folder) == []
    if direction == "download":
        assert not journal.exists()


@pytest.fixture(autouse=True)
def progress_on_every_piece(monkeypatch):
    """Reports on every piece that arrives, not every 0.2 s: on loopback a 64 MiB copy can end
    between two timed reports, and an interruption "past 30 %" would come after the rename."""
    from console.files.transfer import engine as transfer

    monkeypatch.setattr(transfer, "PROGRESS_INTERVAL", 0.0)


def interrupt_past(fraction: float):
    """A progress callback that stops the console (KeyboardInterrupt, as Ctrl-C in ``cp``)
    once ``fraction`` of the file went."""

    def report(progress):
        if progress.bytes_total and progress.bytes_done > fraction * progress.bytes_total:
            raise KeyboardInterrupt

    return report


def test_a_changed_source_starts_over_and_its_old_partial_goes(host, remote_dir, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(64 * MIB))
    spec = TransferSpec(str(source), f"testhost:{remote_dir}/copy.bin", streams=2)
    engine = TransferEngine(lambda name: host)
    with pytest.raises(KeyboardInterrupt):
        engine.run(spec, interrupt_past(0.3))
    assert journal_of(remote_dir, "copy.bin").arrived > 0

    source.write_bytes(os.urandom(64 * MIB))  # same size, other bytes, a later mtime
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    result = engine.run(spec)

    assert result.state is TransferState.DONE and result.bytes_resumed == 0
    assert sha256(remote_dir / "copy.bin") == sha256(source)
    assert partial_files(remote_dir) == []


def test_what_a_dead_connection_left_of_a_journal_write_goes_with_the_copy(
    host, remote_dir, tmp_path
):
    # a journal is written atomically over SFTP (a temporary name, then a rename); a
    # connection killed mid-write cannot remove the temporary name, ``..NAME…ranges.ID.tmp``
    left = remote_dir / f"..copy.bin{PART_MARK}0123456789abcdef.ranges.404209468c5e.tmp"
    left.write_bytes(b"half a journal")
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(16 * MIB))
    result = TransferEngine(lambda name: host).run(
        TransferSpec(str(source), f"testhost:{remote_dir}/copy.bin", streams=2)
    )
    assert result.state is TransferState.DONE
    assert sorted(p.name for p in remote_dir.iterdir()) == ["copy.bin"]


def test_an_interrupted_download_keeps_its_partial_and_resumes(host, remote_dir, tmp_path):
    source = remote_dir / "big.bin"
    local = tmp_path / "big.bin"
    local.write_bytes(os.urandom(64 * MIB))
    host.put(str(local), str(source))
    spec = TransferSpec(f"testhost:{source}", str(tmp_path / "copy.bin"), streams=2)
    engine = TransferEngine(lambda name: host)
    with pytest.raises(KeyboardInterrupt):
        engine.run(spec, interrupt_past(0.3))
    assert not (tmp_path / "copy.bin").exists()

    result = engine.run(spec)

    assert result.bytes_resumed > 0
    assert sha256(tmp_path / "copy.bin") == sha256(local)
    assert partial_files(tmp_path) == []


def test_the_round_trip_is_measured_on_the_hosts_connection(ssh_env, host):
    import socket

    from console.files.transfer.engine import measure_rtt

    host.run(["true"])
    rtt = measure_rtt(host)
    assert rtt is not None and rtt > 0
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = ssh_env.host(f"{ssh_env.material.user}@127.0.0.1:{port}")
    assert measure_rtt(dead) is None
