"""~/.ssh/config as OpenSSH reads it: ``Include`` and ``Match`` apply (through ``ssh -G``),
against the real sshd, with the config in a temporary HOME; paramiko's parser is the
fallback where OpenSSH's client is missing, and it does not know included hosts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from console.errors import HostConfigError, UnknownHostKeyError
from console.hosts import HostPool
from console.hosts.ssh.config import resolve

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH's client is missing")


def _login(material) -> str:
    return (
        f"    User {material.user}\n"
        f"    IdentityFile {material.client_key}\n"
        "    IdentitiesOnly yes\n"
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ssh_material, sshd_server) -> Path:
    """A HOME of the test's own: ~/.ssh/config includes conf.d/*.conf (by absolute path:
    ssh resolves a relative Include against the password database's home, not $HOME), and
    ~/.ssh/known_hosts knows the server."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    home = tmp_path / "home"
    ssh_dir = home / ".ssh"
    (ssh_dir / "conf.d").mkdir(parents=True)
    ssh_dir.chmod(0o700)
    monkeypatch.setenv("HOME", str(home))
    (ssh_dir / "config").write_text(
        f"Include {ssh_dir}/conf.d/*.conf\n\n"
        f"Host plain\n    HostName 127.0.0.1\n    Port {sshd_server.port}\n{_login(ssh_material)}\n"
        # reached by its alias; the port and user come from the Match block alone
        f"Host viamatch\n    HostName 127.0.0.1\n    IdentityFile {ssh_material.client_key}\n"
        "    IdentitiesOnly yes\n"
        f"Match host 127.0.0.1 originalhost viamatch\n    Port {sshd_server.port}\n"
        f"    User {ssh_material.user}\n\n"
        "Host *\n    ServerAliveInterval 7\n"
    )
    (ssh_dir / "conf.d" / "gpu.conf").write_text(
        f"Host included-only\n    HostName 127.0.0.1\n    Port {sshd_server.port}\n"
        f"{_login(ssh_material)}"
    )
    (ssh_dir / "known_hosts").write_text(sshd_server.known_hosts_line())
    return home


@pytest.fixture
def pool():
    hosts = HostPool()  # the user's default files: ~/.ssh/config and ~/.ssh/known_hosts
    yield hosts
    hosts.close_all()


def test_a_host_defined_only_in_an_included_file_connects(home, pool, sshd_server, ssh_material):
    host = pool.get("included-only")
    assert (host.target.hostname, host.target.port) == ("127.0.0.1", sshd_server.port)
    assert host.target.user == ssh_material.user
    assert host.target.identity_files == (str(ssh_material.client_key),)
    assert host.target.keepalive_interval == 7  # the Host * block of the main file applies
    result = host.run(["id", "-un"])
    assert result.stdout.decode().strip() == ssh_material.user


def test_a_match_host_block_sets_port_and_user(home, pool, sshd_server, ssh_material):
    host = pool.get("viamatch")
    assert host.target.port == sshd_server.port
    assert host.target.user == ssh_material.user
    assert host.run(["id", "-un"]).stdout.decode().strip() == ssh_material.user
    # the same name with another user given: Match still sets the port, the user is ours
    other = resolve("someone@viamatch")
    assert (other.user, other.port) == ("someone", sshd_server.port)


def test_catch_all_blocks_do_not_make_a_typo_known(home):
    # ssh -G prints a configuration for any name; Host * applies to every name
    with pytest.raises(HostConfigError, match="Unknown SSH host alias 'includd-only.invalid'"):
        resolve("includd-only.invalid")


def test_an_included_identity_file_that_is_missing_is_named(home, ssh_material):
    (home / ".ssh" / "conf.d" / "broken.conf").write_text(
        "Host broken\n    HostName 127.0.0.1\n    IdentityFile ~/.ssh/gone_key\n"
    )
    with pytest.raises(HostConfigError, match="gone_key"):
        resolve("broken")


def test_without_openssh_paramiko_reads_the_file_and_ignores_include(
    home, pool, tmp_path, monkeypatch, ssh_material
):
    empty = tmp_path / "no-ssh-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("ssh") is None
    # a host of the main file still resolves and connects (paramiko parses, paramiko connects)
    plain = pool.get("plain")
    assert plain.run(["id", "-un"]).stdout.decode().strip() == ssh_material.user
    # paramiko does not follow Include: the included host is unknown to the fallback
    with pytest.raises(HostConfigError, match="Unknown SSH host alias 'included-only'"):
        resolve("included-only")


def test_the_ssh_line_of_an_unknown_key_reaches_the_same_host(home, pool, sshd_server):
    """The command the error prints asks ssh about the same host and the same known_hosts:
    with BatchMode ssh refuses the unknown key; once the key is accepted it logs in."""
    known_hosts = home / ".ssh" / "known_hosts"
    known_hosts.write_text("")
    host = pool.get("included-only")
    with pytest.raises(UnknownHostKeyError) as caught:
        host.run(["true"])
    error = caught.value
    assert error.known_hosts_path == str(known_hosts)
    assert error.fingerprint == sshd_server.keygen_fingerprint()
    assert error.ssh_command is not None and error.ssh_command in error.hint
    argv = error.ssh_command.split()
    assert argv[0] == "ssh" and argv[-1] == "true"
    batch = [argv[0], "-o", "BatchMode=yes", *argv[1:]]
    env = {**os.environ, "HOME": str(home)}
    refused = subprocess.run(batch, capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 255
    assert "Host key verification failed" in refused.stderr
    pool.trust_host_key(error)
    accepted = subprocess.run(batch, capture_output=True, text=True, env=env, timeout=60)
    assert accepted.returncode == 0, accepted.stderr
    assert host.run(["echo", "in"]).stdout == b"in\n"
