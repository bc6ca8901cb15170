"""The SSH connection against real sshd processes: reconnects, jump hosts, threads, agent,
and the errors a person sees for a bad config."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import psutil
import pytest

from console.errors import (
    AuthenticationError,
    HostConfigError,
    HostUnreachableError,
    RemoteFileError,
)
from console.hosts import HostPool
from console.hosts.ssh.connection import SFTP_SESSIONS
from console.hosts.ssh.host import ConnectionPool


def _client_port(host) -> int:
    """The client-side TCP port of the connection the host's commands arrive on."""
    return int(host.run(["printenv", "SSH_CONNECTION"]).stdout.split()[1])


def _socket_owner(local_port: int, remote_port: int) -> int:
    """The pid owning the loopback TCP socket ``local_port`` -> ``remote_port``."""
    for connection in psutil.net_connections(kind="tcp"):
        if (
            connection.laddr
            and connection.raddr
            and connection.laddr.port == local_port
            and connection.raddr.port == remote_port
        ):
            return connection.pid
    raise AssertionError(f"no socket {local_port} -> {remote_port}")


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.NoSuchProcess:
        return []


def _open_local_ports(remote_port: int) -> set[int]:
    """Local ports of this process's established connections to ``remote_port``.

    Other tests of the same run may hold their own connections to the same sshd, so tests
    compare ports they learned themselves instead of counting connections.
    """
    return {
        c.laddr.port
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == remote_port and c.status == psutil.CONN_ESTABLISHED
    }


# --- reconnect ---------------------------------------------------------------------------


def test_command_after_the_server_side_was_killed_reconnects(ssh_env):
    host = ssh_env.host()
    first_port = _client_port(host)
    assert ssh_env.server.kill_connections() > 0
    assert host.run(["echo", "back"]).stdout == b"back\n"
    assert _client_port(host) != first_port


def test_file_operation_after_the_server_side_was_killed_reconnects(ssh_env):
    host = ssh_env.host()
    assert host.stat("~").kind.value == "directory"
    assert ssh_env.server.kill_connections() > 0
    assert host.stat("~").path == host.home()
    assert host.read_range("/etc/hostname") == Path("/etc/hostname").read_bytes()


def test_connection_lost_during_a_command_is_reported_not_hung(ssh_env):
    host = ssh_env.host()
    assert host.run(["true"]).ok
    outcome: list[BaseException | object] = []
    sleep = ["sleep", f"{110 + random.random():.6f}"]  # a command line only this test runs

    def long_command() -> None:
        try:
            outcome.append(host.run(sleep, timeout=100))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            outcome.append(exc)

    worker = threading.Thread(target=long_command)
    worker.start()
    # Wait until this test's remote sleep exists, then pull the plug.
    while not any(_cmdline(p) == sleep for p in ssh_env.server.connection_processes()):
        assert worker.is_alive()
        threading.Event().wait(0.05)
    ssh_env.server.kill_connections()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert isinstance(outcome[0], HostUnreachableError), outcome
    assert host.run(["echo", "again"]).stdout == b"again\n"


# --- ProxyJump ---------------------------------------------------------------------------


def test_proxyjump_goes_through_the_jump_server(ssh_env):
    direct = ssh_env.host("testhost")
    jumped = ssh_env.host("behindjump")
    target_port = ssh_env.server.port
    # Control: a direct connection's client socket belongs to this test process.
    assert _socket_owner(_client_port(direct), target_port) == os.getpid()
    # Through the jump host, the target sees a socket owned by the jump sshd's session.
    owner = _socket_owner(_client_port(jumped), target_port)
    jump_sshd = psutil.Process(ssh_env.jump_server.process.pid)
    assert owner in {p.pid for p in jump_sshd.children(recursive=True)}
    # ...while this process holds the connection to the jump server.
    assert _open_local_ports(ssh_env.jump_server.port)


def test_file_operations_work_through_the_jump_host(ssh_env, tmp_path: Path):
    host = ssh_env.host("behindjump")
    path = host.expand(f"~/jumped-{os.getpid()}.txt")
    try:
        host.write(path, b"via bastion")
        assert host.read_range(path, 4) == b"bastion"
        host.get(path, str(tmp_path / "copy"))
        assert (tmp_path / "copy").read_bytes() == b"via bastion"
    finally:
        host.remove(path)


def test_killed_jump_connection_is_rebuilt_for_the_next_command(ssh_env):
    host = ssh_env.host("behindjump")
    assert host.run(["true"]).ok
    ssh_env.jump_server.kill_connections()
    assert host.run(["echo", "rebuilt"]).stdout == b"rebuilt\n"


# --- sharing and threads -----------------------------------------------------------------


def test_hosts_for_the_same_destination_share_one_connection(ssh_env):
    pool = ConnectionPool()
    first = ssh_env.host("testhost", pool=pool)
    second = ssh_env.host("testhost", pool=pool)
    try:
        assert _client_port(first) == _client_port(second)
    finally:
        pool.close_all()


def test_many_threads_share_one_connection(ssh_env):
    host = ssh_env.host()
    workdir = host.expand(f"~/threads-{os.getpid()}")
    host.makedirs(workdir)
    errors: list[BaseException] = []

    client_ports: set[int] = set()

    def worker(index: int) -> None:
        try:
            for round_ in range(8):
                client_ports.add(_client_port(host))
                text = f"thread {index} round {round_}"
                assert host.run(["printf", "%s", text]).stdout == text.encode()
                path = f"{workdir}/{index}-{round_}"
                host.write(path, text.encode() * 1000)
                assert host.read_range(path, 0, len(text)) == text.encode()
                assert host.stat(path).size == len(text) * 1000
        except BaseException as exc:  # noqa: BLE001 - collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        assert len(host.listdir(workdir)) == 64
        assert len(client_ports) == 1  # every command of every thread came over one connection
    finally:
        host.run(["rm", "-rf", "--", workdir])


def test_host_pool_gives_one_host_per_target_and_closes_all(ssh_env):
    pool = HostPool(
        config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
    )
    try:
        host = pool.get("testhost")
        assert pool.get("testhost") is host
        assert pool.host_for("testhost") is host
        assert pool.get("local") is pool.get("local")
        first_port = _client_port(host)
        pool.close_all()
        assert first_port not in _open_local_ports(ssh_env.server.port)
        assert host.run(["echo", "reopened"]).stdout == b"reopened\n"
        assert _client_port(host) != first_port
    finally:
        pool.close_all()


# --- agent ---------------------------------------------------------------------------------


@pytest.fixture
def ssh_agent(tmp_path: Path, ssh_env, monkeypatch: pytest.MonkeyPatch):
    """A real ssh-agent holding the test key, and a HOME without any key files."""
    socket_path = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)], stdout=subprocess.DEVNULL)
    try:
        while not socket_path.exists():
            assert agent.poll() is None, "ssh-agent exited"
            threading.Event().wait(0.05)
        env = {**os.environ, "SSH_AUTH_SOCK": str(socket_path)}
        subprocess.run(["ssh-add", "-q", str(ssh_env.material.client_key)], env=env, check=True)
        empty_home = tmp_path / "home"
        empty_home.mkdir()
        monkeypatch.setenv("HOME", str(empty_home))
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket_path))
        with ssh_env.config_path.open("a") as config:
            config.write(
                f"\nHost agenthost\n    HostName 127.0.0.1\n    Port {ssh_env.server.port}\n"
                f"    User {ssh_env.material.user}\n"
            )
        yield socket_path
    finally:
        agent.terminate()
        agent.wait()


def test_login_with_a_key_from_ssh_agent(ssh_agent, ssh_env, monkeypatch):
    assert ssh_env.host("agenthost").run(["echo", "agent"]).stdout == b"agent\n"
    # Control: the same host without the agent has no key to offer.
    monkeypatch.delenv("SSH_AUTH_SOCK")
    with pytest.raises(AuthenticationError, match=ssh_env.material.user):
        ssh_env.host("agenthost").run(["true"])


# --- configuration errors ----------------------------------------------------------------


def test_unknown_alias_is_named(ssh_env):
    with pytest.raises(HostConfigError, match="no-such-alias.invalid") as caught:
        ssh_env.host("no-such-alias.invalid")
    assert str(ssh_env.config_path) in str(caught.value)


def test_missing_identity_file_is_named(ssh_env):
    with pytest.raises(HostConfigError, match="no-such-key") as caught:
        ssh_env.host("nokey")
    assert "nokey" in str(caught.value)


def test_missing_config_file_is_named(ssh_env, tmp_path: Path):
    from console.hosts import SshHost

    with pytest.raises(HostConfigError, match="absent_config"):
        SshHost("testhost", config_path=str(tmp_path / "absent_config"))


def test_dead_port_is_unreachable(ssh_env):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    with ssh_env.config_path.open("a") as config:
        config.write(f"\nHost deadhost\n    HostName 127.0.0.1\n    Port {dead_port}\n")
    with pytest.raises(HostUnreachableError, match=str(dead_port)):
        ssh_env.host("deadhost").run(["true"])


def test_key_the_server_does_not_accept_is_an_authentication_error(ssh_env, tmp_path: Path):
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    with ssh_env.config_path.open("a") as config:
        config.write(
            f"\nHost strangerhost\n    HostName 127.0.0.1\n    Port {ssh_env.server.port}\n"
            f"    User {ssh_env.material.user}\n    IdentityFile {stranger}\n"
            "    IdentitiesOnly yes\n"
        )
    with pytest.raises(AuthenticationError, match="stranger_key"):
        ssh_env.host("strangerhost").run(["true"])


def test_the_real_ssh_client_accepts_the_same_config(ssh_env):
    """The fixture's config and known_hosts are what OpenSSH itself uses (BatchMode: no
    prompt could hide a problem)."""
    ssh = shutil.which("ssh")
    assert ssh, "openssh-client is missing"
    result = subprocess.run(
        [
            ssh,
            "-F",
            str(ssh_env.config_path),
            "-o",
            f"UserKnownHostsFile={ssh_env.known_hosts_path}",
            "-o",
            "BatchMode=yes",
            "testhost",
            "echo",
            "openssh",
        ],
        capture_output=True,
        timeout=60,
    )
    assert result.stdout == b"openssh\n", result.stderr


def _sftp_sessions_started(ssh_env) -> int:
    return ssh_env.server.log().count("subsystem 'sftp'")


def test_missing_file_answers_do_not_cost_a_new_sftp_session(ssh_env):
    host = ssh_env.host()
    host.stat("~")
    before = _sftp_sessions_started(ssh_env)
    for _ in range(20):  # what a log follower does while it waits for a file
        with pytest.raises(RemoteFileError):
            host.stat("~/not-there-yet.log")
    host.stat("~")
    assert _sftp_sessions_started(ssh_env) == before


def test_threads_share_a_bounded_number_of_sftp_sessions(ssh_env):
    host = ssh_env.host()
    before = _sftp_sessions_started(ssh_env)
    barrier = threading.Barrier(12)

    def worker() -> None:
        barrier.wait()
        for _ in range(20):
            host.stat("~")

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert 1 <= _sftp_sessions_started(ssh_env) - before <= SFTP_SESSIONS


def test_host_name_that_does_not_resolve_is_unreachable(ssh_env):
    with ssh_env.config_path.open("a") as config:
        config.write("\nHost ghost\n    HostName ghost-instance.invalid\n")
    with pytest.raises(HostUnreachableError, match="ghost-instance.invalid"):
        ssh_env.host("ghost").run(["true"])


def test_encrypted_key_without_agent_says_to_use_the_agent(ssh_env, tmp_path: Path):
    locked = tmp_path / "locked_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(locked)], check=True
    )
    with ssh_env.config_path.open("a") as config:
        config.write(
            f"\nHost lockedhost\n    HostName 127.0.0.1\n    Port {ssh_env.server.port}\n"
            f"    User {ssh_env.material.user}\n    IdentityFile {locked}\n"
            "    IdentitiesOnly yes\n"
        )
    with pytest.raises(AuthenticationError, match="encrypted") as caught:
        ssh_env.host("lockedhost").run(["true"])
    assert "ssh-add" in str(caught.value)


# --- Compression ---------------------------------------------------------------------------


def test_compression_yes_in_the_ssh_config_is_negotiated_and_no_is_the_default(ssh_env):
    from console.hosts.ssh.config import resolve

    material = ssh_env.material
    with open(ssh_env.config_path, "a") as config:
        config.write(
            f"\nHost zipped\n    HostName 127.0.0.1\n    Port {ssh_env.server.port}\n"
            f"    User {material.user}\n    IdentityFile {material.client_key}\n"
            "    IdentitiesOnly yes\n    Compression yes\n"
        )
    # zlib@openssh.com starts after authentication, so a command proves the session works
    outcomes = {}
    for alias in ("zipped", "testhost"):
        host = ssh_env.host(alias)
        assert host.run(["echo", alias]).stdout == f"{alias}\n".encode()
        connection = host._pool.connection(resolve(alias, str(ssh_env.config_path)), host.known_hosts_path)
        transport = connection.transport()
        outcomes[alias] = (transport.local_compression, transport.remote_compression)
    assert outcomes["zipped"] == ("zlib@openssh.com", "zlib@openssh.com")
    assert outcomes["testhost"] == ("none", "none")
