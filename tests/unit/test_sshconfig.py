"""Resolving ssh targets from a config file, building remote command lines, known_hosts."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paramiko.hostkeys import HostKeys

from console.errors import HostConfigError
from console.hosts.ssh.config import DEFAULT_KEEPALIVE_S, resolve, split_destination
from console.hosts.ssh.host import _PidSplitter, remote_command_line
from console.hosts.ssh.knownhosts import (
    add_known_host,
    console_fingerprints,
    console_host_keys,
    fingerprint,
    known_hosts_name,
)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "id_test"
    path.write_text("not read by the resolver, only checked to exist\n")
    return path


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config"
    path.write_text(text)
    return str(path)


def test_alias_resolves_hostname_user_port_and_key(tmp_path: Path, key_file: Path):
    config = _config(
        tmp_path,
        f"Host gpu\n  HostName 10.1.2.3\n  User ubuntu\n  Port 2222\n  IdentityFile {key_file}\n"
        "  IdentitiesOnly yes\n  ServerAliveInterval 30\n",
    )
    target = resolve("gpu", config)
    assert (target.alias, target.hostname, target.user, target.port) == (
        "gpu",
        "10.1.2.3",
        "ubuntu",
        2222,
    )
    assert target.identity_files == (str(key_file),)
    assert target.identities_only
    assert target.keepalive_interval == 30
    assert target.known_hosts_name == "[10.1.2.3]:2222"
    assert target.jumps == ()


def test_keepalive_is_on_even_when_the_config_says_nothing(tmp_path: Path):
    target = resolve("plain", _config(tmp_path, "Host plain\n  HostName 10.0.0.1\n"))
    assert target.keepalive_interval == DEFAULT_KEEPALIVE_S > 0
    assert target.port == 22
    assert target.known_hosts_name == "10.0.0.1"


def test_user_and_port_in_the_target_override_the_config(tmp_path: Path):
    config = _config(tmp_path, "Host box\n  HostName 10.0.0.9\n  User ubuntu\n  Port 2200\n")
    target = resolve("root@box:2022", config)
    assert (target.user, target.hostname, target.port) == ("root", "10.0.0.9", 2022)


def test_an_ip_address_needs_no_alias(tmp_path: Path):
    target = resolve("ec2-user@192.0.2.7", _config(tmp_path, ""))
    assert (target.user, target.hostname, target.port) == ("ec2-user", "192.0.2.7", 22)


def test_wildcard_blocks_apply_to_an_alias(tmp_path: Path):
    config = _config(tmp_path, "Host gpu-*\n  User ubuntu\n  HostName %h.internal.example\n")
    target = resolve("gpu-a", config)
    assert target.user == "ubuntu"
    assert target.hostname == "gpu-a.internal.example"


def test_unknown_alias_names_it_and_the_config(tmp_path: Path):
    config = _config(tmp_path, "Host known\n  HostName 10.0.0.1\n")
    with pytest.raises(HostConfigError, match="'typo-host.invalid'") as caught:
        resolve("typo-host.invalid", config)
    assert config in str(caught.value)


def test_missing_identity_file_names_it(tmp_path: Path):
    config = _config(
        tmp_path, f"Host box\n  HostName 10.0.0.1\n  IdentityFile {tmp_path}/gone.pem\n"
    )
    with pytest.raises(HostConfigError, match="gone.pem"):
        resolve("box", config)


def test_proxycommand_is_refused_clearly(tmp_path: Path):
    config = _config(tmp_path, "Host box\n  HostName 10.0.0.1\n  ProxyCommand nc %h %p\n")
    with pytest.raises(HostConfigError, match="ProxyCommand"):
        resolve("box", config)


def test_proxyjump_chain_carries_the_hops_before_each_hop(tmp_path: Path):
    config = _config(
        tmp_path,
        "Host outer\n  HostName 203.0.113.1\n  User bastion\n"
        "Host inner\n  HostName 10.0.0.2\n  ProxyJump outer\n"
        "Host middle\n  HostName 10.0.0.3\n  ProxyJump ignored-own-jump.invalid\n"
        "Host gpu\n  HostName 10.0.0.4\n  ProxyJump inner,middle\n",
    )
    target = resolve("gpu", config)
    assert [hop.alias for hop in target.jumps] == ["outer", "inner", "middle"]
    outer, inner, middle = target.jumps
    assert outer.jumps == ()
    assert inner.jumps == (outer,)
    # a later hop is reached through the earlier ones, not through its own ProxyJump
    assert middle.jumps == (outer, inner)
    assert outer.user == "bastion"


def test_proxyjump_with_user_and_port(tmp_path: Path):
    config = _config(
        tmp_path, "Host gpu\n  HostName 10.0.0.4\n  ProxyJump admin@198.51.100.5:2200\n"
    )
    (hop,) = resolve("gpu", config).jumps
    assert (hop.user, hop.hostname, hop.port) == ("admin", "198.51.100.5", 2200)


def test_proxyjump_loop_is_reported(tmp_path: Path):
    config = _config(
        tmp_path,
        "Host a\n  HostName 10.0.0.1\n  ProxyJump b\nHost b\n  HostName 10.0.0.2\n  ProxyJump a\n",
    )
    with pytest.raises(HostConfigError, match="loop"):
        resolve("a", config)


def test_different_users_are_different_connections(tmp_path: Path):
    config = _config(tmp_path, "Host box\n  HostName 10.0.0.1\n")
    assert resolve("alice@box", config).pool_key() != resolve("bob@box", config).pool_key()
    assert resolve("alice@box", config).pool_key() == resolve("alice@10.0.0.1", config).pool_key()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("host", (None, "host", None)),
        ("u@host", ("u", "host", None)),
        ("u@host:2", ("u", "host", 2)),
        ("ssh://u@host:22/", ("u", "host", 22)),
        ("[::1]:2222", (None, "::1", 2222)),
        ("::1", (None, "::1", None)),
    ],
)
def test_split_destination(spec: str, expected: tuple):
    assert split_destination(spec) == expected


@pytest.mark.parametrize("spec", ["-oProxyCommand=x", "host:99999", "host:port", "a b", ""])
def test_split_destination_rejects_bad_specs(spec: str):
    with pytest.raises(HostConfigError):
        split_destination(spec)


# --- remote command lines ----------------------------------------------------------------


def test_remote_command_line_quotes_every_piece():
    line = remote_command_line(
        ["echo", "a b", "$(x)"], cwd="/data/my dir", env={"LC_ALL": "C.UTF-8", "V": "';x"}
    )
    assert line == (
        "cd -- '/data/my dir' && printf 'awsconsole-pid:%s\\n' \"$$\" && "
        "exec env LC_ALL=C.UTF-8 'V='\"'\"';x' echo 'a b' '$(x)'"
    )


def test_remote_command_line_keeps_a_leading_tilde_for_the_remote_shell():
    assert remote_command_line(["ls"], cwd="~/runs/a b").startswith("cd -- ~/'runs/a b' && ")
    assert remote_command_line(["ls"], cwd="~").startswith("cd -- ~ && ")


@settings(max_examples=200)
@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")), min_size=1
    )
)
def test_remote_command_line_splits_back_into_the_same_argv(argv: list[str]):
    words = shlex.split(remote_command_line(argv))
    assert words[-len(argv) :] == argv
    assert words[words.index("exec") + 1 :] == argv


@pytest.mark.parametrize("argv", [[], "ls -la", ["ok", "nul\0byte"]])
def test_remote_command_line_rejects_bad_argv(argv):
    with pytest.raises(ValueError):
        remote_command_line(argv)


@pytest.mark.parametrize("name", ["", "1X", "A-B", "A B", "A=B", "É"])
def test_environment_names_must_be_identifiers(name: str):
    with pytest.raises(ValueError):
        remote_command_line(["true"], env={name: "x"})


def test_pid_marker_is_stripped_with_login_noise_before_it_even_when_split():
    splitter = _PidSplitter()
    assert splitter.feed(b"welcome from .bashrc\nawsconsole-p") == b""
    assert splitter.feed(b"id:4242") == b""
    assert splitter.feed(b"\nreal output") == b"real output"
    assert splitter.feed(b" more") == b" more"
    assert splitter.pid == 4242


def test_pid_marker_absent_keeps_the_bytes_for_the_error():
    splitter = _PidSplitter()
    assert splitter.feed(b"cd: /nowhere: No such file") == b""
    assert not splitter.found
    assert splitter.leftover() == b"cd: /nowhere: No such file"


# --- known_hosts ---------------------------------------------------------------------------


def _make_key(tmp_path: Path, name: str = "hostkey") -> tuple[str, str, str]:
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    key_type, key_base64, *_ = path.with_suffix(".pub").read_text().split()
    keygen = subprocess.run(
        ["ssh-keygen", "-lf", str(path.with_suffix(".pub"))], capture_output=True, text=True
    ).stdout.split()[1]
    return key_type, key_base64, keygen


def test_fingerprint_matches_ssh_keygen(tmp_path: Path):
    _, key_base64, keygen = _make_key(tmp_path)
    assert fingerprint(key_base64) == keygen


def test_add_known_host_plain_and_hashed_are_found_by_paramiko(tmp_path: Path):
    key_type, key_base64, _ = _make_key(tmp_path)
    known_hosts = tmp_path / "ssh" / "known_hosts"
    name = known_hosts_name("10.0.0.5", 2222)
    add_known_host(str(known_hosts), name, key_type, key_base64)
    add_known_host(str(known_hosts), "hashed.example", key_type, key_base64, hashed=True)
    assert (known_hosts.parent.stat().st_mode & 0o777) == 0o700
    lines = known_hosts.read_text().splitlines()
    assert lines[0] == f"[10.0.0.5]:2222 {key_type} {key_base64}"
    assert lines[1].startswith("|1|") and "hashed.example" not in lines[1]
    keys = HostKeys(str(known_hosts))
    assert keys.lookup(name)[key_type].get_base64() == key_base64
    assert keys.lookup("hashed.example")[key_type].get_base64() == key_base64
    assert keys.lookup("other.example") is None


def test_add_known_host_refuses_whitespace(tmp_path: Path):
    with pytest.raises(HostConfigError):
        add_known_host(str(tmp_path / "kh"), "evil host", "ssh-ed25519", "AAAA")
    assert not (tmp_path / "kh").exists()


def test_fingerprints_and_keys_from_ec2_console_output(tmp_path: Path):
    key_type, key_base64, keygen = _make_key(tmp_path)
    other_type, other_base64, other_keygen = _make_key(tmp_path, "otherkey")
    console = "\n".join(
        [
            "[   12.1] cloud-init[1234]: Cloud-init v. 23.1 running 'modules:final'",
            "ec2: #############################################################",
            "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----",
            f"ec2: 256 {keygen} root@ip-172-31-1-2 (ED25519)",
            f"ec2: 256 {other_keygen} root@ip-172-31-1-2 (ED25519)",
            "ec2: -----END SSH HOST KEY FINGERPRINTS-----",
            "-----BEGIN SSH HOST KEY KEYS-----",
            f"{key_type} {key_base64} root@ip-172-31-1-2",
            f"{other_type} {other_base64} root@ip-172-31-1-2",
            "-----END SSH HOST KEY KEYS-----",
            "SHA256:" + "x" * 43 + " printed outside the block does not count",
        ]
    )
    assert console_fingerprints(console) == {keygen, other_keygen}
    assert fingerprint(key_base64) in console_fingerprints(console)
    assert console_host_keys(console) == [(key_type, key_base64), (other_type, other_base64)]
    assert console_fingerprints("no cloud-init here") == set()


def test_known_hosts_file_and_hashing_come_from_the_config(tmp_path: Path):
    config = _config(
        tmp_path,
        "Host box\n  HostName 10.0.0.1\n  UserKnownHostsFile ~/team/known_hosts ~/other\n"
        "  HashKnownHosts yes\n",
    )
    target = resolve("box", config)
    assert target.config_known_hosts == str(Path("~/team/known_hosts").expanduser())
    assert target.hash_known_hosts
