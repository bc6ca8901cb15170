"""Host keys against a real sshd: unknown keys are never trusted silently, changed keys are
refused, an accepted key is written so that OpenSSH itself finds it."""

from __future__ import annotations

import subprocess

import pytest

from console.errors import ChangedHostKeyError, HostConfigError, UnknownHostKeyError
from console.hosts import HostPool


def _keygen_finds(known_hosts, name: str) -> bool:
    """Whether ``ssh-keygen -F NAME -f FILE`` (OpenSSH's own lookup) finds the host."""
    result = subprocess.run(
        ["ssh-keygen", "-F", name, "-f", str(known_hosts)], capture_output=True, text=True
    )
    return result.returncode == 0 and "found" in result.stdout


def test_unknown_host_key_raises_with_the_keygen_fingerprint_and_writes_nothing(ssh_env):
    ssh_env.known_hosts_path.write_text("")
    host = ssh_env.host()
    with pytest.raises(UnknownHostKeyError) as caught:
        host.run(["true"])
    error = caught.value
    key_type, key_base64 = ssh_env.server.public_key()
    assert error.hostname == ssh_env.server.known_hosts_name
    assert error.key_type == key_type == "ssh-ed25519"
    assert error.key_base64 == key_base64
    assert error.fingerprint == ssh_env.server.keygen_fingerprint()
    assert error.fingerprint in str(error)
    assert ssh_env.known_hosts_path.read_text() == ""
    with pytest.raises(UnknownHostKeyError):  # still refused on a second try
        host.stat("~")


def test_missing_known_hosts_file_means_every_key_is_unknown(ssh_env):
    ssh_env.known_hosts_path.unlink()
    with pytest.raises(UnknownHostKeyError):
        ssh_env.host().run(["true"])
    assert not ssh_env.known_hosts_path.exists()


def test_accepting_the_key_lets_the_next_call_connect(ssh_env):
    ssh_env.known_hosts_path.write_text("# my hosts, no trailing newline")
    host = ssh_env.host()
    with pytest.raises(UnknownHostKeyError) as caught:
        host.run(["true"])
    host.accept_host_key(caught.value)
    assert host.run(["echo", "in"]).stdout == b"in\n"
    lines = ssh_env.known_hosts_path.read_text().splitlines()
    assert lines[0] == "# my hosts, no trailing newline"
    assert lines[1] == ssh_env.server.known_hosts_line().strip()
    assert _keygen_finds(ssh_env.known_hosts_path, ssh_env.server.known_hosts_name)


def test_accepted_key_is_hashed_when_the_config_says_so(ssh_env):
    config = ssh_env.config_path.read_text()
    ssh_env.config_path.write_text("Host testhost\n    HashKnownHosts yes\n" + config)
    ssh_env.known_hosts_path.write_text("")
    host = ssh_env.host()
    with pytest.raises(UnknownHostKeyError) as caught:
        host.run(["true"])
    host.accept_host_key(caught.value)
    text = ssh_env.known_hosts_path.read_text()
    assert text.startswith("|1|")
    assert "127.0.0.1" not in text
    assert _keygen_finds(ssh_env.known_hosts_path, ssh_env.server.known_hosts_name)
    assert host.run(["true"]).ok


def test_changed_host_key_is_refused_with_both_fingerprints(ssh_env):
    # known_hosts claims the target has the jump server's key: as if the host was replaced.
    key_type, other_key = ssh_env.jump_server.public_key()
    before = f"{ssh_env.server.known_hosts_name} {key_type} {other_key}\n"
    ssh_env.known_hosts_path.write_text(before)
    with pytest.raises(ChangedHostKeyError) as caught:
        ssh_env.host().run(["true"])
    error = caught.value
    assert error.hostname == ssh_env.server.known_hosts_name
    assert error.fingerprint == ssh_env.server.keygen_fingerprint()
    assert error.known_fingerprint == ssh_env.jump_server.keygen_fingerprint()
    assert "changed" in str(error) and "ssh-keygen -R" in str(error)
    assert ssh_env.known_hosts_path.read_text() == before


def test_unknown_key_of_a_jump_host_names_the_jump_host(ssh_env):
    ssh_env.known_hosts_path.write_text(ssh_env.server.known_hosts_line())
    host = ssh_env.host("behindjump")
    with pytest.raises(UnknownHostKeyError) as caught:
        host.run(["true"])
    assert caught.value.hostname == ssh_env.jump_server.known_hosts_name
    assert caught.value.fingerprint == ssh_env.jump_server.keygen_fingerprint()
    host.accept_host_key(caught.value)
    assert host.run(["echo", "through"]).stdout == b"through\n"


def test_accept_new_adds_a_new_key_as_ssh_does_and_still_refuses_a_changed_one(ssh_env):
    config = ssh_env.config_path.read_text()
    ssh_env.config_path.write_text("Host testhost\n    StrictHostKeyChecking accept-new\n" + config)
    ssh_env.known_hosts_path.write_text("")
    assert ssh_env.host().run(["echo", "first"]).stdout == b"first\n"
    assert ssh_env.known_hosts_path.read_text() == ssh_env.server.known_hosts_line()
    assert _keygen_finds(ssh_env.known_hosts_path, ssh_env.server.known_hosts_name)
    # a changed key is refused whatever accept-new says
    key_type, other_key = ssh_env.jump_server.public_key()
    changed = f"{ssh_env.server.known_hosts_name} {key_type} {other_key}\n"
    ssh_env.known_hosts_path.write_text(changed)
    with pytest.raises(ChangedHostKeyError):
        ssh_env.host().run(["true"])
    assert ssh_env.known_hosts_path.read_text() == changed


def test_strict_yes_refuses_and_never_offers_to_accept(ssh_env):
    config = ssh_env.config_path.read_text()
    ssh_env.config_path.write_text("Host testhost\n    StrictHostKeyChecking yes\n" + config)
    ssh_env.known_hosts_path.write_text("")
    host = ssh_env.host()
    with pytest.raises(UnknownHostKeyError) as caught:
        host.run(["true"])
    error = caught.value
    assert error.acceptable is False
    assert "StrictHostKeyChecking yes" in error.hint
    pool = HostPool(
        config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
    )
    with pytest.raises(HostConfigError, match="not trusted yet"):
        pool.trust_host_key(error)
    assert ssh_env.known_hosts_path.read_text() == ""


def test_trusting_through_the_pool_writes_the_file_that_was_checked(ssh_env, tmp_path):
    """The pool the UI asks writes where the refusing connection looked, even when that is
    the config's UserKnownHostsFile rather than the pool's own default."""
    elsewhere = tmp_path / "from-config" / "known_hosts"
    config = ssh_env.config_path.read_text()
    ssh_env.config_path.write_text(f"Host testhost\n    UserKnownHostsFile {elsewhere}\n" + config)
    pool = HostPool(config_path=str(ssh_env.config_path))
    try:
        host = pool.get("testhost")
        with pytest.raises(UnknownHostKeyError) as caught:
            host.run(["true"])
        assert caught.value.known_hosts_path == str(elsewhere)
        pool.trust_host_key(caught.value)
        assert elsewhere.read_text() == ssh_env.server.known_hosts_line()
        assert elsewhere.parent.stat().st_mode & 0o777 == 0o700
        assert elsewhere.stat().st_mode & 0o777 == 0o600
        assert host.run(["echo", "ok"]).stdout == b"ok\n"
    finally:
        pool.close_all()
