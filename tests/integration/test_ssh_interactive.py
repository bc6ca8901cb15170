"""The interactive argument lists, run by the real OpenSSH client against the test sshd."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from pathlib import Path

from console.hosts.interactive import SshOptions, port_forward_argv, remote_command_argv


def _options(ssh_env) -> SshOptions:
    return SshOptions(
        "testhost",
        config_path=str(ssh_env.config_path),
        known_hosts_path=str(ssh_env.known_hosts_path),
    )


def _batch(argv: list[str]) -> list[str]:
    """No prompt may hide a failure in a test."""
    return [argv[0], "-o", "BatchMode=yes", *argv[1:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_remote_command_survives_ssh_joining_its_words(ssh_env):
    # Where the remote user could create it, so its absence means something.
    canary = Path(ssh_env.material.user_home) / f"CANARY-{uuid.uuid4().hex}"
    hostile = ["a b", f"$(touch {canary})", "'", '"', f"; touch {canary}", "ü", "`touch x`"]
    argv = _batch(remote_command_argv(_options(ssh_env), ["printf", "%s\\0", *hostile]))
    result = subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.stdout == b"".join(arg.encode() + b"\0" for arg in hostile), result.stderr
    assert not canary.exists()


def test_port_forward_reaches_the_remote_port(ssh_env):
    local_port = _free_port()
    # Forward to the sshd itself: whatever answers on the local port must be its banner.
    argv = _batch(port_forward_argv(_options(ssh_env), local_port, ssh_env.server.port))
    forward = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        banner = b""
        while not banner:
            assert forward.poll() is None, forward.stderr.read()
            try:
                with socket.create_connection(("127.0.0.1", local_port), timeout=5) as sock:
                    banner = sock.recv(64)
            except OSError:
                time.sleep(0.05)  # ssh is still setting up the listener
        assert banner.startswith(b"SSH-2.0-OpenSSH")
    finally:
        forward.terminate()
        forward.wait(timeout=30)
