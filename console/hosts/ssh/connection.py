"""SSH connections: one authenticated transport per destination, shared by threads.

A ``Connection`` connects lazily (through its jump hosts, each a pooled connection too),
checks the host key against known_hosts with a policy that refuses unknown keys, turns
every paramiko failure into a ``HostError`` a person can act on, and replaces a transport
that died. paramiko's Transport is safe to share between threads; its SFTP client is not,
so a connection lends SFTP sessions from a small pool (one per concurrent user, at most
``SFTP_SESSIONS``) instead of serialising every file operation behind one lock: with 8
threads on a 40 ms round trip the pool ran ``stat`` about 4x faster (bench/ssh_transfer.py).

Every session channel (a command or an SFTP session) takes a slot of the connection's
channel budget (``MAX_CHANNELS``, below sshd's MaxSessions): a thread that finds every slot
taken waits for one instead of being refused by the server or opening a second connection.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator

import paramiko

from console.errors import (
    AuthenticationError,
    ChangedHostKeyError,
    HostConfigError,
    HostError,
    HostUnreachableError,
    UnknownHostKeyError,
)
from console.hosts.interactive import SshOptions, ssh_argv, ssh_home_is_home
from console.hosts.ssh.config import DEFAULT_KNOWN_HOSTS_PATH, SshTarget
from console.hosts.ssh.knownhosts import add_known_host, fingerprint

# paramiko logs what it meets on its own threads (a port that answers HTTP: "Exception
# (client): Error reading SSH protocol banner" and a traceback). Every such failure reaches
# the caller as a HostError already; with no handler, Python's last-resort handler would
# print the log lines over the console or a command's output. Nothing of paramiko's is
# shown, whatever the root logger is given.
_paramiko_log = logging.getLogger("paramiko")
_paramiko_log.addHandler(logging.NullHandler())
_paramiko_log.propagate = False

#: Session channels (commands and SFTP sessions together) one connection keeps open at once.
#: OpenSSH's sshd refuses channels beyond MaxSessions, 10 by default, per connection. It
#: frees a session we closed a moment later (after its process is reaped, in a later turn of
#: its loop), so a burst of close-then-open can still be refused: those are retried.
MAX_CHANNELS = 8
#: SFTP sessions one connection may hold at once (idle ones included); they count against
#: the channel budget, and an idle one is closed when a command needs its slot.
SFTP_SESSIONS = 4
#: How long a caller waits for a channel slot (or for a server that refused a channel to
#: accept it) before giving up with HostError.
CHANNEL_WAIT_S = 120.0
#: A refused channel with none of ours open to wait for: sessions we closed may still be
#: ending on the server, so retry this long before taking the refusal as final.
REFUSED_RETRY_S = 3.0


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """What to do with a key known_hosts does not have, as ``StrictHostKeyChecking`` says:
    "ask" and "yes" refuse it with what the user needs to decide (never trusted on first
    sight); "accept-new" and "no" add it to known_hosts, as ssh does."""

    def __init__(self, target: SshTarget, known_hosts_path: str):
        self.target = target
        self.known_hosts_path = known_hosts_path

    def missing_host_key(self, client, hostname, key):  # noqa: ANN001 - paramiko's signature
        strict = self.target.strict_host_key_checking
        if strict in ("accept-new", "no"):
            add_known_host(
                self.known_hosts_path,
                hostname,
                key.get_name(),
                key.get_base64(),
                hashed=self.target.hash_known_hosts,
            )
            client.get_host_keys().add(hostname, key.get_name(), key)
            return
        raise UnknownHostKeyError(
            hostname=hostname,
            key_type=key.get_name(),
            fingerprint=fingerprint(key.get_base64()),
            key_base64=key.get_base64(),
            known_hosts_path=self.known_hosts_path,
            hashed=self.target.hash_known_hosts,
            acceptable=strict != "yes",
        )


def ssh_command_for(target: SshTarget, known_hosts_path: str) -> str:
    """The ``ssh`` line that reaches ``target`` as this console does (same config file,
    known_hosts, user and port) and runs ``true``: where ssh asks about an unknown key."""
    host = f"[{target.alias}]" if ":" in target.alias else target.alias
    # ssh finds its default file under its own idea of home: name ours unless both agree
    default = os.path.expanduser(DEFAULT_KNOWN_HOSTS_PATH)
    implied = known_hosts_path == default and ssh_home_is_home()
    options = SshOptions(
        target=f"{target.user}@{host}:{target.port}",
        config_path=target.config_file,
        known_hosts_path=None if implied else known_hosts_path,
    )
    return shlex.join([*ssh_argv(options, tty=False), "true"])


# --- connections ---------------------------------------------------------------------------


class Connection:
    """One authenticated transport to one destination, shared by every thread that needs it.

    ``transport()`` connects lazily and reconnects when the previous transport died
    (keepalive noticed, or the server side went away).
    """

    def __init__(
        self,
        pool: ConnectionPool,
        target: SshTarget,
        known_hosts_path: str,
        max_channels: int = MAX_CHANNELS,
    ):
        if max_channels < 1:
            raise ValueError("a connection needs at least one channel")
        self.pool = pool
        self.target = target
        self.known_hosts_path = known_hosts_path
        self.max_channels = max_channels
        self._lock = threading.Lock()
        self._client: paramiko.SSHClient | None = None
        self._generation = 0
        # One condition guards the channel budget and the SFTP pool: a command waiting for
        # a slot may take the one an idle SFTP session holds.
        self._cond = threading.Condition()
        self._channels_open = 0
        #: the most channels this connection ever had open at once (what sshd counted)
        self.most_channels_open = 0
        self._sftp_idle: list[tuple[int, paramiko.SFTPClient, ChannelSlot]] = []
        self._sftp_busy = 0

    # -- transport --

    def transport(self) -> paramiko.Transport:
        """The live transport, connecting first if needed.

        Raises HostUnreachableError, UnknownHostKeyError, ChangedHostKeyError,
        AuthenticationError, HostConfigError.
        """
        with self._lock:
            client = self._client
            transport = client.get_transport() if client else None
            if transport is None or not transport.is_active():
                self._drop_locked()
                try:
                    client = self._connect()
                except UnknownHostKeyError as exc:
                    # set at every level a jump host's error passes: the outermost, the
                    # destination the user named, is the one whose ssh asks about every hop
                    exc.ssh_command = ssh_command_for(self.target, self.known_hosts_path)
                    raise
                self._client = client
                self._generation += 1
                transport = client.get_transport()
            assert transport is not None
            return transport

    def is_alive(self) -> bool:
        client = self._client
        transport = client.get_transport() if client else None
        return bool(transport and transport.is_active())

    def drop(self) -> None:
        """Close the transport; the next ``transport()`` call connects again."""
        with self._lock:
            self._drop_locked()

    def _drop_locked(self) -> None:
        with self._cond:
            idle, self._sftp_idle = self._sftp_idle, []
        for _, sftp, slot in idle:
            _close_sftp(sftp, slot)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    def _open_socket(self) -> socket.socket | paramiko.Channel:
        target = self.target
        where = f"{target.alias} ({target.hostname}:{target.port})"
        if target.jumps:
            hop = self.pool.connection(target.jumps[-1], self.known_hosts_path)
            for attempt in (1, 2):
                try:
                    return hop.transport().open_channel(
                        "direct-tcpip",
                        (target.hostname, target.port),
                        ("127.0.0.1", 0),
                        timeout=target.connect_timeout,
                    )
                except (paramiko.SSHException, OSError, EOFError) as exc:
                    # A hop that died unnoticed is reconnected once; a live hop that
                    # cannot reach the target is the answer.
                    if attempt == 2 or hop.is_alive():
                        raise HostUnreachableError(
                            f"Cannot reach {where} through the jump host {hop.target.alias}: "
                            f"{exc or type(exc).__name__}"
                        ) from exc
        try:
            sock = socket.create_connection(
                (target.hostname, target.port), timeout=target.connect_timeout
            )
            # Commands are small request/answer exchanges: without this, Nagle's algorithm
            # meets delayed ACKs and every command waits ~40 ms (measured: 52 ms -> 4 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except socket.gaierror as exc:
            raise HostUnreachableError(
                f"Cannot resolve the host name {target.hostname} of {target.alias}: {exc.strerror}"
            ) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise HostUnreachableError(f"Cannot reach {where}: {reason}") from exc

    def _connect(self) -> paramiko.SSHClient:
        target = self.target
        sock = self._open_socket()
        client = paramiko.SSHClient()
        if os.path.exists(self.known_hosts_path):
            try:
                client.load_system_host_keys(self.known_hosts_path)
            except (OSError, paramiko.SSHException) as exc:
                sock.close()
                raise HostConfigError(
                    f"Cannot read known_hosts {self.known_hosts_path}: {exc}"
                ) from exc
        client.set_missing_host_key_policy(_HostKeyPolicy(target, self.known_hosts_path))
        try:
            client.connect(
                target.hostname,
                port=target.port,
                username=target.user,
                sock=sock,
                key_filename=list(target.identity_files) or None,
                # OpenSSH tries its default keys only when no IdentityFile is configured,
                # and IdentitiesOnly keeps agent keys out.
                look_for_keys=not target.identity_files and not target.identities_only,
                allow_agent=not target.identities_only,
                compress=target.compression,
                timeout=target.connect_timeout,
                banner_timeout=target.connect_timeout,
                auth_timeout=target.connect_timeout,
            )
        except HostError:  # an unknown key refused, or an accepted one that could not be saved
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise ChangedHostKeyError(
                hostname=target.known_hosts_name,
                key_type=exc.key.get_name(),
                fingerprint=fingerprint(exc.key.get_base64()),
                known_fingerprint=fingerprint(exc.expected_key.get_base64()),
                known_hosts_path=self.known_hosts_path,
            ) from exc
        except paramiko.PasswordRequiredException as exc:
            client.close()
            raise AuthenticationError(
                f"A key for {target.destination} is encrypted: {exc}",
                hint="Add it to ssh-agent with `ssh-add`, then retry.",
            ) from exc
        except paramiko.AuthenticationException as exc:
            client.close()
            tried = ", ".join(target.identity_files) or "ssh-agent and the default keys"
            raise AuthenticationError(
                f"{target.destination} ({target.alias}) refused the login: {exc}. Tried: {tried}."
            ) from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            transport = client.get_transport()
            handshake_done = transport is not None and transport.is_active()
            client.close()
            if handshake_done:
                # The server answered and checked our key; the login itself failed, e.g.
                # "No authentication methods available" (no key file, no agent key).
                raise AuthenticationError(
                    f"Cannot log in to {target.destination} ({target.alias}): {exc}",
                    hint="Give the host an IdentityFile in the ssh config, or add a key to "
                    "ssh-agent.",
                ) from exc
            where = f"{target.alias} ({target.hostname}:{target.port})"
            if "protocol banner" in str(exc):
                raise HostUnreachableError(
                    f"{where} did not answer as an SSH server (no SSH banner): is "
                    f"{target.port} the SSH port of the host?"
                ) from exc
            raise HostUnreachableError(
                f"SSH handshake with {where} failed: {exc or type(exc).__name__}"
            ) from exc
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(target.keepalive_interval)
        return client

    # -- channel budget --

    def reserve_channel(self, deadline: float | None = None) -> ChannelSlot:
        """A slot for one more session channel, waiting while ``max_channels`` are open.

        An idle SFTP session is closed to make room rather than waited for. Raises HostError
        when no slot came free by ``deadline`` (time.monotonic(); default CHANNEL_WAIT_S).
        """
        if deadline is None:
            deadline = time.monotonic() + CHANNEL_WAIT_S
        evicted: list[paramiko.SFTPClient] = []
        try:
            with self._cond:
                while self._channels_open >= self.max_channels:
                    if self._sftp_idle:
                        _, sftp, slot = self._sftp_idle.pop(0)  # the longest idle
                        slot.release()  # the condition's lock is re-entrant
                        evicted.append(sftp)
                        continue
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise HostError(
                            f"All {self.max_channels} channels of the connection to "
                            f"{self.target.alias} stayed busy: no command or file operation "
                            "could start.",
                            hint="Close some log views, monitors or transfers on this host, "
                            "then retry.",
                        )
                    self._cond.wait(remaining)
                self._channels_open += 1
                self.most_channels_open = max(self.most_channels_open, self._channels_open)
                return ChannelSlot(self)
        finally:
            for sftp in evicted:  # closed outside the lock: closing talks to the server
                with contextlib.suppress(Exception):
                    sftp.close()

    def _release_channel(self) -> None:
        with self._cond:
            self._channels_open -= 1
            self._cond.notify_all()

    def open_channel(
        self, start: Callable[[paramiko.Channel], object]
    ) -> tuple[paramiko.Channel, ChannelSlot]:
        """A new session channel within the budget, started by ``start`` (``exec_command``,
        ``invoke_subsystem``), and the slot to release once the channel is closed.

        A channel the server refuses (its MaxSessions is lower than our budget, or sessions
        we closed are still ending there) is retried on this same connection as soon as one
        of ours closes; never on a new connection. Raises HostError when the refusal
        outlasts the wait, the connection errors of ``transport()``, and paramiko's errors
        (SSHException, OSError, EOFError) when the transport fails, for the caller to tell a
        dead connection apart.
        """
        deadline = time.monotonic() + CHANNEL_WAIT_S
        refused_since: float | None = None
        pause = 0.05
        while True:
            slot = self.reserve_channel(deadline)
            try:
                transport = self.transport()
            except BaseException:
                slot.release()
                raise
            try:
                channel = transport.open_session(timeout=self.target.connect_timeout)
            except paramiko.SSHException as exc:
                slot.release()
                if not transport.is_active():
                    raise  # the connection died: the caller reconnects
                # The server refused the channel. paramiko keeps one refusal per transport,
                # so among threads refused together some see a plain "Unable to open
                # channel." instead of the ChannelException: both mean the same here.
                now = time.monotonic()
                with self._cond:
                    others_open = self._channels_open > 0
                refused_since = refused_since or now
                if now > deadline or (not others_open and now - refused_since > REFUSED_RETRY_S):
                    raise HostError(
                        f"{self.target.alias} refused a new session channel: {exc}",
                        hint="The server's MaxSessions may be lower than this console's "
                        "channel budget.",
                    ) from exc
                with self._cond:  # woken early when one of ours closes
                    self._cond.wait(pause)
                pause = min(pause * 2, 1.0)
                continue
            except BaseException:
                slot.release()
                raise
            try:
                start(channel)
            except BaseException:
                channel.close()
                slot.release()
                raise
            return channel, slot

    # -- sftp sessions --

    @property
    def sftp_sessions(self) -> int:
        """How many SFTP sessions this connection may hold (at most its channel budget)."""
        return min(SFTP_SESSIONS, self.max_channels)

    @contextlib.contextmanager
    def sftp(self) -> Iterator[paramiko.SFTPClient]:
        """Borrow an SFTP session for one operation (opened on demand, at most
        ``sftp_sessions``, each within the channel budget).

        A session that saw an exception is closed rather than returned (its request stream
        may be out of step), except after a plain "no such file" or "permission denied"
        answer, which ends its request cleanly: a log follower waiting for a file to appear
        must not reopen a session on every poll.
        """
        self.transport()
        generation = self._generation
        stale: list[tuple[int, paramiko.SFTPClient, ChannelSlot]] = []
        with self._cond:
            while True:
                while self._sftp_idle and self._sftp_idle[-1][0] != self._generation:
                    stale.append(self._sftp_idle.pop())  # left over from a dead transport
                if self._sftp_idle:
                    _, sftp, slot = self._sftp_idle.pop()
                    break
                if self._sftp_busy < self.sftp_sessions:
                    sftp, slot = None, None
                    break
                self._cond.wait()
            self._sftp_busy += 1
        for _, old, old_slot in stale:
            _close_sftp(old, old_slot)
        try:
            if sftp is None:
                channel, slot = self.open_channel(lambda channel: channel.invoke_subsystem("sftp"))
                try:
                    sftp = paramiko.SFTPClient(channel)
                except BaseException:
                    channel.close()
                    slot.release()
                    slot = None
                    raise
            yield sftp
        except BaseException as exc:
            clean_answer = isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.EACCES)
            self._give_back(sftp, slot, generation, keep=clean_answer)
            raise
        else:
            self._give_back(sftp, slot, generation, keep=True)

    def _give_back(
        self,
        sftp: paramiko.SFTPClient | None,
        slot: ChannelSlot | None,
        generation: int,
        keep: bool,
    ) -> None:
        with self._cond:
            self._sftp_busy -= 1
            kept = keep and sftp is not None and slot is not None
            kept = kept and generation == self._generation
            if kept:
                self._sftp_idle.append((generation, sftp, slot))
            self._cond.notify_all()
        if not kept and sftp is not None and slot is not None:
            _close_sftp(sftp, slot)


class ChannelSlot:
    """One channel of a connection's budget; ``release()`` gives it back (once, however
    often it is called, from any thread)."""

    def __init__(self, connection: Connection):
        self._connection: Connection | None = connection
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection._release_channel()


def _close_sftp(sftp: paramiko.SFTPClient, slot: ChannelSlot) -> None:
    with contextlib.suppress(Exception):
        sftp.close()
    slot.release()


class ConnectionPool:
    """One ``Connection`` per resolved destination (jump hosts are pooled too), each keeping
    at most ``max_channels`` session channels open (lower it for servers whose MaxSessions
    is below 10)."""

    def __init__(self, max_channels: int = MAX_CHANNELS) -> None:
        if max_channels < 1:
            raise ValueError("a connection needs at least one channel")
        self.max_channels = max_channels
        self._lock = threading.Lock()
        self._connections: dict[tuple, Connection] = {}

    def connection(self, target: SshTarget, known_hosts_path: str) -> Connection:
        key = (target.pool_key(), known_hosts_path)
        with self._lock:
            connection = self._connections.get(key)
            if connection is None:
                connection = Connection(self, target, known_hosts_path, self.max_channels)
                self._connections[key] = connection
            return connection

    def close_all(self) -> None:
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            connection.drop()


#: the pool every SshHost uses unless given its own
DEFAULT_POOL = ConnectionPool()
