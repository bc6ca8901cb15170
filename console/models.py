"""Frozen value objects that cross from the backends into the UI.

No value object does I/O and none holds a boto3 dict or a paramiko object. Add a class here
when a new kind of thing has to reach a screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


# --- Hosts -----------------------------------------------------------------------------


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


# --- AWS -------------------------------------------------------------------------------


class InstanceState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    name: str
    type: str
    state: InstanceState
    public_ip: str | None = None
    private_ip: str | None = None
    availability_zone: str | None = None
    launch_time: dt.datetime | None = None
    market: str = "on-demand"  # "spot" or "on-demand"
    key_name: str | None = None
    image_id: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    created: dt.datetime | None = None
    region: str | None = None
