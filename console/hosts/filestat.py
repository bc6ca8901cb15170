"""What a stat call answered, as the hosts report it: one ``FileStat`` and one
``RemoteFileError`` shape for ``LocalHost`` (``os.stat_result``, ``OSError``) and ``SshHost``
(paramiko's ``SFTPAttributes``, whose fields may be missing, and its errors).
"""

from __future__ import annotations

import posixpath
import stat as stat_module
from typing import Protocol

from console.errors import RemoteFileError
from console.models import FileKind, FileStat


class StatAnswer(Protocol):
    """The fields both ``os.stat_result`` and ``SFTPAttributes`` carry (SFTP may leave
    any of them out: None)."""

    @property
    def st_mode(self) -> int | None: ...

    @property
    def st_size(self) -> int | None: ...

    @property
    def st_mtime(self) -> float | None: ...


def file_stat(path: str, answer: StatAnswer) -> FileStat:
    """The ``FileStat`` of ``path`` from an lstat-like answer; a missing field reads as 0."""
    mode = answer.st_mode or 0
    if stat_module.S_ISLNK(mode):
        kind = FileKind.SYMLINK
    elif stat_module.S_ISDIR(mode):
        kind = FileKind.DIRECTORY
    elif stat_module.S_ISREG(mode):
        kind = FileKind.FILE
    else:
        kind = FileKind.OTHER
    return FileStat(
        path=path,
        name=posixpath.basename(path.rstrip("/")) or "/",
        kind=kind,
        size=answer.st_size or 0,
        mtime=float(answer.st_mtime or 0),
        mode=mode,
    )


def file_error(
    what: str, path: str, exc: BaseException, host: str | None = None
) -> RemoteFileError:
    """A RemoteFileError naming the path (and the host, when there is one to name);
    ``errno`` is kept (ENOENT tells 'missing' apart)."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    where = f"{path} on {host}" if host is not None else path
    error = RemoteFileError(f"Cannot {what} {where}: {reason}")
    error.errno = getattr(exc, "errno", None)  # type: ignore[attr-defined]
    return error
