"""Every host failure is one clear line: ``awsconsole`` run as a user types it (a separate
process, its real stderr) against a port that speaks HTTP, a closed port, a host whose key
changed or is unknown, and read-only file systems on the host and here. Exit status 2 and
never a traceback, whatever paramiko logs on its own threads."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.sshd import write_ssh_config

EXIT_ERROR = 2


@dataclass
class Cli:
    """``awsconsole`` with a HOME of the test's own: its ~/.ssh holds the test config."""

    home: Path

    @property
    def known_hosts(self) -> Path:
        return self.home / ".ssh" / "known_hosts"

    @property
    def config(self) -> Path:
        return self.home / ".ssh" / "config"

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "SSH_", "XDG_", "AWSCONSOLE_"))
        }
        env.update(
            HOME=str(self.home),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=str(self.home / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.home / "no-aws-credentials"),
            AWS_DEFAULT_REGION="us-east-1",
        )
        return subprocess.run(
            [sys.executable, "-m", "console.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=Path(__file__).resolve().parents[2],
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cli(tmp_path: Path, ssh_material, sshd_server, sshd_jump_server) -> Cli:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh").chmod(0o700)
    cli = Cli(home)
    write_ssh_config(cli.config, ssh_material, sshd_server, sshd_jump_server)
    cli.known_hosts.write_text(sshd_server.known_hosts_line() + sshd_jump_server.known_hosts_line())
    return cli


@pytest.fixture
def http_port() -> Iterator[int]:
    """A web server on loopback: a port that answers, but not in SSH."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def add_host(cli: Cli, alias: str, port: int) -> None:
    with cli.config.open("a") as config:
        config.write(f"\nHost {alias}\n    HostName 127.0.0.1\n    Port {port}\n")


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit status 2, nothing but the error on stderr, one line, naming ``words``."""
    assert result.returncode == EXIT_ERROR, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def assert_error_with_hint(result: subprocess.CompletedProcess[str], *words: str) -> list[str]:
    """Exit status 2, the error's line and its hint's line, and nothing else."""
    assert result.returncode == EXIT_ERROR, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    return lines


def test_a_port_that_speaks_http_is_one_line_without_paramikos_traceback(cli, http_port):
    add_host(cli, "webserver", http_port)
    for argv in (["count", "webserver:/tmp"], ["run", "webserver", "--", "true"]):
        line = assert_one_clear_line(cli(*argv), "webserver", f"127.0.0.1:{http_port}")
        assert line.startswith("Host unreachable: ")
        assert "not answer as an SSH server" in line
        assert "Exception (client)" not in line


def test_a_closed_port_is_one_line(cli):
    port = _free_port()  # bound a moment ago and released: nothing listens there
    add_host(cli, "nothing-there", port)
    line = assert_one_clear_line(cli("count", "nothing-there:/tmp"), f"127.0.0.1:{port}")
    assert line == (
        f"Host unreachable: Cannot reach nothing-there (127.0.0.1:{port}): Connection refused"
    )


def test_a_changed_host_key_is_refused_in_one_line_and_its_remedy(
    cli, sshd_server, sshd_jump_server
):
    key_type, other_key = sshd_jump_server.public_key()
    before = f"{sshd_server.known_hosts_name} {key_type} {other_key}\n"
    cli.known_hosts.write_text(before)
    error, hint = assert_error_with_hint(
        cli("count", "testhost:/tmp"),
        sshd_server.keygen_fingerprint(),
        sshd_jump_server.keygen_fingerprint(),
    )
    assert error.startswith("SSH host key changed: ") and "refused" in error
    assert f"ssh-keygen -R '{sshd_server.known_hosts_name}' -f {cli.known_hosts}" in hint
    assert cli.known_hosts.read_text() == before


def test_an_unknown_host_key_names_its_fingerprint_and_the_ssh_line_that_asks(cli, sshd_server):
    cli.known_hosts.write_text("")
    error, hint = assert_error_with_hint(
        cli("count", "testhost:/tmp"), sshd_server.keygen_fingerprint()
    )
    assert error == (
        f"Unknown SSH host key: The host {sshd_server.known_hosts_name} presented an unknown "
        f"ssh-ed25519 key {sshd_server.keygen_fingerprint()}; it is not trusted yet."
    )
    # the line to run: the same config, the same known_hosts, the same user and port
    assert f"`ssh -F {cli.config} -o UserKnownHostsFile={cli.known_hosts} " in hint
    assert f"-p {sshd_server.port} -- awsc-test@testhost true`" in hint
    assert cli.known_hosts.read_text() == ""


@pytest.fixture
def read_only_mount(tmp_path: Path, ssh_material) -> Iterator[Path]:
    """A tmpfs mounted here, a folder in it the ssh test user owns, then remounted read-only."""
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        folder = mount / "data"
        folder.mkdir()
        import shutil

        shutil.chown(folder, ssh_material.user, ssh_material.user)
        remount = subprocess.run(
            ["mount", "-o", "remount,ro", str(mount)], capture_output=True, text=True
        )
        if remount.returncode != 0:
            pytest.skip(f"cannot remount the tmpfs read-only: {remount.stderr.strip()}")
        # tmp_path is 0700 (root): let the ssh test user reach the mount
        for parent in [tmp_path, *tmp_path.parents]:
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("size", [1000, 12 * 1024 * 1024], ids=["small", "streams"])
def test_copy_to_a_read_only_file_system_on_the_host_is_one_line(
    cli, tmp_path, read_only_mount, size
):
    source = tmp_path / "model.pt"
    source.write_bytes(os.urandom(size))
    result = cli("cp", str(source), f"testhost:{read_only_mount}/")
    line = assert_one_clear_line(result, f"{read_only_mount}/model.pt")
    assert "Read-only file system" in line
    assert list(read_only_mount.iterdir()) == []


def test_copy_into_proc_on_the_host_is_one_line(cli, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("hello\n")
    name = f"awsc-{uuid.uuid4().hex[:8]}"
    line = assert_one_clear_line(
        cli("cp", str(source), f"testhost:/proc/{name}"), f"testhost:/proc/{name}"
    )
    assert line.startswith("File: Cannot write ")
    assert "No such file or directory" in line  # /proc takes no new files


def test_copy_to_a_read_only_file_system_here_is_one_line(cli, tmp_path, read_only_mount):
    source = tmp_path / "notes.txt"
    source.write_text("hello\n")
    for destination in (f"{read_only_mount}/notes.txt", f"local:{read_only_mount}/notes.txt"):
        line = assert_one_clear_line(cli("cp", str(source), destination), "Read-only file system")
        assert f"{read_only_mount}/notes.txt" in line
    assert list(read_only_mount.iterdir()) == []


def test_copy_into_proc_here_is_one_line(cli, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("hello\n")
    line = assert_one_clear_line(cli("cp", str(source), "local:/proc/awsc-x"), "/proc/awsc-x")
    assert line.startswith("Transfer: Cannot write /proc/awsc-x")
