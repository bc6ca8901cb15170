"""The host interface: where commands run and files live.

Every feature that touches a machine (jobs, logs, GPU, counts, transfers, unpack, mounts)
is written once against ``Host`` and tested against both implementations: ``LocalHost``
(this machine) and ``SshHost`` (paramiko, one pooled connection per host).

Rules every implementation keeps:
- a command is an argument list; a remote one is quoted with ``shlex.join`` and never built
  by pasting user text into a shell line;
- paths may start with ``~/``, which means the host's home directory (for a sandboxed
  ``LocalHost`` that is the sandbox);
- failures surface as ``console.errors.HostError`` subclasses with a message a person can
  act on.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence

from console.models import CommandResult, FileStat

#: progress callback for put/get: (bytes done, bytes total)
Progress = Callable[[int, int], None]


class CommandStream(ABC):
    """The running output of a long command (``tail -F``, ``nvidia-smi -lms``).

    Iterate to receive stdout bytes as they arrive. Iteration ends when the command exits or
    when ``cancel`` is set; ``exit_code`` is then the command's status (None if cancelled).
    ``close()`` stops the command and is safe to call twice and from another thread.
    """

    exit_code: int | None = None

    @abstractmethod
    def __iter__(self) -> Iterator[bytes]: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> CommandStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Host(ABC):
    """A machine that runs commands and holds files."""

    #: short name shown in the UI ("local", an ssh alias, an instance id)
    name: str
    #: set when this host's ``nvidia-smi`` replays a recording instead of asking a GPU (the
    #: demo's instances): what the recording is, for the GPU view to say so
    gpu_recording: str | None = None
    #: the Python that runs the console's standard-library helpers here (a job's folder,
    #: runner and lister): ``python3`` from the host's PATH, all that is known of a remote
    #: machine
    helper_python: str = "python3"

    @abstractmethod
    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = 60.0,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> CommandResult:
        """Run ``argv`` to completion and return its exit code, stdout and stderr.

        Raises CommandTimeoutError after ``timeout`` seconds (the command is killed),
        HostUnreachableError / HostKeyError / AuthenticationError when the host cannot be
        reached. A non-zero exit status is not an error: check ``result.exit_code``.
        """

    @abstractmethod
    def stream(
        self,
        argv: Sequence[str],
        *,
        cancel: threading.Event | None = None,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CommandStream:
        """Start ``argv`` and return its stdout as a ``CommandStream``."""

    # --- files ---------------------------------------------------------------------------

    @abstractmethod
    def home(self) -> str:
        """The absolute path of the home directory (what ``~`` means on this host)."""

    @abstractmethod
    def stat(self, path: str) -> FileStat:
        """lstat ``path``. Raises RemoteFileError (FileNotFoundError-like) when missing."""

    @abstractmethod
    def listdir(self, path: str) -> list[FileStat]:
        """The entries of directory ``path`` (not recursive, links not followed)."""

    @abstractmethod
    def read_range(self, path: str, offset: int = 0, length: int | None = None) -> bytes:
        """Read up to ``length`` bytes from ``offset`` (all the rest when None)."""

    @abstractmethod
    def write(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        """Write ``data`` to ``path`` atomically: a temporary name, then rename."""

    @abstractmethod
    def put(self, local_path: str, remote_path: str, progress: Progress | None = None) -> None:
        """Copy a local file to this host."""

    @abstractmethod
    def get(self, remote_path: str, local_path: str, progress: Progress | None = None) -> None:
        """Copy a file of this host to a local path."""

    @abstractmethod
    def makedirs(self, path: str) -> None:
        """``mkdir -p path``."""

    @abstractmethod
    def realpath(self, path: str) -> str:
        """``path`` as the host resolves it (``realpath -m``): absolute, every symlink on
        it followed, ``.`` and ``..`` gone; components that do not exist yet are kept as
        they are. What the containment rule (``console.files.paths``) asks of a host before
        a file is written there from an outside name. Raises RemoteFileError."""

    @abstractmethod
    def remove(self, path: str) -> None:
        """Remove one file."""

    def close(self) -> None:  # noqa: B027 - optional hook: hosts without connections keep it
        """Release connections. The host may be used again afterwards (it reconnects)."""

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
