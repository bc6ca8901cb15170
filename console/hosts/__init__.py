"""Where commands run: this machine (``LocalHost``) or a machine over SSH (``SshHost``).

``HostPool`` hands out one ``Host`` per target, so every screen and worker that asks for
"gpu-box" shares one SSH connection, and closes them all when the console exits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.errors import UnknownHostKeyError
from console.hosts.base import CommandStream, Host
from console.hosts.local import LocalHost

if TYPE_CHECKING:
    from console.hosts.ssh.host import ConnectionPool, SshHost

__all__ = ["CommandStream", "Host", "HostPool", "LocalHost", "SshHost"]


def __getattr__(name: str) -> Any:
    if name == "SshHost":
        # paramiko takes half a second to import: only load it when an SSH host is wanted
        from console.hosts.ssh.host import SshHost

        return SshHost
    raise AttributeError(name)


LOCAL = "local"


class HostPool:
    """One ``Host`` per target: ``"local"``, an ssh alias, ``user@host:port``, or any name
    registered with ``register`` (the demo registers each instance id as a sandboxed
    ``LocalHost``).

    ``get`` raises HostConfigError for an alias the ssh config does not know or a missing
    key file. Safe to use from several threads.
    """

    def __init__(
        self,
        *,
        config_path: str | None = None,
        known_hosts_path: str | None = None,
        factory: Callable[[str], Host] | None = None,
    ):
        self._config_path = config_path
        self._known_hosts_path = known_hosts_path
        self._factory = factory or self._default_factory
        self._connections: ConnectionPool | None = None  # made with the first SSH host
        self._hosts: dict[str, Host] = {}
        self._lock = threading.Lock()

    def _default_factory(self, target: str) -> Host:
        if target == LOCAL:
            return LocalHost()
        # paramiko loads with the first SSH host (see __getattr__)
        from console.hosts.ssh.host import ConnectionPool, SshHost

        with self._lock:
            if self._connections is None:
                self._connections = ConnectionPool()
            connections = self._connections
        return SshHost(
            target,
            config_path=self._config_path,
            known_hosts_path=self._known_hosts_path,
            pool=connections,
        )

    @property
    def config_path(self) -> str | None:
        """The ssh config file the SSH hosts read (None: the user's own, ``~/.ssh/config``)."""
        return self._config_path

    def register(self, target: str, host: Host) -> None:
        """Make ``get(target)`` return ``host`` (replacing an earlier one, which is closed)."""
        with self._lock:
            previous = self._hosts.get(target)
            self._hosts[target] = host
        if previous is not None and previous is not host:
            previous.close()

    def get(self, target: str) -> Host:
        """The host for ``target``, created on first use (no connection is opened yet)."""
        with self._lock:
            host = self._hosts.get(target)
        if host is not None:
            return host
        # Built outside the lock: resolving an unknown name may wait on DNS.
        created = self._factory(target)
        with self._lock:
            host = self._hosts.setdefault(target, created)
        if host is not created:
            created.close()
        return host

    #: the name ``console.services.HostResolver`` asks for
    host_for = get

    def trust_host_key(self, error: UnknownHostKeyError) -> None:
        """The user compared the fingerprint of ``error`` and said yes: add the key to the
        known_hosts file that was checked (``ssh`` answering "yes" to its question). The
        next connection to that host succeeds. Raises HostConfigError (file not writable,
        or ``StrictHostKeyChecking yes``)."""
        # the SSH layer (paramiko) loads when a key is trusted, not with the pool
        from console.hosts.ssh.knownhosts import trust_host_key

        trust_host_key(error, os.path.expanduser(self._known_hosts_path or "~/.ssh/known_hosts"))

    def close_all(self) -> None:
        """Close every connection; hosts stay usable and reconnect on their next call."""
        with self._lock:
            hosts = list(self._hosts.values())
            connections = self._connections
        for host in hosts:
            host.close()
        if connections is not None:
            connections.close_all()
