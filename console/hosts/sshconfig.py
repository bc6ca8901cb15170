"""Resolve an ssh target (an alias of ~/.ssh/config, or ``[user@]host[:port]``) the way ssh does.

The result, ``SshTarget``, says where to connect, as whom, with which keys and through which
jump hosts. Everything a person can get wrong in their config (an alias that does not exist,
an IdentityFile that is not there, a ProxyJump loop) becomes a ``HostConfigError`` naming it,
before any connection is tried.
"""

from __future__ import annotations

import fnmatch
import getpass
import ipaddress
import os
import socket
from dataclasses import dataclass, field, replace

import paramiko

from console.errors import HostConfigError
from console.hosts.knownhosts import known_hosts_name

DEFAULT_CONFIG_PATH = "~/.ssh/config"
DEFAULT_KNOWN_HOSTS_PATH = "~/.ssh/known_hosts"
#: ssh's default is no keepalive; a console that follows logs for hours wants one.
DEFAULT_KEEPALIVE_S = 15
DEFAULT_CONNECT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SshTarget:
    """One destination, resolved. ``jumps`` are the hops to go through, first hop first."""

    alias: str
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...] = ()
    #: ``IdentitiesOnly yes``: only the listed files, no agent keys, no default keys
    identities_only: bool = False
    jumps: tuple[SshTarget, ...] = ()
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    keepalive_interval: int = DEFAULT_KEEPALIVE_S
    hash_known_hosts: bool = False
    #: ``Compression yes``: zlib on the whole connection. Off by default, as in ssh: the GPU
    #: stream is tiny either way, and SFTP of compressed data (images, archives) gets slower.
    compression: bool = False
    #: the known_hosts file named by the config (``UserKnownHostsFile``), if any
    config_known_hosts: str | None = field(default=None, compare=False)

    @property
    def known_hosts_name(self) -> str:
        return known_hosts_name(self.hostname, self.port)

    @property
    def destination(self) -> str:
        """``user@host:port``, for messages."""
        return f"{self.user}@{self.hostname}:{self.port}"

    def pool_key(self) -> tuple:
        """What makes two targets the same connection: where, as whom, how, and via what."""
        return (
            self.hostname,
            self.port,
            self.user,
            self.identity_files,
            self.identities_only,
            self.compression,
            tuple(hop.pool_key() for hop in self.jumps),
        )


def load_config(config_path: str | None) -> tuple[paramiko.SSHConfig, str]:
    """Parse the ssh config file; a missing default file is an empty config.

    Raises HostConfigError when an explicitly given file is missing or unreadable.
    """
    explicit = config_path is not None
    path = os.path.expanduser(config_path or DEFAULT_CONFIG_PATH)
    if not os.path.exists(path):
        if explicit:
            raise HostConfigError(f"The ssh config file {path} does not exist.")
        return paramiko.SSHConfig(), path
    try:
        return paramiko.SSHConfig.from_path(path), path
    except (OSError, UnicodeDecodeError) as exc:
        raise HostConfigError(f"Cannot read the ssh config file {path}: {exc}") from exc
    except Exception as exc:  # paramiko raises ConfigParseError and plain exceptions
        raise HostConfigError(f"Cannot parse the ssh config file {path}: {exc}") from exc


def split_destination(spec: str) -> tuple[str | None, str, int | None]:
    """``[user@]host[:port]`` (or ``ssh://…``) into its parts; ``[v6addr]:port`` works too."""
    spec = spec.strip()
    if spec.startswith("ssh://"):
        spec = spec[len("ssh://") :].rstrip("/")
    user = None
    if "@" in spec:
        user, spec = spec.rsplit("@", 1)
    port = None
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        if rest.startswith(":"):
            port = _parse_port(rest[1:], spec)
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
        port = _parse_port(port_text, spec)
    else:
        host = spec
    if not host or host.startswith("-") or any(ch.isspace() for ch in host):
        raise HostConfigError(f"{spec!r} is not a valid ssh host.")
    return user or None, host, port


def _parse_port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise HostConfigError(f"Bad port in ssh destination {spec!r}.")
    return int(text)


def resolve(target: str, config_path: str | None = None) -> SshTarget:
    """Resolve ``target`` against the ssh config (``ssh -G target`` shows the same values).

    Raises HostConfigError for an unknown alias (not in the config and not a resolvable host
    name), a missing IdentityFile, an unsupported ProxyCommand, or a ProxyJump loop.
    """
    config, path = load_config(config_path)
    return _resolve(target, config, path, seen=())


def _resolve(
    spec: str,
    config: paramiko.SSHConfig,
    path: str,
    seen: tuple[str, ...],
    follow_jumps: bool = True,
) -> SshTarget:
    user, alias, port = split_destination(spec)
    if alias in seen:
        chain = " -> ".join((*seen, alias))
        raise HostConfigError(f"ProxyJump loop in {path}: {chain}")
    options = config.lookup(alias)
    if not _named_in_config(alias, config) and not _resolvable(alias):
        raise HostConfigError(
            f"Unknown SSH host alias {alias!r}: it is not in {path} and does not resolve "
            "as a host name.",
            hint=f"Add a 'Host {alias}' entry with HostName, User and IdentityFile to {path}.",
        )
    identity_files = tuple(os.path.expanduser(p) for p in options.get("identityfile", []))
    for key_path in identity_files:
        if not os.path.isfile(key_path):
            raise HostConfigError(
                f"The IdentityFile {key_path} of SSH host {alias!r} does not exist.",
                hint=f"Fix the IdentityFile line of 'Host {alias}' in {path}.",
            )
    if options.get("proxycommand", "none").lower() != "none" and "proxyjump" not in options:
        raise HostConfigError(
            f"SSH host {alias!r} uses ProxyCommand, which the console does not run; "
            "use ProxyJump instead."
        )
    known_hosts = options.get("userknownhostsfile")
    target = SshTarget(
        alias=alias,
        hostname=options.get("hostname", alias),
        port=port or int(options.get("port", 22)),
        user=user or options.get("user") or getpass.getuser(),
        identity_files=identity_files,
        identities_only=options.get("identitiesonly", "no").lower() == "yes",
        connect_timeout=float(options.get("connecttimeout", DEFAULT_CONNECT_TIMEOUT_S)),
        keepalive_interval=int(options.get("serveraliveinterval", 0)) or DEFAULT_KEEPALIVE_S,
        hash_known_hosts=options.get("hashknownhosts", "no").lower() == "yes",
        compression=options.get("compression", "no").lower() == "yes",
        config_known_hosts=os.path.expanduser(known_hosts.split()[0]) if known_hosts else None,
    )
    jump_spec = options.get("proxyjump", "none")
    if jump_spec.lower() == "none" or not follow_jumps:
        return target
    return replace(target, jumps=_resolve_jumps(jump_spec, config, path, (*seen, alias)))


def _resolve_jumps(
    jump_spec: str, config: paramiko.SSHConfig, path: str, seen: tuple[str, ...]
) -> tuple[SshTarget, ...]:
    """The full hop chain for ``ProxyJump a,b``, first hop first.

    Like ``ssh -J a,b``: ``a`` is reached as its own config says (its own ProxyJump
    included), ``b`` through ``a`` (``b``'s own ProxyJump is not used). Every hop carries the
    hops before it in ``jumps``, so each hop is itself a pooled connection target and the
    connection to the destination goes through ``jumps[-1]``.
    """
    chain: list[SshTarget] = []
    specs = [part for part in jump_spec.split(",") if part.strip()]
    for index, hop_spec in enumerate(specs):
        hop = _resolve(hop_spec, config, path, seen, follow_jumps=index == 0)
        if index == 0:
            chain.extend(hop.jumps)
        else:
            hop = replace(hop, jumps=tuple(chain))
        chain.append(hop)
    return tuple(chain)


def _named_in_config(alias: str, config: paramiko.SSHConfig) -> bool:
    """Whether a ``Host`` pattern other than the catch-all ``*`` names ``alias``."""
    for pattern in config.get_hostnames():
        if pattern in ("*", "") or pattern.startswith("!"):
            continue
        if fnmatch.fnmatchcase(alias, pattern):
            return True
    return False


def _resolvable(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    try:
        socket.getaddrinfo(name, None)
        return True
    except (socket.gaierror, UnicodeError):
        return False
