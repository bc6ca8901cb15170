"""The channel budget against a real sshd with OpenSSH's default MaxSessions (10).

More threads than MaxSessions share one host: they must all succeed over one connection,
waiting for a channel instead of being refused or opening a second connection.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest

from console.hosts.ssh.connection import MAX_CHANNELS
from console.hosts.ssh.host import ConnectionPool, SshHost
from tests.fixtures.sshd import SshMaterial, SshServer, start_sshd, stop_sshd
from tests.integration.test_jobs import wait_until

MAX_SESSIONS = 10  # sshd's default
THREADS = 16


@pytest.fixture(scope="module")
def default_sshd(ssh_material: SshMaterial) -> Iterator[SshServer]:
    """An sshd like the shared one, but with MaxSessions back at OpenSSH's default."""
    server = start_sshd(ssh_material, "maxsessions")
    try:
        config = ssh_material.directory / "maxsessions_sshd_config"
        text = config.read_text()
        assert "MaxSessions 30" in text
        config.write_text(text.replace("MaxSessions 30", f"MaxSessions {MAX_SESSIONS}"))
        # sshd -D re-executes itself with the new configuration on SIGHUP.
        os.kill(server.process.pid, signal.SIGHUP)
        wait_until(lambda: server.log().count("Server listening on") >= 2, "sshd to restart")
        wait_until(lambda: _answers(server.port), "sshd to answer again")
        yield server
    finally:
        stop_sshd(server)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(64).startswith(b"SSH-2.0")
    except OSError:
        return False


@pytest.fixture
def make_host(tmp_path: Path, ssh_material: SshMaterial, default_sshd: SshServer):
    """``make_host(pool)``: an SshHost on the MaxSessions 10 server; pools closed at the end."""
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host sessions10\n    HostName 127.0.0.1\n    Port {default_sshd.port}\n"
        f"    User {ssh_material.user}\n    IdentityFile {ssh_material.client_key}\n"
        "    IdentitiesOnly yes\n"
    )
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(default_sshd.known_hosts_line())
    pools: list[ConnectionPool] = []

    def make(pool: ConnectionPool) -> SshHost:
        pools.append(pool)
        return SshHost(
            "sessions10", config_path=str(config), known_hosts_path=str(known_hosts), pool=pool
        )

    yield make
    for pool in pools:
        pool.close_all()


def _gated_command(go: str, started: str) -> list[str]:
    """Prints the client side of the connection, marks itself started, then waits for ``go``
    (so the commands overlap for as long as the test needs)."""
    script = 'echo "$SSH_CONNECTION"; : > "$2"; while [ ! -e "$1" ]; do sleep 0.05; done; echo done'
    return ["sh", "-c", script, "sh", go, started]


def _run_gated_threads(host: SshHost, workdir: str, ready: Callable[[], bool], what: str):
    """THREADS threads each run a gated command then an SFTP stat; ``go`` is given once
    ``ready()``. Returns (results, errors)."""
    go = f"{workdir}/go"
    results: list = []
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            results.append(host.run(_gated_command(go, f"{workdir}/started-{index}"), timeout=120))
            assert host.stat(f"{workdir}/started-{index}").size == 0
        except BaseException as exc:  # noqa: BLE001 - collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: errors or ready(), what, 60)
    finally:
        Path(go).touch()  # the sshd is on this machine: no channel needed to say go
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def _client_ports(results) -> set[str]:
    return {result.stdout.split()[1] for result in results}


def test_the_server_refuses_sessions_beyond_max_sessions(make_host):
    """The control: on one raw transport, the 11th session channel is refused."""
    pool = ConnectionPool()
    host = make_host(pool)
    transport = pool.connection(host.target, host.known_hosts_path).transport()
    channels = []
    try:
        for _ in range(MAX_SESSIONS):
            channel = transport.open_session()
            channel.exec_command("sleep 30")
            channels.append(channel)
        with pytest.raises(paramiko.ChannelException):
            transport.open_session()
    finally:
        for channel in channels:
            channel.close()


def _refusals(server: SshServer) -> int:
    return server.log().count("no more sessions")


def test_more_commands_than_max_sessions_wait_for_a_channel_on_one_connection(
    make_host,
):
    pool = ConnectionPool()
    host = make_host(pool)
    connection = pool.connection(host.target, host.known_hosts_path)
    workdir = host.expand(f"~/channels-{os.getpid()}-{time.monotonic_ns()}")
    host.makedirs(workdir)
    try:
        results, errors = _run_gated_threads(
            host,
            workdir,
            lambda: connection.most_channels_open >= MAX_CHANNELS,
            "the whole channel budget to be in use",
        )
        assert errors == []
        assert len(results) == THREADS
        assert all(result.ok and result.stdout.endswith(b"done\n") for result in results)
        assert len(_client_ports(results)) == 1  # one connection carried every command
        # Never more channels open than the budget: the 16 threads took turns.
        assert connection.most_channels_open == MAX_CHANNELS
    finally:
        host.run(["rm", "-rf", "--", workdir])


def test_a_budget_above_max_sessions_retries_refused_channels_on_the_same_connection(
    make_host, default_sshd
):
    """A server whose MaxSessions is below the budget refuses channels: they are retried on
    the same connection once one of ours closes, never on a second connection."""
    pool = ConnectionPool(max_channels=THREADS)
    host = make_host(pool)
    workdir = host.expand(f"~/refused-{os.getpid()}-{time.monotonic_ns()}")
    host.makedirs(workdir)
    refusals_before = _refusals(default_sshd)
    try:
        results, errors = _run_gated_threads(
            host,
            workdir,
            lambda: _refusals(default_sshd) > refusals_before,
            "sshd to refuse a channel",
        )
        assert errors == []
        assert len(results) == THREADS
        assert all(result.ok and result.stdout.endswith(b"done\n") for result in results)
        assert len(_client_ports(results)) == 1
    finally:
        host.run(["rm", "-rf", "--", workdir])


def test_an_idle_sftp_session_gives_its_channel_to_a_command(make_host):
    """With a budget of 2, an idle SFTP session must not keep a second command waiting."""
    pool = ConnectionPool(max_channels=2)
    host = make_host(pool)
    workdir = host.expand(f"~/idle-sftp-{os.getpid()}-{time.monotonic_ns()}")
    host.makedirs(workdir)  # leaves one SFTP session open, and idle
    go = Path(workdir, "go")
    results: list = []
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            results.append(host.run(_gated_command(str(go), f"{workdir}/started-{index}")))
        except BaseException as exc:  # noqa: BLE001 - collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        # The sshd is on this machine: its files are checked here, without a channel.
        wait_until(
            lambda: errors or all(Path(workdir, f"started-{i}").exists() for i in range(2)),
            "both commands to run at once",
        )
    finally:
        go.touch()
        for thread in threads:
            thread.join(timeout=120)
        host.run(["rm", "-rf", "--", workdir])
    assert errors == []
    assert [result.ok for result in results] == [True, True]


def test_commands_that_end_at_once_never_make_sshd_drop_the_connection(make_host, default_sshd):
    """Closing stdin of a command that has already ended must not reach sshd after the
    channel's CLOSE: sshd drops the whole connection for an EOF naming a freed channel."""
    pool = ConnectionPool()
    host = make_host(pool)
    ports = {_client_port(host)}
    log_before = len(default_sshd.log())
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(40):
                assert host.run(["true"]).ok
                with host.stream(["true"]) as stream:
                    assert list(stream) == []
        except BaseException as exc:  # noqa: BLE001 - collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ports.add(_client_port(host))
    assert errors == []
    assert "nonexistent channel" not in default_sshd.log()[log_before:]
    assert len(ports) == 1


def _client_port(host: SshHost) -> str:
    return host.run(["printenv", "SSH_CONNECTION"]).stdout.split()[1].decode()
