"""A host reached over SSH with paramiko: one pooled connection, strict host keys.

How a remote command is built: the argument list is quoted with ``shlex.join`` and put
after a fixed preamble, ``cd -- DIR && printf 'awsconsole-pid:%s\\n' "$$" && exec env K=V
ARGV…``. Nothing the caller passes is ever pasted into the line unquoted. The printed pid
(the login shell, which ``exec`` turns into the command, and which sshd made a process group
leader) lets a timeout or a cancel kill the whole remote process group, as ``LocalHost``
does locally; it is stripped from the output. Its absence means the preamble failed
(``cd`` to a missing directory).

Connections (pooled, shared by threads, reconnecting, with a budget of open channels) live
in ``sshconnection.py``. Every command holds one channel slot until its channel is closed.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import select
import shlex
import stat as stat_module
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

import paramiko

from console.errors import (
    CommandTimeoutError,
    HostError,
    HostUnreachableError,
    RemoteFileError,
    UnknownHostKeyError,
)
from console.hosts.argv import check_argv, check_env
from console.hosts.base import CommandStream, Host, Progress
from console.hosts.filestat import file_error, file_stat
from console.hosts.ssh import config as sshconfig
from console.hosts.ssh.config import SshTarget
from console.hosts.ssh.connection import DEFAULT_POOL, ChannelSlot, Connection, ConnectionPool
from console.hosts.ssh.knownhosts import trust_host_key

__all__ = ["ConnectionPool", "SshHost", "remote_command_line"]
from console.models import CommandResult, FileStat

_PID_MARKER = b"awsconsole-pid:"
_STDERR_TAIL = 64 * 1024
T = TypeVar("T")


# --- remote command lines ------------------------------------------------------------------


def remote_command_line(
    argv: Sequence[str], cwd: str | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The shell line a remote command becomes; every piece is quoted with shlex.

    ``cd -- DIR && printf 'awsconsole-pid:%s\\n' "$$" && exec env K=V … ARGV…``
    (``cd`` only with a cwd, ``env`` only with variables). A cwd of ``~`` or ``~/…`` keeps
    its tilde unquoted so the remote shell expands it to the remote home.
    """
    argv = check_argv(argv)
    if env and "=" in argv[0]:
        raise ValueError(f"env would read the command name {argv[0]!r} as a variable")
    parts: list[str] = []
    if cwd is not None:
        parts.append(f"cd -- {_quote_path(cwd)}")
    parts.append(f"printf '{_PID_MARKER.decode()}%s\\n' \"$$\"")
    command = ["env", *(f"{key}={value}" for key, value in check_env(env).items()), *argv]
    parts.append("exec " + shlex.join(command if env else argv))
    return " && ".join(parts)


def _quote_path(path: str) -> str:
    if path == "~":
        return "~"
    if path.startswith("~/"):
        return "~/" + shlex.quote(path[2:])
    return shlex.quote(path)


class _PidSplitter:
    """Separates the ``awsconsole-pid:N`` line (and any login noise before it) from output."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.found = False
        self._head = b""

    def feed(self, data: bytes) -> bytes:
        if self.found:
            return data
        self._head += data
        start = self._head.find(_PID_MARKER)
        if start < 0 or b"\n" not in self._head[start:]:
            return b""
        end = self._head.index(b"\n", start)
        pid_text = self._head[start + len(_PID_MARKER) : end]
        self.pid = int(pid_text) if pid_text.isdigit() else None
        self.found = True
        rest, self._head = self._head[end + 1 :], b""
        return rest

    def leftover(self) -> bytes:
        """What arrived when the marker never came (the preamble failed)."""
        return self._head


# --- the host ------------------------------------------------------------------------------


class SshHost(Host):
    """A host reached with ssh, configured by ~/.ssh/config and trusted by known_hosts.

    ``target`` is an alias of the config or ``[user@]host[:port]``. ``config_path`` and
    ``known_hosts_path`` default to ``~/.ssh/config`` and ``~/.ssh/known_hosts`` (or the
    config's UserKnownHostsFile). Nothing connects until the first command or file call.

    Raises HostConfigError from the constructor for an unknown alias or a missing key file.
    """

    def __init__(
        self,
        target: str,
        *,
        config_path: str | None = None,
        known_hosts_path: str | None = None,
        name: str | None = None,
        pool: ConnectionPool | None = None,
    ):
        self.target_spec = target
        self.config_path = config_path
        self.target: SshTarget = sshconfig.resolve(target, config_path)
        self.known_hosts_path = os.path.expanduser(
            known_hosts_path or self.target.config_known_hosts or sshconfig.DEFAULT_KNOWN_HOSTS_PATH
        )
        self.known_hosts_explicit = known_hosts_path is not None
        self.name = name or target
        self._pool = pool or DEFAULT_POOL
        self._home: str | None = None

    def __repr__(self) -> str:
        return f"SshHost({self.target_spec!r} -> {self.target.destination})"

    @property
    def _conn(self) -> Connection:
        return self._pool.connection(self.target, self.known_hosts_path)

    def connect(self) -> None:
        """Open the connection now (to surface host-key or login problems early)."""
        self._conn.transport()

    def close(self) -> None:
        """Close this destination's connection; the next call reconnects."""
        self._conn.drop()

    def accept_host_key(self, error: UnknownHostKeyError) -> None:
        """Trust the key of ``error`` after the user compared its fingerprint.

        Appends it to this host's known_hosts file (``ssh-keygen``-compatible; hashed when the
        config says ``HashKnownHosts yes``). Works for a jump host's key as well: the error
        names the host the key belongs to. Raises HostConfigError if the file is not writable.
        """
        trust_host_key(error, self.known_hosts_path, hashed=self.target.hash_known_hosts)

    # --- commands ----------------------------------------------------------------------

    def _open_command(self, line: str) -> tuple[paramiko.Channel, ChannelSlot]:
        """A channel running ``line`` and its slot of the channel budget (release it after
        closing the channel); waits for a free slot, retries once on a connection found dead.
        """
        # bytes that were not UTF-8 in a name (surrogate escapes) go as those bytes
        wire = line.encode("utf-8", "surrogateescape")
        for attempt in (1, 2):
            conn = self._conn
            try:
                return conn.open_channel(lambda channel: channel.exec_command(wire))
            except HostError:
                raise
            except (paramiko.SSHException, OSError, EOFError) as exc:
                if conn.is_alive():
                    raise HostError(f"{self.name}: cannot start a command: {exc}") from exc
                # No drop() here: another thread may already have reconnected, and
                # transport() replaces a dead transport by itself.
                if attempt == 2:
                    raise HostUnreachableError(
                        f"The connection to {self.name} dropped and could not be re-opened: {exc}"
                    ) from exc
        raise AssertionError("unreachable")

    def _kill_group(self, pid: int | None) -> None:
        """``kill -KILL -- -PID`` on the host: the command and everything it started."""
        if pid is None:
            return
        with contextlib.suppress(HostError, OSError, paramiko.SSHException, EOFError):
            channel, slot = self._open_command(shlex.join(["kill", "-KILL", "--", f"-{pid}"]))
            try:
                _send_eof(channel)
                channel.status_event.wait(10)
            finally:
                channel.close()
                slot.release()

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = 60.0,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> CommandResult:
        """Run ``argv`` on the host (``ssh HOST 'cd DIR && exec env K=V ARGV…'``).

        Raises CommandTimeoutError (the remote process group is killed and the channel
        closed), RemoteFileError when ``cwd`` does not exist, HostUnreachableError when the
        connection is lost mid-command, HostError when no channel of the connection came
        free in time (``sshconnection.CHANNEL_WAIT_S``), and the connection errors of
        ``connect``.
        """
        argv = check_argv(argv)
        line = remote_command_line(argv, cwd, env)
        deadline = None if timeout is None else time.monotonic() + timeout
        channel, slot = self._open_command(line)
        splitter = _PidSplitter()
        out, err = bytearray(), bytearray()
        try:
            _feed_stdin(channel, stdin)
            while True:
                while channel.recv_ready():
                    out += splitter.feed(channel.recv(65536))
                while channel.recv_stderr_ready():
                    err += channel.recv_stderr(65536)
                pending = channel.recv_ready() or channel.recv_stderr_ready()
                if not pending and (
                    channel.closed or (channel.eof_received and channel.status_event.is_set())
                ):
                    break
                wait = 0.5
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        # Our channel first: the kill needs a slot of the budget itself.
                        channel.close()
                        slot.release()
                        self._kill_group(splitter.pid)
                        raise CommandTimeoutError(
                            f"{shlex.join(argv)} on {self.name} did not finish within "
                            f"{timeout:g} s and was stopped."
                        )
                if channel.eof_received:
                    # Output is complete; the exit status (then the close) is on its way and
                    # does not wake select.
                    channel.status_event.wait(wait)
                else:
                    select.select([channel], [], [], wait)
            exit_code = channel.recv_exit_status()
            if not channel.status_event.is_set() or (exit_code == -1 and not self._conn.is_alive()):
                raise HostUnreachableError(
                    f"The connection to {self.name} was lost while running {shlex.join(argv)}."
                )
        finally:
            channel.close()
            slot.release()
        if not splitter.found:
            self._raise_preamble_failure(argv, cwd, bytes(err) + splitter.leftover())
        return CommandResult(tuple(argv), exit_code, bytes(out), bytes(err))

    def _raise_preamble_failure(self, argv: list[str], cwd: str | None, err: bytes) -> None:
        message = err.decode("utf-8", "replace").strip()
        if cwd is not None:
            raise RemoteFileError(
                f"Cannot run {argv[0]} in {cwd} on {self.name}: {message or 'no such directory'}"
            )
        raise HostError(f"{self.name}: the remote shell failed before {argv[0]}: {message}")

    def stream(
        self,
        argv: Sequence[str],
        *,
        cancel: threading.Event | None = None,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CommandStream:
        """Start ``argv`` on the host and stream its stdout (``ssh HOST 'exec ARGV…'``).

        Cancelling (``cancel`` set, or ``close()``) kills the remote process group.
        Iterating raises RemoteFileError when ``cwd`` does not exist; the last 64 KiB of
        stderr are kept in ``stderr``. Holds one channel of the connection's budget until
        it ends or is closed; raises HostError when none came free in time.
        """
        argv = check_argv(argv)
        channel, slot = self._open_command(remote_command_line(argv, cwd, env))
        try:
            _send_eof(channel)
        except BaseException:
            channel.close()
            slot.release()
            raise
        return _SshStream(self, argv, cwd, channel, slot, cancel or threading.Event())

    # --- files ---------------------------------------------------------------------------

    def _sftp_call(self, what: str, path: str, action: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run ``action`` with a pooled SFTP session; retry once if the connection had died.

        File errors (the connection is still alive) become RemoteFileError naming ``path``.
        """
        for attempt in (1, 2):
            conn = self._conn
            try:
                with conn.sftp() as sftp:
                    return action(_ByteNames(sftp))
            except HostError:
                raise
            except UnicodeError as exc:
                raise RemoteFileError(
                    f"Cannot {what} {path} on {self.name}: a name there is not UTF-8 text"
                ) from exc
            except (OSError, EOFError, paramiko.SSHException) as exc:
                if conn.is_alive():
                    raise file_error(what, path, exc, self.name) from exc
                # transport() (via sftp()) replaces the dead transport on the retry.
                if attempt == 2:
                    raise HostUnreachableError(
                        f"The connection to {self.name} dropped during {what} {path}: {exc}"
                    ) from exc
        raise AssertionError("unreachable")

    def home(self) -> str:
        """The remote home directory (what SFTP's ``realpath .`` answers at login)."""
        if self._home is None:
            self._home = self._sftp_call("resolve home", "~", lambda sftp: sftp.normalize("."))
        return self._home

    def expand(self, path: str) -> str:
        """``~`` and relative paths against the remote home; the result is absolute."""
        if path == "~":
            return self.home()
        if path.startswith("~/"):
            return posixpath.join(self.home(), path[2:])
        if not path.startswith("/"):
            return posixpath.join(self.home(), path)
        return path

    def stat(self, path: str) -> FileStat:
        """lstat over SFTP (``stat PATH`` without following links). Raises RemoteFileError."""
        full = self.expand(path)
        attrs = self._sftp_call("stat", full, lambda sftp: sftp.lstat(full))
        return file_stat(full, attrs)

    def listdir(self, path: str) -> list[FileStat]:
        """Entries of a directory, sorted by name (``ls -la PATH``). Raises RemoteFileError."""
        full = self.expand(path)
        entries = self._sftp_call("list", full, lambda sftp: sftp.listdir_attr(full))
        return sorted(
            (file_stat(posixpath.join(full, attrs.filename), attrs) for attrs in entries),
            key=lambda entry: entry.name,
        )

    def read_range(self, path: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes ``offset``…``offset+length`` (``tail -c +OFFSET PATH | head -c LENGTH``).

        Raises RemoteFileError. Large reads are pipelined (SFTP readv prefetch).
        """
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("offset and length must not be negative")
        full = self.expand(path)

        def read(sftp: paramiko.SFTPClient) -> bytes:
            with sftp.open(full, "rb") as handle:
                size = handle.stat().st_size or 0
                if size == 0:
                    # /proc and /sys files say 0 bytes and still hold text: read to the end
                    # (an empty regular file reads nothing either way)
                    handle.seek(offset)
                    return handle.read(length) if length is not None else handle.read()
                end = size if length is None else min(size, offset + length)
                if end <= offset:
                    return b""
                return b"".join(handle.readv([(offset, end - offset)]))

        return self._sftp_call("read", full, read)

    def write(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        """Write a file atomically: a temporary name in the same directory, then
        ``posix-rename`` over the final name (readers see the old or the new file, never
        half of one). Keeps the old file's mode unless ``mode`` is given.
        Raises RemoteFileError."""
        full = self.expand(path)

        def upload(sftp: paramiko.SFTPClient, temp: str) -> None:
            with sftp.open(temp, "wb") as handle:
                handle.set_pipelined(True)
                handle.write(data)

        self._atomic_upload("write", full, mode, upload)

    def put(self, local_path: str, remote_path: str, progress: Progress | None = None) -> None:
        """Copy a local file to the host (``scp LOCAL HOST:REMOTE``), atomically, keeping the
        local file's permission bits. ``progress(done, total)`` is called as bytes go.
        Raises RemoteFileError (also for a missing local file)."""
        full = self.expand(remote_path)
        try:
            local_mode = stat_module.S_IMODE(os.stat(local_path).st_mode)
        except OSError as exc:
            raise RemoteFileError(f"Cannot read {local_path}: {exc.strerror}") from exc

        def upload(sftp: paramiko.SFTPClient, temp: str) -> None:
            sftp.put(local_path, temp, callback=progress, confirm=True)

        self._atomic_upload("upload to", full, local_mode, upload)

    def _atomic_upload(
        self,
        what: str,
        full: str,
        mode: int | None,
        upload: Callable[[paramiko.SFTPClient, str], None],
    ) -> None:
        directory, name = posixpath.split(full)
        temp = posixpath.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")

        def action(sftp: paramiko.SFTPClient) -> None:
            try:
                final_mode = mode
                if final_mode is None:
                    with contextlib.suppress(OSError):
                        final_mode = stat_module.S_IMODE(sftp.stat(full).st_mode or 0)
                upload(sftp, temp)
                if final_mode is not None:
                    sftp.chmod(temp, final_mode)
                sftp.posix_rename(temp, full)
            except BaseException:
                with contextlib.suppress(Exception):
                    sftp.remove(temp)
                raise

        self._sftp_call(what, full, action)

    def get(self, remote_path: str, local_path: str, progress: Progress | None = None) -> None:
        """Copy a file of the host to a local path (``scp HOST:REMOTE LOCAL``) through a
        temporary local name, so ``local_path`` is never a partial file. Uses SFTP prefetch.
        Raises RemoteFileError."""
        full = self.expand(remote_path)
        directory, name = os.path.split(os.path.abspath(local_path))
        if not os.path.isdir(directory):
            raise RemoteFileError(
                f"Cannot download to {local_path}: {directory} is not a directory"
            )
        temp = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")

        def download(sftp: paramiko.SFTPClient) -> None:
            try:
                sftp.get(full, temp, callback=progress, prefetch=True)
                remote_mode = stat_module.S_IMODE(sftp.stat(full).st_mode or 0o644)
                os.chmod(temp, remote_mode)
                os.replace(temp, local_path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(temp)
                raise

        self._sftp_call("download", full, download)

    def makedirs(self, path: str) -> None:
        """``mkdir -p PATH`` over SFTP. Raises RemoteFileError (e.g. a file is in the way)."""
        full = self.expand(path)

        def make(sftp: paramiko.SFTPClient) -> None:
            current = "/"
            for part in [p for p in full.split("/") if p]:
                current = posixpath.join(current, part)
                try:
                    attrs = sftp.stat(current)
                except FileNotFoundError:
                    try:
                        sftp.mkdir(current)
                        continue
                    except OSError:
                        attrs = sftp.stat(current)  # made meanwhile by someone else?
                if not stat_module.S_ISDIR(attrs.st_mode or 0):
                    raise NotADirectoryError(20, f"{current} exists and is not a directory")

        self._sftp_call("create directory", full, make)

    def remove(self, path: str) -> None:
        """``rm PATH`` (one file, not a directory). Raises RemoteFileError."""
        full = self.expand(path)
        self._sftp_call("remove", full, lambda sftp: sftp.remove(full))

    def realpath(self, path: str) -> str:
        """``realpath -m PATH`` on the host: SFTP's own resolver (``normalize``), which
        follows every link but wants all but the last component to exist; below a missing
        folder the rest is resolved here the same way. Raises RemoteFileError."""
        full = self.expand(path)
        return self._sftp_call("resolve", full, lambda sftp: _sftp_realpath(sftp, full, 0))


#: links followed while resolving one path (the kernel's own limit)
_MAX_LINK_HOPS = 40


class _ByteNames:
    """An SFTP client whose path arguments may name files that are not UTF-8 text.

    A host's names are bytes; the console holds them as text with the bytes that were not
    UTF-8 as surrogate escapes (``os.fsdecode``), which paramiko cannot encode. Such an
    argument is handed to paramiko as the bytes it stands for; every other one as it is.
    """

    def __init__(self, sftp: paramiko.SFTPClient):
        self._sftp = sftp

    def __getattr__(self, name: str):
        attribute = getattr(self._sftp, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            return attribute(*(_wire_name(arg) for arg in args), **kwargs)

        return call


def _wire_name(value: object) -> object:
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape")
    return value


def _sftp_realpath(sftp: paramiko.SFTPClient, path: str, hops: int) -> str:
    """``path`` resolved on the SFTP server, links followed, missing parts kept."""
    try:
        return sftp.normalize(path)
    except FileNotFoundError:
        pass  # a missing folder on the way: resolve its parent, then this name
    parent, name = posixpath.split(path.rstrip("/") or "/")
    if name in ("", "."):
        return _sftp_realpath(sftp, parent, hops) if name else "/"
    if name == "..":
        return posixpath.dirname(_sftp_realpath(sftp, parent, hops))
    base = _sftp_realpath(sftp, parent, hops)
    here = posixpath.join(base, name)
    try:
        is_link = stat_module.S_ISLNK(sftp.lstat(here).st_mode or 0)
    except FileNotFoundError:
        return here
    if not is_link:
        return here
    if hops >= _MAX_LINK_HOPS:
        raise OSError(40, f"too many levels of symbolic links at {here}")
    target = sftp.readlink(here) or ""
    return _sftp_realpath(sftp, posixpath.join(base, target), hops + 1)


def _send_eof(channel: paramiko.Channel) -> None:
    """``channel.shutdown_write()`` whose EOF can never reach the server after our CLOSE.

    paramiko marks the EOF as sent under the channel's lock but sends it after letting go;
    when the command has just ended, the transport thread can answer the server's CLOSE in
    between. sshd frees a channel once both CLOSEs have passed, and an EOF naming a freed
    channel makes it drop the whole connection ("ieof packet referred to nonexistent
    channel"): every other command on it failed and the host reconnected. So the EOF is
    built and sent while holding the transport's send lock, the one the transport thread's
    CLOSE must take too; a channel already closed gets none (its CLOSE carried one).
    """
    transport = channel.get_transport()
    if transport is None:
        return
    deadline = time.monotonic() + transport.clear_to_send_timeout
    while True:  # as paramiko's _send_user_message: never send during a key exchange
        transport.clear_to_send.wait(0.1)
        if not transport.is_active():
            return
        transport.clear_to_send_lock.acquire()
        if transport.clear_to_send.is_set():
            break
        transport.clear_to_send_lock.release()
        if time.monotonic() > deadline:
            raise paramiko.SSHException("Key exchange timed out before stdin could be closed")
    try:
        with channel.lock:
            message = None if channel.closed else channel._send_eof()
        if message is not None:
            transport._send_message(message)
    finally:
        transport.clear_to_send_lock.release()


def _feed_stdin(channel: paramiko.Channel, stdin: bytes | None) -> None:
    """Send stdin from a thread, so a command that writes much before reading cannot
    deadlock against us, then signal EOF."""
    if not stdin:
        _send_eof(channel)
        return

    def send() -> None:
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            channel.sendall(stdin)
            _send_eof(channel)

    threading.Thread(target=send, name="ssh-stdin", daemon=True).start()


class _SshStream(CommandStream):
    def __init__(
        self,
        host: SshHost,
        argv: list[str],
        cwd: str | None,
        channel: paramiko.Channel,
        slot: ChannelSlot,
        cancel: threading.Event,
    ):
        self._host = host
        self._argv = argv
        self._cwd = cwd
        self._channel = channel
        self._slot = slot
        self._cancel = cancel
        self._splitter = _PidSplitter()
        self._lock = threading.Lock()
        self._stopped = False
        self._finished = False
        self._stderr = bytearray()

    @property
    def stderr(self) -> bytes:
        """The last 64 KiB the command wrote to stderr."""
        return bytes(self._stderr)

    def _take_stderr(self) -> None:
        try:
            while self._channel.recv_stderr_ready():
                self._stderr += self._channel.recv_stderr(65536)
                del self._stderr[:-_STDERR_TAIL]
        except OSError:
            if not self._stopped:  # closed by close() from another thread: nothing to read
                raise

    def __iter__(self) -> Iterator[bytes]:
        channel = self._channel
        try:
            while not self._stopped:
                if self._cancel.is_set():
                    self.close()
                    return
                try:
                    select.select([channel], [], [], 0.2)
                except (OSError, ValueError):
                    # close() from another thread closed the channel between select taking
                    # its descriptor and waiting on it (EBADF): the stop ends the stream
                    if self._stopped:
                        return
                    raise
                self._take_stderr()
                if channel.recv_ready():
                    try:
                        chunk = channel.recv(65536)
                    except OSError:
                        # close() from another thread (the stream was stopped) took the
                        # channel's pipe away under this read: the stop ends the stream
                        if self._stopped:
                            return
                        raise
                    if chunk:
                        payload = self._splitter.feed(chunk)
                        if payload:
                            yield payload
                        continue
                if self._stopped:
                    return
                if (channel.eof_received or channel.closed) and not channel.recv_ready():
                    self._take_stderr()
                    channel.status_event.wait(5)
                    with self._lock:
                        self._finished = True
                        if not self._stopped and channel.exit_status_ready():
                            self.exit_code = channel.recv_exit_status()
                    if not self._splitter.found and not self._stopped:
                        self._host._raise_preamble_failure(
                            self._argv, self._cwd, self.stderr + self._splitter.leftover()
                        )
                    return
        finally:
            if self._stopped or self._finished:
                channel.close()
                self._slot.release()

    def close(self) -> None:
        with self._lock:
            if self._stopped or self._finished:
                return
            self._stopped = True
            self.exit_code = None
        # Our channel first: the kill needs a slot of the budget itself.
        self._channel.close()
        self._slot.release()
        self._host._kill_group(self._splitter.pid)
