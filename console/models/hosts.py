"""What a host answers: a command's result, a file's kind and metadata."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What ``Host.run`` returns: the argument list that ran and what it left behind."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


class FileKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class FileStat:
    """One entry of a directory on a host (``stat``/``lstat`` semantics: links are not followed)."""

    path: str
    name: str
    kind: FileKind
    size: int
    mtime: float
    mode: int


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """One name in a folder, for a path field to complete: a folder (a link to one counts)
    or anything else."""

    name: str
    is_dir: bool
