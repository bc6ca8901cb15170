"""Resolve an ssh target (an alias of ~/.ssh/config, or ``[user@]host[:port]``) the way ssh does.

The result, ``SshTarget``, says where to connect, as whom, with which keys and through which
jump hosts. Everything a person can get wrong in their config (an alias that does not exist,
an IdentityFile that is not there, a ProxyJump loop) becomes a ``HostConfigError`` naming it,
before any connection is tried.

Where OpenSSH's client is installed, the config is read by ``ssh -G`` itself, so ``Include``,
``Match`` and the system-wide ``/etc/ssh/ssh_config`` apply exactly as they do for ``ssh``.
Without it, paramiko's parser reads the one file (it ignores ``Include``).

``ssh -G`` prints a configuration for any name, known or not (the host name is then the name
itself). A name counts as *known* when the config gives it something the console uses
(HostName, User, Port, keys, jumps, …) that it does not give to a name no block mentions: the
same lookup is run for a made-up name, and the two answers compared (with either reader). So
``Host *`` blocks alone do not make a typo "known"; ``Host gpu-*`` or ``Match host gpu`` do.
A name that is not known must resolve as a host name to be used.
"""

from __future__ import annotations

import functools
import getpass
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import paramiko

from console.errors import HostConfigError
from console.hosts.interactive import ssh_home_is_home
from console.hosts.ssh.knownhosts import known_hosts_name

DEFAULT_CONFIG_PATH = "~/.ssh/config"
DEFAULT_KNOWN_HOSTS_PATH = "~/.ssh/known_hosts"
#: ssh's default is no keepalive; a console that follows logs for hours wants one.
DEFAULT_KEEPALIVE_S = 15
DEFAULT_CONNECT_TIMEOUT_S = 15.0
#: how long ``ssh -G`` may take (a ``Match exec`` runs a command of the user's)
SSH_G_TIMEOUT_S = 15.0
#: the values of ``ssh -G`` the console uses; a name is known when one of them is its own
USED_OPTIONS = (
    "hostname",
    "user",
    "port",
    "identityfile",
    "identitiesonly",
    "proxyjump",
    "proxycommand",
    "userknownhostsfile",
    "stricthostkeychecking",
    "connecttimeout",
    "serveraliveinterval",
    "compression",
    "hashknownhosts",
)
#: ``StrictHostKeyChecking`` as the console acts on it
STRICT_VALUES = {
    "yes": "yes",
    "true": "yes",
    "ask": "ask",
    "accept-new": "accept-new",
    "no": "no",
    "off": "no",
    "false": "no",
}


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
    #: ``StrictHostKeyChecking``: "ask" (the default: an unknown key is refused and the
    #: user asked), "yes" (refused, never offered), "accept-new" and "no" (a new key is
    #: added to known_hosts; a changed one is refused all the same)
    strict_host_key_checking: str = field(default="ask", compare=False)
    #: the config file given to the console (``-F`` for ``ssh``), None for ssh's own
    config_file: str | None = field(default=None, compare=False)

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
    if user is not None and (user.startswith("-") or any(ch.isspace() for ch in user)):
        raise HostConfigError(f"{user!r} is not a valid ssh user name.")
    return user or None, host, port


def _parse_port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise HostConfigError(f"Bad port in ssh destination {spec!r}.")
    return int(text)


# --- where the options come from -------------------------------------------------------------


@dataclass
class _Options:
    """What a config says for one name: single values by lowercase keyword, and the
    IdentityFile lines as written (``configured_keys``: False when only ssh's default
    key names apply)."""

    values: dict[str, str]
    identity_files: list[str]
    configured_keys: bool
    #: whether a block other than the catch-all applies to the name
    named: bool

    def get(self, key: str, default: str) -> str:
        return self.values.get(key, default)


class _Reader:
    """Reads the options of one name; ``path`` names the config in messages."""

    path: str
    #: the config file to hand to ``ssh -F`` (None: ssh's own default)
    config_file: str | None

    def options(self, alias: str, user: str | None, port: int | None) -> _Options:
        raise NotImplementedError


class _ParamikoReader(_Reader):
    """paramiko's parser: one file, no ``Include``; the fallback without OpenSSH."""

    def __init__(self, config_path: str | None):
        self.config, self.path = load_config(config_path)
        self.config_file = os.path.expanduser(config_path) if config_path else None

    def _lookup(self, name: str) -> dict[str, object]:
        try:
            return dict(self.config.lookup(name))
        except Exception as exc:  # paramiko raises plain exceptions for Match it cannot do
            raise HostConfigError(
                f"Cannot apply the ssh config {self.path} to {name}: {exc}"
            ) from exc

    def options(self, alias: str, user: str | None, port: int | None) -> _Options:
        found = self._lookup(alias)
        identity = [str(name) for name in found.get("identityfile", [])]  # type: ignore[attr-defined]
        values = {key: str(value) for key, value in found.items() if key != "identityfile"}
        probe_name = _probe_name()
        probe = {
            key: str(value).replace(probe_name, alias)
            for key, value in self._lookup(probe_name).items()
        }
        mine = {key: str(value) for key, value in found.items()}
        named = _used(mine.items()) != _used(probe.items())
        return _Options(values, identity, bool(identity), named)


class _OpenSshReader(_Reader):
    """``ssh -G NAME`` (with ``-F`` when the console was given a config file)."""

    def __init__(self, ssh: str, config_path: str | None):
        self.ssh = ssh
        self.config_args, self.path, self.config_file = _openssh_config(config_path)

    def _run(self, name: str, user: str | None, port: int | None) -> subprocess.Popen:
        argv = [self.ssh, "-G", *self.config_args]
        if user:
            argv += ["-l", user]
        if port:
            argv += ["-p", str(port)]
        return subprocess.Popen(
            [*argv, "--", name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )

    def _answer(self, process: subprocess.Popen, name: str) -> list[tuple[str, str]]:
        try:
            out, err = process.communicate(timeout=SSH_G_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise HostConfigError(
                f"`ssh -G {name}` did not answer within {SSH_G_TIMEOUT_S:g} s "
                f"(a Match exec in {self.path}?)."
            ) from None
        if process.returncode != 0:
            lines = [
                line.strip()
                for line in err.splitlines()
                if line.strip() and not line.startswith("Pseudo-terminal")
            ]
            reason = lines[-1] if lines else f"exit status {process.returncode}"
            raise HostConfigError(f"ssh cannot read the config {self.path}: {reason}")
        pairs = []
        for line in out.splitlines():
            key, _, value = line.partition(" ")
            pairs.append((key.lower(), value.strip()))
        return pairs

    def options(self, alias: str, user: str | None, port: int | None) -> _Options:
        probe_name = _probe_name()
        mine = self._run(alias, user, port)
        probe = self._run(probe_name, user, port)
        pairs = self._answer(mine, alias)
        probe_pairs = [
            (key, value.replace(probe_name, alias)) for key, value in self._answer(probe, alias)
        ]
        values = {key: value for key, value in pairs if key != "identityfile"}
        identity = [value for key, value in pairs if key == "identityfile"]
        if values.get("hostname") == alias:
            values.pop("hostname")
        known_default = _openssh_default_known_hosts()
        if values.get("userknownhostsfile") == known_default:
            values.pop("userknownhostsfile")
        configured = identity != _openssh_default_identities(self.ssh)
        named = _used(pairs) != _used(probe_pairs)
        return _Options(values, identity if configured else [], configured, named)


def _probe_name() -> str:
    """A name no block of anyone's config mentions (see the module's docstring)."""
    return f"awsconsole-unnamed-{uuid.uuid4().hex[:12]}.invalid"


def _used(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (keyword, value) pairs the console acts on, in a comparable order."""
    return sorted((key, value) for key, value in pairs if key in USED_OPTIONS)


def _openssh_config(config_path: str | None) -> tuple[list[str], str, str | None]:
    """(``-F`` arguments, the path for messages, the file for ``ssh -F``).

    ssh finds ``~`` through the password database, not ``$HOME``; the console's other files
    follow ``$HOME``. When the two differ (a test, ``HOME=… awsconsole``), the config under
    ``$HOME`` is handed over with ``-F``, which also leaves out the system-wide config.
    """
    if config_path is not None:
        path = os.path.expanduser(config_path)
        if not os.path.exists(path):
            raise HostConfigError(f"The ssh config file {path} does not exist.")
        return ["-F", path], path, path
    path = os.path.expanduser(DEFAULT_CONFIG_PATH)
    if ssh_home_is_home():
        return [], path, None
    given = path if os.path.exists(path) else os.devnull
    return ["-F", given], path, given


@functools.cache
def _openssh_default_identities(ssh: str) -> list[str]:
    """The key names ssh tries when no IdentityFile is configured (its version's list)."""
    result = subprocess.run(
        [ssh, "-G", "-F", os.devnull, "--", "awsconsole-defaults.invalid"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SSH_G_TIMEOUT_S,
        check=False,
    )
    return [
        line.partition(" ")[2].strip()
        for line in result.stdout.splitlines()
        if line.lower().startswith("identityfile ")
    ]


def _openssh_default_known_hosts() -> str:
    """``ssh -G``'s UserKnownHostsFile when none is configured."""
    try:
        home = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return ""
    return f"{home}/.ssh/known_hosts {home}/.ssh/known_hosts2"


def load_config(config_path: str | None) -> tuple[paramiko.SSHConfig, str]:
    """Parse the ssh config file with paramiko; a missing default file is an empty config.

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


def openssh_client() -> str | None:
    """The ``ssh`` program on PATH, if OpenSSH's client is installed."""
    return shutil.which("ssh")


# --- resolving ---------------------------------------------------------------------------------


def resolve(target: str, config_path: str | None = None) -> SshTarget:
    """Resolve ``target`` against the ssh config (``ssh -G target`` shows the same values).

    Uses ``ssh -G`` when OpenSSH's client is on PATH, paramiko's parser otherwise.
    Raises HostConfigError for an unknown alias (not in the config and not a resolvable host
    name), IdentityFiles none of which exist, an unsupported ProxyCommand, or a ProxyJump
    loop.
    """
    ssh = openssh_client()
    reader: _Reader = _OpenSshReader(ssh, config_path) if ssh else _ParamikoReader(config_path)
    return _resolve(target, reader, seen=())


def _resolve(
    spec: str,
    reader: _Reader,
    seen: tuple[str, ...],
    follow_jumps: bool = True,
) -> SshTarget:
    user, alias, port = split_destination(spec)
    if alias in seen:
        chain = " -> ".join((*seen, alias))
        raise HostConfigError(f"ProxyJump loop in {reader.path}: {chain}")
    options = reader.options(alias, user, port)
    if not options.named and not _resolvable(alias):
        raise HostConfigError(
            f"Unknown SSH host alias {alias!r}: it is not in {reader.path} and does not "
            "resolve as a host name.",
            hint=f"Add a 'Host {alias}' entry with HostName, User and IdentityFile to "
            f"{reader.path}.",
        )
    hostname = options.get("hostname", alias)
    remote_user = user or options.get("user", "") or getpass.getuser()
    remote_port = port or int(options.get("port", "22"))
    identity_files = _identity_files(
        options, alias, reader.path, _token_expander(alias, hostname, remote_user, remote_port)
    )
    if options.get("proxycommand", "none").lower() != "none" and "proxyjump" not in options.values:
        raise HostConfigError(
            f"SSH host {alias!r} uses ProxyCommand, which the console does not run; "
            "use ProxyJump instead."
        )
    known_hosts = options.values.get("userknownhostsfile")
    target = SshTarget(
        alias=alias,
        hostname=hostname,
        port=remote_port,
        user=remote_user,
        identity_files=identity_files,
        identities_only=_yes(options.get("identitiesonly", "no")),
        connect_timeout=_seconds(options.get("connecttimeout", "none"))
        or DEFAULT_CONNECT_TIMEOUT_S,
        keepalive_interval=int(_seconds(options.get("serveraliveinterval", "0")))
        or DEFAULT_KEEPALIVE_S,
        hash_known_hosts=_yes(options.get("hashknownhosts", "no")),
        compression=_yes(options.get("compression", "no")),
        config_known_hosts=os.path.expanduser(known_hosts.split()[0]) if known_hosts else None,
        strict_host_key_checking=STRICT_VALUES.get(
            options.get("stricthostkeychecking", "ask").lower(), "ask"
        ),
        config_file=reader.config_file,
    )
    jump_spec = options.get("proxyjump", "none")
    if jump_spec.lower() == "none" or not follow_jumps:
        return target
    return replace(target, jumps=_resolve_jumps(jump_spec, reader, (*seen, alias)))


def _identity_files(
    options: _Options, alias: str, path: str, expand: Callable[[str], str]
) -> tuple[str, ...]:
    """The configured IdentityFiles that exist, ``~`` and ``%`` tokens expanded (ssh skips a
    missing one with a warning). When every configured file is missing the host cannot log
    in as configured: that is an error naming them."""
    configured = [os.path.expanduser(expand(name)) for name in options.identity_files]
    present = tuple(name for name in configured if os.path.isfile(name))
    if configured and not present:
        missing = ", ".join(configured)
        raise HostConfigError(
            f"The IdentityFile {missing} of SSH host {alias!r} does not exist.",
            hint=f"Fix the IdentityFile line of 'Host {alias}' in {path}.",
        )
    return present


def _token_expander(alias: str, hostname: str, user: str, port: int) -> Callable[[str], str]:
    """``%h``-style tokens of an IdentityFile, as ssh expands them (``ssh -G`` prints them
    unexpanded); an unknown token is left as written."""
    local = socket.gethostname()
    tokens = {
        "%": "%",
        "d": os.path.expanduser("~"),
        "h": hostname,
        "n": alias,
        "r": user,
        "p": str(port),
        "u": getpass.getuser(),
        "i": str(os.getuid()),
        "l": local,
        "L": local.split(".")[0],
    }

    def expand(text: str) -> str:
        out, index = [], 0
        while index < len(text):
            char = text[index]
            if char == "%" and index + 1 < len(text) and text[index + 1] in tokens:
                out.append(tokens[text[index + 1]])
                index += 2
            else:
                out.append(char)
                index += 1
        return "".join(out)

    return expand


def _yes(value: str) -> bool:
    return value.lower() in ("yes", "true")


def _seconds(value: str) -> float:
    """A time value of ssh's config (``30``, ``none``); 0 for none."""
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def _resolve_jumps(jump_spec: str, reader: _Reader, seen: tuple[str, ...]) -> tuple[SshTarget, ...]:
    """The full hop chain for ``ProxyJump a,b``, first hop first.

    Like ``ssh -J a,b``: ``a`` is reached as its own config says (its own ProxyJump
    included), ``b`` through ``a`` (``b``'s own ProxyJump is not used). Every hop carries the
    hops before it in ``jumps``, so each hop is itself a pooled connection target and the
    connection to the destination goes through ``jumps[-1]``.
    """
    chain: list[SshTarget] = []
    specs = [part.strip() for part in jump_spec.split(",") if part.strip()]
    for index, hop_spec in enumerate(specs):
        hop = _resolve(hop_spec, reader, seen, follow_jumps=index == 0)
        if index == 0:
            chain.extend(hop.jumps)
        else:
            hop = replace(hop, jumps=tuple(chain))
        chain.append(hop)
    return tuple(chain)


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
