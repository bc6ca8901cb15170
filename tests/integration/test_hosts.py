"""The host interface, run against this machine and a real sshd on loopback.

Both hosts live on this machine, so the tests check what a host did with the real file
system and process table (``os``, ``psutil``), not only through the host's own API.
"""

from __future__ import annotations

import errno
import os
import threading
import time
import types
import uuid
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.errors import CommandTimeoutError, RemoteFileError
from console.hosts import LocalHost
from console.models import FileKind


@pytest.fixture(params=["local", "ssh"])
def host(request: pytest.FixtureRequest, tmp_path: Path):
    """A host and a fresh working directory on it (``host.workdir``, absolute)."""
    if request.param == "local":
        sandbox = tmp_path / "sandbox"
        sandbox.mkdir()
        host = LocalHost(name="sandbox", home=sandbox)
    else:
        host = request.getfixturevalue("ssh_env").host()
    workdir = host.expand(f"~/work-{uuid.uuid4().hex[:10]}")
    host.makedirs(workdir)
    host.workdir = workdir
    yield host
    host.run(["rm", "-rf", "--", workdir])


def _wait_gone(pid: int) -> bool:
    """Whether process ``pid`` ends (or is a zombie) within a generous bound."""
    try:
        process = psutil.Process(pid)
        process.wait(timeout=15)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return process.status() == psutil.STATUS_ZOMBIE
    return True


# --- run ---------------------------------------------------------------------------------


def test_run_returns_exit_code_stdout_and_stderr(host):
    result = host.run(["sh", "-c", "printf out; printf err >&2; exit 3"])
    assert (result.exit_code, result.stdout, result.stderr) == (3, b"out", b"err")
    assert result.argv == ("sh", "-c", "printf out; printf err >&2; exit 3")
    assert not result.ok


def test_run_starts_in_home_by_default_and_in_cwd_when_given(host):
    assert host.run(["pwd"]).stdout.decode().strip() == host.home()
    assert host.run(["pwd"], cwd=host.workdir).stdout.decode().strip() == host.workdir
    assert host.run(["sh", "-c", 'printf %s "$HOME"']).stdout.decode() == host.home()


def test_run_cwd_with_tilde_means_the_host_home(host):
    name = os.path.basename(host.workdir)
    assert host.run(["pwd"], cwd=f"~/{name}").stdout.decode().strip() == host.workdir


def test_run_passes_environment_variables_verbatim(host):
    value = "a b 'c' \"d\" $(e) `f` ; g\nh ü"
    result = host.run(["printenv", "AWSC_VALUE"], env={"AWSC_VALUE": value})
    assert result.stdout == value.encode() + b"\n"


def test_run_rejects_an_environment_name_that_is_not_an_identifier(host):
    with pytest.raises(ValueError, match="A=B"):
        host.run(["true"], env={"A=B": "x"})


def test_run_feeds_stdin_byte_exact(host):
    data = bytes(range(256)) * 4 + "ünïcode\n".encode()
    assert host.run(["cat"], stdin=data).stdout == data


def test_run_with_large_stdin_and_output_does_not_deadlock(host):
    data = os.urandom(3 * 1024 * 1024)
    result = host.run(["cat"], stdin=data, timeout=120)
    assert result.stdout == data


def test_run_without_stdin_sees_end_of_input(host):
    assert host.run(["cat"], timeout=30).stdout == b""


def test_run_missing_command_exits_127(host):
    result = host.run(["awsc-no-such-command"])
    assert result.exit_code == 127
    assert b"awsc-no-such-command" in result.stderr


def test_run_in_missing_directory_names_it(host):
    missing = host.workdir + "/does-not-exist"
    with pytest.raises(RemoteFileError, match="does-not-exist"):
        host.run(["true"], cwd=missing)


@pytest.mark.slow
def test_run_timeout_kills_the_command_and_its_children(host):
    pidfile = host.workdir + "/pids"
    script = f'sleep 300 & echo "$$ $!" > {pidfile}; wait'
    with pytest.raises(CommandTimeoutError, match="sleep|sh"):
        host.run(["sh", "-c", script], timeout=3)
    shell_pid, sleep_pid = (int(p) for p in Path(pidfile).read_text().split())
    assert _wait_gone(shell_pid)
    assert _wait_gone(sleep_pid)


# --- stream ------------------------------------------------------------------------------


def test_stream_delivers_output_before_the_command_ends(host):
    gate = host.workdir + "/gate"
    script = f"echo first; while [ ! -e {gate} ]; do sleep 0.05; done; echo second"
    with host.stream(["sh", "-c", script]) as stream:
        chunks = iter(stream)
        # The command cannot print "second" until the gate exists, so receiving "first"
        # proves output arrives while the command still runs.
        assert next(chunks) == b"first\n"
        Path(gate).touch()
        assert b"".join(chunks) == b"second\n"
    assert stream.exit_code == 0


def test_stream_reports_the_exit_code_and_keeps_stderr(host):
    stream = host.stream(["sh", "-c", "echo a; echo oops >&2; exit 4"])
    assert b"".join(stream) == b"a\n"
    assert stream.exit_code == 4
    assert stream.stderr == b"oops\n"


def test_stream_cancel_stops_the_command(host):
    pidfile = host.workdir + "/pid"
    cancel = threading.Event()
    script = f"echo $$ > {pidfile}; while true; do echo tick; sleep 0.05; done"
    stream = host.stream(["sh", "-c", script], cancel=cancel)
    received = b""
    for chunk in stream:
        received += chunk
        if received.count(b"tick") >= 3:
            cancel.set()
    assert stream.exit_code is None
    assert _wait_gone(int(Path(pidfile).read_text()))


def test_stream_close_from_another_thread_ends_a_silent_stream(host):
    pidfile = host.workdir + "/pid"
    stream = host.stream(["sh", "-c", f"echo $$ > {pidfile}; exec sleep 300"])
    finished = threading.Event()
    received: list[bytes] = []

    def consume() -> None:
        received.extend(stream)
        finished.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    pid_path = Path(pidfile)
    while not pid_path.exists() or not pid_path.read_text().strip():
        assert consumer.is_alive()
        threading.Event().wait(0.05)
    stream.close()
    consumer.join(timeout=30)
    assert finished.is_set()
    assert received == []
    assert stream.exit_code is None
    assert _wait_gone(int(pid_path.read_text()))
    stream.close()  # a second close is harmless


def test_a_close_landing_just_before_the_ssh_stream_waits_ends_it_quietly(ssh_env, monkeypatch):
    """The GPU monitor's stream was closed by its stop from another thread between the
    reader's "stopped?" check and its wait on the channel: the wait met the closed channel's
    descriptor (EBADF) and the reader's thread died with it. Here the close is made to land
    exactly there; the stream ends with nothing, as any stopped stream does."""
    import select as select_module

    from console.hosts.ssh import host as ssh_host

    host = ssh_env.host()
    stream = host.stream(["sh", "-c", "exec sleep 300"])
    landed: list[bool] = []

    def close_then_wait(read, write, error, timeout):
        if landed:
            return select_module.select(read, write, error, timeout)
        landed.append(True)
        # select() takes the channel's descriptor, then waits on it: the stop closes the
        # channel between the two, as it did on the other thread
        descriptors = [channel.fileno() for channel in read]
        stream.close()
        return select_module.select(descriptors, write, error, timeout)

    monkeypatch.setattr(ssh_host, "select", types.SimpleNamespace(select=close_then_wait))

    assert list(stream) == []
    assert landed and stream.exit_code is None


def test_stream_cancel_works_after_the_command_closed_its_stdout(host):
    pidfile = Path(host.workdir + "/pid")
    cancel = threading.Event()
    # stdout ends first, the command goes on: the consumer is left waiting for it to exit.
    script = f"echo hi; exec >&-; echo $$ > {pidfile}; exec sleep 300"
    stream = host.stream(["sh", "-c", script], cancel=cancel)
    received: list[bytes] = []
    consumer = threading.Thread(target=lambda: received.extend(stream))
    consumer.start()
    # cancel only once the consumer holds what was written and stdout is closed (a cancel
    # drops what nobody has read yet)
    deadline = time.monotonic() + 30
    while not received or not pidfile.exists() or not pidfile.read_text().strip():
        assert consumer.is_alive() and time.monotonic() < deadline
        threading.Event().wait(0.05)
    cancel.set()
    consumer.join(timeout=30)
    assert not consumer.is_alive()
    assert received == [b"hi\n"]
    assert stream.exit_code is None
    assert _wait_gone(int(pidfile.read_text()))


def test_a_stream_closed_before_anyone_reads_it_gives_nothing(host):
    stream = host.stream(["sh", "-c", "echo never-read; exec sleep 300"])
    stream.close()
    assert list(stream) == []
    assert stream.exit_code is None


def test_stream_in_missing_directory_names_it(host):
    missing = host.workdir + "/nowhere"
    with pytest.raises(RemoteFileError, match="nowhere"):
        list(host.stream(["true"], cwd=missing))


# --- files -------------------------------------------------------------------------------


def test_write_then_read_ranges(host):
    path = host.workdir + "/data.bin"
    data = bytes(range(256)) * 1000
    host.write(path, data)
    assert Path(path).read_bytes() == data
    assert host.read_range(path) == data
    assert host.read_range(path, 10, 5) == data[10:15]
    assert host.read_range(path, 255_990) == data[255_990:]
    assert host.read_range(path, 255_990, 100) == data[255_990:]
    assert host.read_range(path, len(data)) == b""
    assert host.read_range(path, len(data) + 50, 10) == b""
    assert host.read_range(path, 0, 0) == b""


def test_read_range_of_a_file_that_says_zero_bytes_reads_its_text(host):
    # /proc files report size 0 and still hold text (mounts, meminfo): read to the end
    text = host.read_range("/proc/meminfo")
    assert text.startswith(b"MemTotal:")
    assert host.read_range("/proc/meminfo", 0, 9) == b"MemTotal:"
    assert host.read_range("/proc/meminfo", 3, 5) == b"Total"


def test_read_range_rejects_negative_offsets(host):
    host.write(host.workdir + "/f", b"x")
    with pytest.raises(ValueError):
        host.read_range(host.workdir + "/f", -1)


def test_write_replaces_by_rename_and_leaves_no_temporary_file(host):
    path = host.workdir + "/config.json"
    host.write(path, b"old contents")
    old_inode = os.stat(path).st_ino
    with open(path, "rb") as reader:  # a reader in the middle of the old file
        host.write(path, b"new")
        # An in-place rewrite would change what this open handle reads; a rename does not.
        assert reader.read() == b"old contents"
    assert Path(path).read_bytes() == b"new"
    assert os.stat(path).st_ino != old_inode
    assert os.listdir(host.workdir) == ["config.json"]


def test_write_sets_mode_or_keeps_the_old_one(host):
    path = host.workdir + "/run.sh"
    host.write(path, b"#!/bin/sh\n", mode=0o750)
    assert host.stat(path).mode & 0o777 == 0o750
    host.write(path, b"#!/bin/sh\necho hi\n")
    assert os.stat(path).st_mode & 0o777 == 0o750


def test_write_into_missing_directory_fails_and_creates_nothing(host):
    with pytest.raises(RemoteFileError, match="missing-dir"):
        host.write(host.workdir + "/missing-dir/f", b"x")
    assert os.listdir(host.workdir) == []


def test_write_with_tilde_lands_in_the_home(host):
    name = os.path.basename(host.workdir)
    host.write(f"~/{name}/t.txt", b"tilde")
    assert Path(host.workdir, "t.txt").read_bytes() == b"tilde"


def test_stat_and_listdir_do_not_follow_links(host):
    work = Path(host.workdir)
    host.makedirs(str(work / "sub/deeper"))
    host.write(str(work / "file.txt"), b"12345")
    os.symlink("file.txt", work / "link")
    entries = {entry.name: entry for entry in host.listdir(host.workdir)}
    assert sorted(entries) == ["file.txt", "link", "sub"]
    assert entries["file.txt"].kind == FileKind.FILE
    assert entries["file.txt"].size == 5
    assert entries["file.txt"].path == str(work / "file.txt")
    assert entries["sub"].kind == FileKind.DIRECTORY
    assert entries["link"].kind == FileKind.SYMLINK
    assert host.stat(str(work / "link")).kind == FileKind.SYMLINK
    stat = host.stat(str(work / "file.txt"))
    assert stat.mtime == pytest.approx(os.stat(work / "file.txt").st_mtime, abs=1)


def test_missing_file_errors_name_the_path_and_keep_errno(host):
    missing = host.workdir + "/ghost.txt"
    for operation in (host.stat, host.read_range, host.listdir, host.remove):
        with pytest.raises(RemoteFileError, match="ghost.txt") as caught:
            operation(missing)
        assert caught.value.errno == errno.ENOENT


def test_makedirs_is_idempotent_and_refuses_a_file_in_the_way(host):
    nested = host.workdir + "/a/b/c"
    host.makedirs(nested)
    host.makedirs(nested)
    assert os.path.isdir(nested)
    host.write(host.workdir + "/plain", b"")
    with pytest.raises(RemoteFileError, match="plain"):
        host.makedirs(host.workdir + "/plain/sub")


def test_remove_deletes_a_file_but_not_a_directory(host):
    path = host.workdir + "/gone"
    host.write(path, b"x")
    host.remove(path)
    assert not os.path.exists(path)
    host.makedirs(host.workdir + "/dir")
    with pytest.raises(RemoteFileError, match="dir"):
        host.remove(host.workdir + "/dir")
    assert os.path.isdir(host.workdir + "/dir")


def test_put_and_get_copy_byte_exact_with_progress(host, tmp_path: Path):
    local_dir = tmp_path / "transfer"
    local_dir.mkdir()
    source = local_dir / "model.pt"
    data = os.urandom(3 * 1024 * 1024 + 17)
    source.write_bytes(data)
    source.chmod(0o640)
    calls: list[tuple[int, int]] = []
    remote = host.workdir + "/model.pt"
    host.put(str(source), remote, progress=lambda done, total: calls.append((done, total)))
    assert Path(remote).read_bytes() == data
    assert os.stat(remote).st_mode & 0o777 == 0o640
    assert calls[-1] == (len(data), len(data))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)

    back = local_dir / "back.pt"
    calls.clear()
    host.get(remote, str(back), progress=lambda done, total: calls.append((done, total)))
    assert back.read_bytes() == data
    assert calls[-1] == (len(data), len(data))
    assert sorted(os.listdir(local_dir)) == ["back.pt", "model.pt"]
    assert os.listdir(host.workdir) == ["model.pt"]


def test_get_of_a_missing_file_leaves_nothing_behind(host, tmp_path: Path):
    with pytest.raises(RemoteFileError, match="absent.bin"):
        host.get(host.workdir + "/absent.bin", str(tmp_path / "out.bin"))
    assert not any(name.startswith((".out.bin", "out.bin")) for name in os.listdir(tmp_path))


def test_put_of_a_missing_local_file_names_it(host, tmp_path: Path):
    with pytest.raises(RemoteFileError, match="nothing-here"):
        host.put(str(tmp_path / "nothing-here"), host.workdir + "/x")
    assert os.listdir(host.workdir) == []


# --- hostile arguments -------------------------------------------------------------------

# Fragments that would run ``touch CANARY`` if any layer pasted an argument into a shell line.
_INJECTIONS = [
    "$(touch {canary})",
    "`touch {canary}`",
    "; touch {canary}",
    "&& touch {canary}",
    "| touch {canary}",
    "\ntouch {canary}\n",
    "'; touch {canary}; '",
    '"; touch {canary}; "',
    "$(IFS=_;cmd=touch_{canary};$cmd)",
    "\\'; touch {canary} #",
]
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=30
)


@st.composite
def _hostile_arguments(draw) -> list[str]:
    def one() -> st.SearchStrategy[str]:
        injection = st.sampled_from(_INJECTIONS)
        return st.one_of(_text, injection, st.tuples(_text, injection, _text).map("".join))

    return draw(st.lists(one(), min_size=1, max_size=6))


def _canary(host) -> str:
    return host.workdir + "/CANARY"


def test_the_canary_payloads_are_live_when_pasted_into_a_shell(host):
    """Positive control: the injections really create the canary when a shell runs them, so
    their absence below means the arguments were quoted, not that the payloads are duds."""
    canary = _canary(host)
    for payload in _INJECTIONS[:6]:
        host.run(["sh", "-c", "echo " + payload.format(canary=canary)])
        assert os.path.exists(canary), payload
        os.remove(canary)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(template=_hostile_arguments())
def test_hostile_arguments_round_trip_byte_exact(host, template: list[str]):
    canary = _canary(host)
    arguments = [arg.replace("{canary}", canary) for arg in template]
    result = host.run(["printf", "%s\\0", *arguments])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"".join(arg.encode("utf-8") + b"\0" for arg in arguments)
    assert not os.path.exists(canary)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.one_of(_text, st.sampled_from(_INJECTIONS)).filter(
        lambda n: n.strip() not in ("", ".", "..") and "/" not in n and len(n.encode()) < 200
    ),
    value=st.one_of(_text, st.sampled_from(_INJECTIONS)),
)
def test_hostile_cwd_and_environment_round_trip(host, name: str, value: str):
    canary = _canary(host)
    name = name.replace("{canary}", "CANARY")
    value = value.replace("{canary}", canary)
    directory = os.path.join(host.workdir, name)
    host.makedirs(directory)
    result = host.run(
        ["sh", "-c", 'printf "%s\\0%s" "$PWD" "$AWSC_V"'], cwd=directory, env={"AWSC_V": value}
    )
    assert result.stdout == directory.encode() + b"\0" + value.encode()
    assert not os.path.exists(canary)
