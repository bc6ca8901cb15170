"""The log follower against real hosts: a growing file, dropped SSH connections, big files."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from console.errors import LogError, RemoteFileError
from console.format.logs import LogBuffer
from console.hosts.local import LocalHost
from console.logs.follower import LogFollower, read_before, read_chunks, read_tail
from console.models import JobSpec
from tests.integration.test_jobs import wait_finished, wait_until

# Writes numbered lines in odd-sized pieces (lines cut in the middle), flushing each piece:
# COUNT lines as fast as it can, or, with COUNT = -1, batches of 500 lines every 5 ms until
# the file STOP exists; prints how many lines it wrote.
WRITER = """
import os, sys, time
path, count = sys.argv[1], int(sys.argv[2])
stop = sys.argv[3] if len(sys.argv) > 3 else None
sizes = [1, 7, 4096, 13, 65536, 3, 500]
i = 0
with open(path, "ab", buffering=0) as out:
    while (i < count) if count >= 0 else not os.path.exists(stop):
        end = i + 500 if count < 0 else min(i + 500, count)
        data = b"".join(b"line %d\\n" % n for n in range(i, end))
        i = end
        k = 0
        while data:
            out.write(data[: sizes[k % len(sizes)]])
            data = data[sizes[k % len(sizes)] :]
            k += 1
        if count < 0:
            time.sleep(0.005)
print(i)
"""


class Collector:
    """Runs a LogFollower in a thread and keeps everything it delivered."""

    def __init__(self, follower: LogFollower):
        self.follower = follower
        self.chunks = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for chunk in self.follower:
                self.chunks.append(chunk)
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def stop(self) -> bytes:
        self.follower.close()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the follower did not stop when closed"
        if self.error:
            raise self.error
        return b"".join(chunk.data for chunk in self.chunks)


def numbered(count: int) -> bytes:
    return b"".join(b"line %d\n" % i for i in range(count))


def shared_dir() -> Path:
    """A folder the sshd test user can read (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="awsc-logs-"))
    path.chmod(0o755)
    return path


def test_follow_a_growing_file_delivers_whole_lines_once(local_host, tmp_path):
    log = tmp_path / "out.log"
    log.write_bytes(b"")
    collector = Collector(LogFollower(local_host, str(log)))
    count = 50_000
    subprocess.run([sys.executable, "-c", WRITER, str(log), str(count)], check=True)
    size = log.stat().st_size
    wait_until(lambda: collector.follower.offset >= size, "the follower to catch up")
    data = collector.stop()

    assert data == numbered(count)
    assert all(chunk.data.endswith(b"\n") for chunk in collector.chunks if chunk.data)
    offsets = [chunk.offset for chunk in collector.chunks]
    assert offsets == sorted(offsets)


def test_follow_from_an_offset_and_show_the_pending_line(local_host, tmp_path):
    log = tmp_path / "out.log"
    log.write_bytes(b"old 1\nold 2\nnew 1\n 10%\r 20%")
    start = len(b"old 1\nold 2\n")
    follower = LogFollower(local_host, str(log), offset=start)
    chunks = []
    for chunk in follower:
        chunks.append(chunk)
        if chunk.pending == b" 10%\r 20%":
            break
    assert b"".join(c.data for c in chunks) == b"new 1\n"
    assert chunks[0].offset == start
    buffer = LogBuffer()
    for chunk in chunks:
        buffer.feed(chunk)
    assert buffer.lines() == ["new 1"] and buffer.pending == " 20%"
    follower.close()


def test_follower_survives_twenty_killed_ssh_connections(ssh_env):
    """Every line exactly once, in order, while the server side is killed 20 times."""
    directory = shared_dir()
    log = directory / "train.log"
    log.write_bytes(b"")
    log.chmod(0o644)
    stop = directory / "stop"
    host = ssh_env.host()
    collector = Collector(LogFollower(host, str(log), retry_delay=0.05))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(log), "-1", str(stop)], stdout=subprocess.PIPE
    )
    try:
        kills = 0
        while kills < 20:
            # Kill only once the follower is attached again and has made progress.
            before = collector.follower.offset
            wait_until(lambda b=before: collector.follower.offset > b, "the follower to progress")
            kills += 1 if ssh_env.server.kill_connections() else 0
        stop.touch()
        count = int(writer.communicate(timeout=60)[0])
        size = log.stat().st_size
        wait_until(lambda: collector.follower.offset >= size, "the follower to catch up", 120)
        data = collector.stop()
    finally:
        writer.kill()
        host.close()
        subprocess.run(["rm", "-rf", str(directory)])

    assert kills == 20
    assert collector.follower.reconnects >= 20
    assert data.count(b"\n") == count
    assert data == numbered(count)


def test_a_big_file_opens_at_its_tail_and_loads_older_parts_on_demand(local_host, tmp_path):
    log = tmp_path / "big.log"
    content = numbered(300_000)  # about 3.6 MB
    log.write_bytes(content + b"partial line being writ")

    window = read_tail(local_host, str(log), max_bytes=64 * 1024)

    assert window.end == len(content)
    assert content.endswith(window.data)
    assert window.data.startswith(b"line ") and content[window.start - 1 : window.start] == b"\n"
    assert len(window.data) <= 64 * 1024
    # Walking backwards to the start rebuilds the file exactly, line boundaries kept.
    parts = [window.data]
    start = window.start
    while start > 0:
        older = read_before(local_host, str(log), start, max_bytes=50_000)
        assert older.end == start and older.start < start
        assert older.start == 0 or content[older.start - 1 : older.start] == b"\n"
        parts.append(older.data)
        start = older.start
    assert b"".join(reversed(parts)) == content
    assert (
        b"".join(c.data for c in read_chunks(local_host, str(log), size=100_000))
        == log.read_bytes()
    )


def test_follow_a_jobs_output_to_its_end(any_jobs):
    script = "import time\nfor i in range(200):\n    print('step', i, flush=True)\n    time.sleep(0.002)\n"
    job = any_jobs.start(JobSpec(command=("python3", "-c", script)))
    collector = Collector(LogFollower(any_jobs.host, job.log_path))
    done = wait_finished(any_jobs, job.id)
    wait_until(lambda: collector.follower.offset >= done.log_size, "the whole log")
    assert collector.stop() == b"".join(b"step %d\n" % i for i in range(200))


@pytest.mark.parametrize("offset", [0, 5])
def test_follower_waits_for_a_file_that_does_not_exist_yet(local_host, tmp_path, offset):
    log = tmp_path / "later.log"
    collector = Collector(LogFollower(local_host, str(log), offset=offset))
    time.sleep(0.2)
    log.write_bytes(b"0123\nhello\n")
    wait_until(lambda: collector.follower.offset >= 11, "the file to be followed")
    assert collector.stop() == b"0123\nhello\n"[offset:]
    os.remove(log)


class SizeWatchingHost(LocalHost):
    """This machine, remembering every size ``stat`` answered (None: no such file), which
    is what the follower saw."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes_seen: list[int | None] = []

    def stat(self, path: str):
        try:
            found = super().stat(path)
        except RemoteFileError:
            self.sizes_seen.append(None)
            raise
        self.sizes_seen.append(found.size)
        return found


def test_follower_from_an_offset_waits_while_a_new_file_is_still_empty(tmp_path):
    """A writer creates the file (empty) and writes later: the follower, started before the
    file existed, must wait for the bytes up to its offset rather than call it truncated."""
    host = SizeWatchingHost()
    log = tmp_path / "later.log"
    collector = Collector(LogFollower(host, str(log), offset=5, retry_delay=0.02))
    wait_until(lambda: None in host.sizes_seen, "the follower to find no file")
    with open(log, "wb", buffering=0) as writer:
        wait_until(lambda: 0 in host.sizes_seen, "the follower to see the empty file")
        writer.write(b"0123\nhello\n")
    wait_until(lambda: collector.follower.offset >= 11, "the file to be followed")
    assert collector.stop() == b"hello\n"


def test_following_an_existing_file_shorter_than_the_offset_is_an_error(local_host, tmp_path):
    log = tmp_path / "short.log"
    log.write_bytes(b"abc")
    with pytest.raises(LogError, match="short.log.*truncated or replaced"):
        next(iter(LogFollower(local_host, str(log), offset=5)))
