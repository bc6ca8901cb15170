"""Argument lists for things that run in the user's real terminal while the app is suspended.

A shell, ``tmux attach`` and a Jupyter port-forward are OpenSSH's ``ssh`` itself, not
paramiko: the user gets their own terminal, agent forwarding, escape keys and prompts. The
same alias, user, port, key and ProxyJump apply because ``ssh`` reads the same config file
(``-F`` is passed when the console was given a non-default one, and
``-o UserKnownHostsFile=…`` for a non-default known_hosts).

Everything here is pure: it builds lists, it runs nothing.
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from console.errors import ConsoleError, HostConfigError

DEFAULT_JUPYTER_PORT = 8888
#: where a forwarded port listens on this machine
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class SshOptions:
    """How to reach a host with the ``ssh`` command.

    ``target`` is an alias of the ssh config or ``[user@]host[:port]``;
    ``config_path``/``known_hosts_path`` are None for ssh's defaults.
    """

    target: str
    config_path: str | None = None
    known_hosts_path: str | None = None
    ssh_binary: str = "ssh"

    @classmethod
    def for_host(cls, host: object) -> SshOptions:
        """The options of an ``SshHost`` (read by attribute, so the UI need not import it).

        ``ssh`` finds its default files under the password database's home; where that is
        not ``$HOME`` (the console's), the config and known_hosts the host was resolved
        with are named, so ``ssh`` reaches the same host the same way."""
        target = getattr(host, "target_spec", None)
        if target is None:
            raise HostConfigError(f"{host!r} is not reached over ssh.")
        known_hosts = getattr(host, "known_hosts_path", None)
        explicit = getattr(host, "known_hosts_explicit", True) or not ssh_home_is_home()
        config = getattr(host, "config_path", None)
        if config is None:
            config = getattr(getattr(host, "target", None), "config_file", None)
        return cls(
            target=target,
            config_path=config,
            known_hosts_path=known_hosts if explicit else None,
        )


def ssh_home_is_home() -> bool:
    """Whether ssh's ``~`` (the password database's home) is the console's (``$HOME``)."""
    try:
        ssh_home = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return False
    return os.path.realpath(os.path.expanduser("~")) == os.path.realpath(ssh_home)


def ssh_argv(options: SshOptions, *, tty: bool, extra: Sequence[str] = ()) -> list[str]:
    """``ssh [-F CONFIG] [-o UserKnownHostsFile=…] [-t] EXTRA… [-p PORT] -- DEST``."""
    argv = [options.ssh_binary]
    if options.config_path is not None:
        argv += ["-F", os.path.expanduser(options.config_path)]
    if options.known_hosts_path is not None:
        argv += ["-o", f"UserKnownHostsFile={os.path.expanduser(options.known_hosts_path)}"]
    if tty:
        argv.append("-t")
    return argv + list(extra) + _destination(options.target)


def _destination(target: str) -> list[str]:
    """``[-p PORT] -- [user@]host``: ssh wants the port apart; ``--`` ends ssh's options so a
    target can never be read as one."""
    if not target or target.startswith("-") or any(ch.isspace() for ch in target):
        raise HostConfigError(f"{target!r} is not a valid ssh host.")
    user, _, host = target.rpartition("@")
    port: str | None = None
    if host.startswith("["):
        inner, _, rest = host[1:].partition("]")
        host, port = inner, rest[1:] or None
    elif host.count(":") == 1:
        host, port = host.split(":")
    destination = f"{user}@{host}" if user else host
    return (["-p", port] if port else []) + ["--", destination]


def shell_argv(options: SshOptions) -> list[str]:
    """An interactive login shell: ``ssh -t HOST``."""
    return ssh_argv(options, tty=True)


def remote_command_argv(options: SshOptions, argv: Sequence[str]) -> list[str]:
    """``ssh -t HOST 'ARGV…'``: ssh pastes its trailing words into one shell line, so the
    command is passed as one word already quoted with ``shlex.join``."""
    if not argv:
        raise ValueError("argv is empty")
    return [*ssh_argv(options, tty=True), shlex.join(argv)]


def tmux_attach_argv(
    options: SshOptions | None, session: str, *, socket_name: str | None = None
) -> list[str]:
    """Attach to a tmux session: ``ssh -t HOST 'tmux [-L SOCKET] attach-session -t =NAME'``,
    or plain ``tmux …`` on this machine when ``options`` is None. ``=NAME`` makes tmux match
    the session name exactly, not as a prefix."""
    tmux = [
        "tmux",
        *(["-L", socket_name] if socket_name else []),
        "attach-session",
        "-t",
        f"={session}",
    ]
    if options is None:
        return tmux
    return remote_command_argv(options, tmux)


def port_forward_argv(
    options: SshOptions,
    local_port: int = DEFAULT_JUPYTER_PORT,
    remote_port: int | None = None,
    *,
    remote_host: str = "localhost",
) -> list[str]:
    """Forward a local port to the host until Ctrl-C (Jupyter):
    ``ssh -N -o ExitOnForwardFailure=yes -L 127.0.0.1:8888:localhost:8888 HOST``.

    The local end is bound to the loopback address by name: without it ssh binds where the
    config's ``GatewayPorts`` says, and ``GatewayPorts yes`` would offer the notebook (and
    its token-less terminal) to the whole network."""
    remote_port = local_port if remote_port is None else remote_port
    for port in (local_port, remote_port):
        if not 0 < int(port) < 65536:
            raise ValueError(f"port {port} is out of range")
    if not remote_host or any(ch.isspace() or ch == ":" for ch in remote_host):
        raise ValueError(f"{remote_host!r} is not a host name")
    forward = f"{LOOPBACK}:{local_port}:{remote_host}:{remote_port}"
    return ssh_argv(
        options, tty=False, extra=["-N", "-o", "ExitOnForwardFailure=yes", "-L", forward]
    )


def local_shell_argv(home: str) -> list[str]:
    """A login shell on this machine, started in ``home`` (a sandboxed LocalHost's folder).
    The folder goes in as ``$1``, never into the script text."""
    return ["/bin/sh", "-c", 'cd -- "$1" && exec "${SHELL:-/bin/sh}" -l', "sh", home]


class TerminalError(ConsoleError):
    title = "Terminal"


def run_in_terminal(argv: Sequence[str]) -> int:
    """Run ``argv`` (no shell) attached to this terminal and return its exit status.

    Stands for typing ``argv`` at a shell prompt. Raises TerminalError when the program
    cannot be started (not installed, not executable).
    """
    if not argv:
        raise TerminalError("Nothing to run in the terminal: the command is empty.")
    try:
        return subprocess.call(list(argv))
    except OSError as exc:
        raise TerminalError(f"Cannot run {argv[0]!r}: {exc.strerror or exc}.") from exc
