"""Transfers between this machine and a real sshd on loopback: files, folders, odd names,
existing-file policies, killed connections, a full disk, cancel."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from console.files.transfer import engine as transfer
from console.files.transfer.endpoints.base import PART_MARK
from console.files.transfer.engine import (
    DiskFullError,
    Policy,
    TransferCancelled,
    TransferEngine,
    TransferError,
    TransferSpec,
)
from console.files.transfer.remote import helper_argv, remote_call
from console.models import TransferState

ODD_NAMES = ["with space.bin", 'it\'s "quoted".bin', "$(touch pwned).bin", "semi;colon `x`.bin"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


@pytest.fixture
def host(ssh_env):
    return ssh_env.host("testhost")


@pytest.fixture
def remote_dir(host):
    """A fresh folder in the test user's home on the ssh host."""
    path = f"{host.home()}/xfer-{uuid.uuid4().hex[:8]}"
    host.makedirs(path)
    yield path
    host.run(["rm", "-rf", "--", path])


@pytest.fixture
def engine(ssh_env, host):
    hosts = {"testhost": host}
    return TransferEngine(lambda name: hosts[name])


def remote_sha256(host, path: str) -> str:
    result = host.run(["sha256sum", "--", path])
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()[0].decode()


def remote_names(host, folder: str) -> list[str]:
    return sorted(entry.name for entry in host.listdir(folder))


@pytest.mark.parametrize("size", [100_000, 40 * 1024 * 1024], ids=["small-sftp", "big-streams"])
def test_file_round_trip_keeps_sha256(engine, host, remote_dir, tmp_path, size):
    source = random_file(tmp_path / "data.bin", size)
    up = engine.run(TransferSpec(str(source), f"testhost:{remote_dir}/"))
    assert up.state is TransferState.DONE and up.verified == "sha256"
    assert remote_sha256(host, f"{remote_dir}/data.bin") == sha256(source)

    back = tmp_path / "back.bin"
    down = engine.run(TransferSpec(f"testhost:{remote_dir}/data.bin", str(back)))
    assert down.state is TransferState.DONE
    assert sha256(back) == sha256(source)
    # no temporary file left on either side
    assert remote_names(host, remote_dir) == ["data.bin"]
    assert not [p.name for p in tmp_path.iterdir() if "awsc-part" in p.name]


def test_folder_round_trip_with_odd_names(engine, host, remote_dir, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub dir").mkdir(parents=True)
    for index, name in enumerate(ODD_NAMES):
        random_file(tree / name, 1000 + index)
        random_file(tree / "sub dir" / name, 2000 + index)
    result = engine.run(TransferSpec(str(tree), f"testhost:{remote_dir}", recursive=True))
    assert result.files_copied == 2 * len(ODD_NAMES)
    assert remote_names(host, f"{remote_dir}/tree") == sorted([*ODD_NAMES, "sub dir"])
    for name in ODD_NAMES:
        assert remote_sha256(host, f"{remote_dir}/tree/sub dir/{name}") == sha256(
            tree / "sub dir" / name
        )
    assert not host.run(["test", "-e", f"{host.home()}/pwned"]).ok

    back = tmp_path / "back"
    back.mkdir()
    engine.run(TransferSpec(f"testhost:{remote_dir}/tree", str(back), recursive=True))
    for name in ODD_NAMES:
        assert sha256(back / "tree" / "sub dir" / name) == sha256(tree / "sub dir" / name)
        assert sha256(back / "tree" / name) == sha256(tree / name)


def test_folder_without_recursive_is_refused(engine, tmp_path, remote_dir):
    (tmp_path / "tree").mkdir()
    with pytest.raises(TransferError, match="use -r"):
        engine.run(TransferSpec(str(tmp_path / "tree"), f"testhost:{remote_dir}"))


def test_missing_source_names_it(engine, remote_dir):
    with pytest.raises(TransferError, match="no-such-file.bin does not exist"):
        engine.run(TransferSpec(f"testhost:{remote_dir}/no-such-file.bin", "/tmp/"))


def test_existing_file_policies(engine, host, remote_dir, tmp_path):
    source = random_file(tmp_path / "data.bin", 5000)
    target = f"testhost:{remote_dir}/data.bin"
    engine.run(TransferSpec(str(source), target))

    identical = engine.run(TransferSpec(str(source), target, policy=Policy.SKIP))
    assert identical.state is TransferState.SKIPPED and identical.files_skipped == 1

    random_file(source, 6000)  # now the local file differs
    with pytest.raises(TransferError, match="already exists and differs"):
        engine.run(TransferSpec(str(source), target, policy=Policy.SKIP))
    assert remote_sha256(host, f"{remote_dir}/data.bin") != sha256(source)

    both = engine.run(TransferSpec(str(source), target, policy=Policy.KEEP_BOTH))
    assert both.written == (f"testhost:{remote_dir}/data (1).bin",)
    assert remote_sha256(host, f"{remote_dir}/data (1).bin") == sha256(source)

    engine.run(TransferSpec(str(source), target, policy=Policy.OVERWRITE))
    assert remote_sha256(host, f"{remote_dir}/data.bin") == sha256(source)
    assert remote_names(host, remote_dir) == ["data (1).bin", "data.bin"]


class FinalNameWatcher:
    """Polls a final path during a transfer: it must be absent or complete, never partial."""

    def __init__(self, check):
        self.check = check
        self.bad: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            problem = self.check()
            if problem:
                self.bad.append(problem)
            time.sleep(0.01)

    def finish(self) -> list[str]:
        self.stop.set()
        self.thread.join()
        return self.bad


class Killer:
    """Kills the server side of every SSH connection from its own thread, each time the
    copy asks for it (after every few MiB of progress), so each kill lands mid-transfer."""

    def __init__(self, server, times: int, step: int):
        self.server = server
        self.times = times
        self.step = step
        self.killed: list[int] = []
        self.mark = 0
        self.lock = threading.Lock()
        self.request = threading.Event()
        self.answered = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            if self.request.wait(0.1):
                self.request.clear()
                victims = self.server.kill_connections()
                if victims:  # between a kill and the reconnect there may be nothing to kill
                    self.killed.append(victims)
                self.answered.set()

    def on_progress(self, progress):
        with self.lock:
            if len(self.killed) >= self.times or progress.bytes_done < self.mark + self.step:
                return
            if progress.bytes_done >= progress.bytes_total:
                return
            self.mark = progress.bytes_done
            self.answered.clear()
            self.request.set()
            self.answered.wait(15)

    def close(self):
        self.stop.set()
        self.thread.join()


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["upload", "download"])
def test_killed_connections_ten_times_still_identical(
    engine, host, remote_dir, tmp_path, ssh_env, direction, monkeypatch
):
    # progress reports often enough for ten kills to land before the copy is over
    monkeypatch.setattr(transfer, "PROGRESS_INTERVAL", 0.02)
    # downloads run faster (ssh writes straight into the file): give the kills more to cut
    # (512 MiB: with the stream count chosen per file, a 256 MiB download could end before
    # the tenth kill on a quiet machine)
    size = (512 if direction == "download" else 128) * 1024 * 1024
    source = random_file(tmp_path / "big.bin", size)
    if direction == "download":
        engine.run(TransferSpec(str(source), f"testhost:{remote_dir}/big.bin"))
        spec = TransferSpec(f"testhost:{remote_dir}/big.bin", str(tmp_path / "copy.bin"))
        final_local = tmp_path / "copy.bin"

        def check():
            if final_local.exists() and final_local.stat().st_size != size:
                return f"partial local file of {final_local.stat().st_size} bytes"
            return None
    else:
        spec = TransferSpec(str(source), f"testhost:{remote_dir}/copy.bin")
        final_remote = f"{remote_dir}/copy.bin"

        def check():
            # the local filesystem is the host's: look directly, without an ssh connection
            if os.path.exists(final_remote) and os.path.getsize(final_remote) != size:
                return f"partial remote file of {os.path.getsize(final_remote)} bytes"
            return None

    watcher = FinalNameWatcher(check)
    killer = Killer(ssh_env.server, times=10, step=3 * 1024 * 1024)
    try:
        result = engine.run(TransferSpec(spec.source, spec.destination), killer.on_progress)
    finally:
        killer.close()
    killed = killer.killed
    assert watcher.finish() == []
    assert len(killed) == 10, f"only {len(killed)} kills landed during the transfer"
    assert result.state is TransferState.DONE and result.resumes >= 10
    if direction == "download":
        assert sha256(tmp_path / "copy.bin") == sha256(source)
    else:
        assert remote_sha256(host, f"{remote_dir}/copy.bin") == sha256(source)
        assert remote_names(host, remote_dir) == ["copy.bin"]


@pytest.fixture
def small_tmpfs(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=1777", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    # tmp_path is 0700 (root): let the ssh test user reach the mount
    for parent in [tmp_path, *tmp_path.parents]:
        if parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o011)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("size", [3 * 1024 * 1024, 24 * 1024 * 1024], ids=["sftp", "streams"])
def test_full_disk_downloading(engine, host, remote_dir, tmp_path, small_tmpfs, size):
    source = random_file(tmp_path / "big.bin", size)
    digest = sha256(source)
    engine.run(TransferSpec(str(source), f"testhost:{remote_dir}/big.bin"))
    with pytest.raises(DiskFullError, match=str(small_tmpfs / "big.bin")):
        engine.run(TransferSpec(f"testhost:{remote_dir}/big.bin", str(small_tmpfs) + "/"))
    assert list(small_tmpfs.iterdir()) == []
    assert remote_sha256(host, f"{remote_dir}/big.bin") == digest


@pytest.mark.parametrize("size", [3 * 1024 * 1024, 24 * 1024 * 1024], ids=["small", "streams"])
def test_full_disk_uploading(engine, tmp_path, small_tmpfs, size):
    source = random_file(tmp_path / "big.bin", size)
    digest = sha256(source)
    with pytest.raises(DiskFullError, match="big.bin"):
        engine.run(TransferSpec(str(source), f"testhost:{small_tmpfs}/"))
    assert list(small_tmpfs.iterdir()) == []
    assert sha256(source) == digest


def test_cancel_leaves_nothing_under_the_final_name(
    engine, host, remote_dir, tmp_path, monkeypatch
):
    # a report on every piece: with timed reports a fast copy can end before the first one
    monkeypatch.setattr(transfer, "PROGRESS_INTERVAL", 0.0)
    source = random_file(tmp_path / "big.bin", 64 * 1024 * 1024)
    cancel = threading.Event()

    def on_progress(progress):
        if progress.bytes_done > 8 * 1024 * 1024:
            cancel.set()
        time.sleep(0.01)

    with pytest.raises(TransferCancelled):
        engine.run(TransferSpec(str(source), f"testhost:{remote_dir}/"), on_progress, cancel=cancel)
    assert remote_names(host, remote_dir) == []


def test_a_stream_starting_after_its_partial_file_was_removed_does_not_create_it(host, remote_dir):
    # the remote end of a stream may start after a cancel removed the partial file (its ssh
    # was killed here, but sshd had already started it): it must fail, not leave the file
    temp = f"{remote_dir}/.big.bin{PART_MARK}late"
    stream = host.run(helper_argv("python3", "write", temp, 0, "existing"), stdin=b"x" * 4096)
    assert stream.exit_code == 3
    assert stream.stdout.decode().startswith(f"error {errno.ENOENT} ")
    assert remote_names(host, remote_dir) == []

    # the copy makes the partial file once, and the streams then write into it
    remote_call(host, "python3", "create", temp)
    stream = host.run(helper_argv("python3", "write", temp, 0, "existing"), stdin=b"x" * 4096)
    assert stream.exit_code == 0, stream.stdout
    assert remote_names(host, remote_dir) == [f".big.bin{PART_MARK}late"]
    assert host.stat(temp).size == 4096


def test_queue_pause_resume_and_overall_progress(engine, host, remote_dir, tmp_path):
    first = random_file(tmp_path / "one.bin", 20 * 1024 * 1024)
    second = random_file(tmp_path / "two.bin", 30_000)
    states: list[TransferState] = []
    handle = engine.submit(
        TransferSpec(str(first), f"testhost:{remote_dir}/"), lambda p: states.append(p.state)
    )
    handle.pause()
    other = engine.submit(TransferSpec(str(second), f"testhost:{remote_dir}/"))
    assert other.result(60).state is TransferState.DONE
    overall = engine.overall()
    assert overall.files_total == 2 and overall.bytes_total == 20 * 1024 * 1024 + 30_000
    handle.resume()
    assert handle.result(120).state is TransferState.DONE
    assert TransferState.PAUSED in states
    assert remote_sha256(host, f"{remote_dir}/one.bin") == sha256(first)
    assert engine.overall().bytes_done == engine.overall().bytes_total


def test_dead_host_is_a_clear_error_and_nothing_is_written(ssh_env, tmp_path):
    from console.errors import HostUnreachableError

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = ssh_env.host(f"{ssh_env.material.user}@127.0.0.1:{port}")
    engine = TransferEngine(lambda name: dead)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(HostUnreachableError, match=f"127.0.0.1.*{port}"):
        engine.run(TransferSpec("gone:/etc/hostname", str(target) + "/"))
    assert list(target.iterdir()) == []
