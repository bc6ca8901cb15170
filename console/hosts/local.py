"""This machine as a host: subprocess without a shell, and plain file operations.

With ``home`` set, the host is a sandbox (what ``--demo`` maps every instance to): ``~``
means that folder, commands start there with ``HOME`` pointing at it. Commands start in
the host's home by default, as they do over ssh, so the two hosts behave alike. ``env``
adds variables to everything the host starts (the demo gives its hosts the console's
``PATH`` for the trainer: ``console.runs.local_python.console_environment``); a tmux job
started through it runs with them too (tmux gives a new session its client's ``PATH``, and
the job's runner inherits the rest when it starts the server).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import signal
import stat as stat_module
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence

from console.errors import CommandTimeoutError, HostError, RemoteFileError
from console.hosts.argv import check_argv, check_env
from console.hosts.base import CommandStream, Host, Progress
from console.hosts.filestat import file_error, file_stat
from console.models import CommandResult, FileStat

_CHUNK = 1024 * 1024
_STDERR_TAIL = 64 * 1024


class LocalHost(Host):
    """Commands and files on this machine, optionally rooted in a sandbox folder."""

    #: this machine's helpers run on the console's own interpreter, by its path: it is
    #: certainly there and new enough, and no PATH lookup goes through a version manager's
    #: shim (pyenv's ``python3`` is a shell script costing ~65 ms of CPU a call, here 72 ms
    #: against 8 ms: the Jobs view lists every local and demo host's jobs each refresh)
    helper_python: str = sys.executable or "python3"

    def __init__(
        self,
        name: str = "local",
        home: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ):
        self.name = name
        self._sandbox = os.path.abspath(os.fspath(home)) if home is not None else None
        #: variables for every command started here, under the command's own ``env``
        self.env = dict(check_env(env)) if env else {}

    def __repr__(self) -> str:
        return f"LocalHost({self.name!r}, home={self._sandbox!r})"

    def home(self) -> str:
        """The sandbox folder, or the user's home directory."""
        return self._sandbox or os.path.expanduser("~")

    def expand(self, path: str) -> str:
        """``~`` and relative paths against ``home()``; the result is absolute."""
        path = os.fspath(path)
        if path == "~":
            return self.home()
        if path.startswith("~/"):
            return os.path.join(self.home(), path[2:])
        return os.path.join(self.home(), path)  # an absolute path stays as it is

    # --- commands ----------------------------------------------------------------------

    def _prepare(
        self, argv: Sequence[str], cwd: str | None, env: Mapping[str, str] | None
    ) -> tuple[list[str], str, dict[str, str]]:
        argv = check_argv(argv)
        directory = self.expand(cwd) if cwd is not None else self.home()
        if not os.path.isdir(directory):
            raise RemoteFileError(f"Cannot run {argv[0]} in {directory}: no such directory")
        full_env = dict(os.environ)
        if self._sandbox is not None:
            full_env["HOME"] = self._sandbox
        full_env.update(self.env)
        full_env.update(check_env(env))
        return argv, directory, full_env

    def _spawn(
        self, argv: list[str], directory: str, env: dict[str, str], **kwargs
    ) -> subprocess.Popen:
        # A session of its own, so a timeout or cancel kills everything the command started.
        return subprocess.Popen(argv, cwd=directory, env=env, start_new_session=True, **kwargs)

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = 60.0,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> CommandResult:
        """Run ``argv`` (no shell) and collect its exit code, stdout and stderr.

        A command that cannot be found or executed gives exit code 127 or 126 with the
        reason on stderr, as a shell would. Raises CommandTimeoutError (the process group is
        killed) and RemoteFileError when ``cwd`` does not exist.
        """
        argv, directory, full_env = self._prepare(argv, cwd, env)
        try:
            process = self._spawn(
                argv,
                directory,
                full_env,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except (FileNotFoundError, PermissionError) as exc:
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            return CommandResult(tuple(argv), code, b"", f"{argv[0]}: {exc.strerror}\n".encode())
        except OSError as exc:
            raise HostError(f"Cannot start {argv[0]}: {exc.strerror}") from exc
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=5)
            raise CommandTimeoutError(
                f"{shlex.join(argv)} on {self.name} did not finish within {timeout:g} s "
                "and was stopped."
            ) from None
        except BaseException:
            _kill_group(process)
            process.wait()
            raise
        return CommandResult(tuple(argv), process.returncode, stdout, stderr)

    def stream(
        self,
        argv: Sequence[str],
        *,
        cancel: threading.Event | None = None,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CommandStream:
        """Start ``argv`` and stream its stdout; cancelling kills its process group.

        Raises RemoteFileError when ``cwd`` does not exist, HostError when the command
        cannot be started. The last 64 KiB of stderr are kept in ``stderr``.
        """
        argv, directory, full_env = self._prepare(argv, cwd, env)
        try:
            process = self._spawn(
                argv,
                directory,
                full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise HostError(f"Cannot start {argv[0]} on {self.name}: {exc.strerror}") from exc
        return _LocalStream(process, cancel or threading.Event())

    # --- files ---------------------------------------------------------------------------

    def stat(self, path: str) -> FileStat:
        """``stat`` without following links. Raises RemoteFileError."""
        full = self.expand(path)
        try:
            return file_stat(full, os.lstat(full))
        except OSError as exc:
            raise file_error("stat", full, exc) from exc

    def listdir(self, path: str) -> list[FileStat]:
        """Entries of a directory, sorted by name (``ls -la PATH``). Raises RemoteFileError."""
        full = self.expand(path)
        try:
            with os.scandir(full) as entries:
                found = [
                    file_stat(entry.path, entry.stat(follow_symlinks=False)) for entry in entries
                ]
        except OSError as exc:
            raise file_error("list", full, exc) from exc
        return sorted(found, key=lambda entry: entry.name)

    def read_range(self, path: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes ``offset``…``offset+length`` (``tail -c +OFFSET PATH | head -c LENGTH``)."""
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("offset and length must not be negative")
        full = self.expand(path)
        try:
            with open(full, "rb") as handle:
                handle.seek(offset)
                return handle.read() if length is None else handle.read(length)
        except OSError as exc:
            raise file_error("read", full, exc) from exc

    def write(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        """Write atomically: a temporary name in the same directory, fsync, rename.
        Keeps the old file's mode unless ``mode`` is given. Raises RemoteFileError."""
        full = self.expand(path)

        def fill(temp: str) -> None:
            with open(temp, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())

        self._atomic("write", full, mode, fill)

    def put(self, local_path: str, remote_path: str, progress: Progress | None = None) -> None:
        """Copy ``local_path`` (a path on this machine, not sandboxed) to ``remote_path``
        (``cp LOCAL REMOTE``), atomically, keeping its permission bits."""
        full = self.expand(remote_path)
        try:
            mode = stat_module.S_IMODE(os.stat(local_path).st_mode)
        except OSError as exc:
            raise file_error("read", local_path, exc) from exc
        self._atomic("copy to", full, mode, lambda temp: _copy(local_path, temp, progress))

    def get(self, remote_path: str, local_path: str, progress: Progress | None = None) -> None:
        """Copy ``remote_path`` of this host to ``local_path`` (``cp REMOTE LOCAL``),
        atomically."""
        full = self.expand(remote_path)
        try:
            mode = stat_module.S_IMODE(os.stat(full).st_mode)
        except OSError as exc:
            raise file_error("read", full, exc) from exc
        destination = os.path.abspath(local_path)
        self._atomic("copy to", destination, mode, lambda temp: _copy(full, temp, progress))

    def _atomic(self, what: str, full: str, mode: int | None, fill) -> None:
        directory, name = os.path.split(full)
        temp = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            if mode is None:
                with contextlib.suppress(OSError):
                    mode = stat_module.S_IMODE(os.stat(full).st_mode)
            fill(temp)
            if mode is not None:
                os.chmod(temp, mode)
            os.replace(temp, full)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise file_error(what, full, exc) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise

    def makedirs(self, path: str) -> None:
        """``mkdir -p PATH``. Raises RemoteFileError."""
        full = self.expand(path)
        try:
            os.makedirs(full, exist_ok=True)
        except OSError as exc:
            raise file_error("create directory", full, exc) from exc

    def realpath(self, path: str) -> str:
        """``realpath -m PATH`` (``os.path.realpath``: links followed, missing parts kept)."""
        return os.path.realpath(self.expand(path))

    def remove(self, path: str) -> None:
        """``rm PATH`` (one file, not a directory). Raises RemoteFileError."""
        full = self.expand(path)
        try:
            os.remove(full)
        except OSError as exc:
            raise file_error("remove", full, exc) from exc


def _copy(source: str, destination: str, progress: Progress | None) -> None:
    total = os.path.getsize(source)
    done = 0
    with open(source, "rb") as reader, open(destination, "xb") as writer:
        if progress:
            progress(0, total)
        while chunk := reader.read(_CHUNK):
            writer.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
        writer.flush()
        os.fsync(writer.fileno())


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class _LocalStream(CommandStream):
    def __init__(self, process: subprocess.Popen, cancel: threading.Event):
        self._process = process
        self._cancel = cancel
        self._lock = threading.Lock()
        self._stopped = False
        self._finished = False
        self._iterating = False
        self._stderr = bytearray()

    @property
    def stderr(self) -> bytes:
        """The last 64 KiB the command wrote to stderr."""
        return bytes(self._stderr)

    def __iter__(self) -> Iterator[bytes]:
        with self._lock:
            if self._stopped:  # closed before anyone read: nothing to give
                self._close_pipes()
                return
            self._iterating = True
        process = self._process
        assert process.stdout is not None and process.stderr is not None
        out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
        open_fds = {out_fd, err_fd}
        selector = selectors.DefaultSelector()
        for fd in open_fds:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while out_fd in open_fds:
                if self._cancel.is_set() or self._stopped:
                    self.close()
                    return
                # A short wait keeps a cancel from another thread prompt.
                for key, _ in selector.select(0.2):
                    try:
                        data = os.read(key.fd, 65536)
                    except OSError:
                        data = b""
                    if not data:
                        selector.unregister(key.fd)
                        open_fds.discard(key.fd)
                    elif key.fd == err_fd:
                        self._stderr += data
                        del self._stderr[:-_STDERR_TAIL]
                    elif not self._stopped:
                        yield data
            if err_fd in open_fds:
                # stdout is closed; collect what is left on stderr without blocking forever.
                while selector.select(0.5):
                    data = os.read(err_fd, 65536)
                    if not data:
                        break
                    self._stderr += data
                    del self._stderr[:-_STDERR_TAIL]
            while True:  # stdout closed: the command is ending (or closed it early)
                try:
                    code = process.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if self._cancel.is_set() or self._stopped:
                        self.close()
                        return
            with self._lock:
                if not self._stopped:
                    self.exit_code = code
                    self._finished = True
        finally:
            selector.close()
            self._iterating = False
            self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self._process.stdout, self._process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()

    def close(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._stopped = True
            self.exit_code = None
            iterating = self._iterating
        if self._process.poll() is None:
            _kill_group(self._process)
        self._process.wait()
        # The iterating thread closes the pipes itself: closing an fd another thread is
        # selecting on could hand its number to an unrelated file.
        if not iterating:
            self._close_pipes()
