"""What the transfer engine asks of a side of a copy: this machine, a host, or S3.

An endpoint is one resolved location (``path``) on one side. The engine plans and copies
through these questions only; how bytes cross from one kind of side to another is the
business of the copiers (``console.files.transfer.copiers``), chosen by the pair of
endpoint types.

Names from the other side (a host's ``find`` listing, S3 keys) are checked twice before
anything is created: ``admit`` when the copy is planned (the containment rule's name
checks, and what the side itself refuses, such as a host resolving its links), and
``place`` right before the file's folder is made (this machine resolves its links then, so
links already on disk count). A refused name is skipped and reported; the copy goes on.

Every file is written under a temporary name next to its final one (``start``), and only
``commit`` puts it under the final name, after checking its size and SHA-256: a partial
file never sits under the final name.
"""

from __future__ import annotations

import posixpath
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from console.files.paths import UnsafeName, name_parts
from console.hosts.base import Host

#: marks a temporary name: ``.NAME.awsc-part-ID`` next to ``NAME``
PART_MARK = ".awsc-part-"

#: what a walk calls for a file it will not hand over: (name, reason)
Refuse = Callable[[str, str], None]


class EntryKind(StrEnum):
    FILE = "file"
    FOLDER = "dir"
    OTHER = "other"


@dataclass(frozen=True)
class Entry:
    """What ``stat`` tells of a path: its kind (links followed), size, permission bits and
    modification time (0.0 where the side keeps none)."""

    kind: EntryKind
    size: int
    mode: int
    mtime: float


@dataclass(frozen=True)
class ListedFile:
    """One file found under a folder: its name below the folder (``/``-separated, as the
    side spells it: from outside, unchecked), size, permission bits and modification time."""

    name: str
    size: int
    mode: int
    mtime: float


@dataclass(frozen=True)
class Checksum:
    """A file's size and the hex SHA-256 of its bytes (None where the side cannot tell it
    without reading them: an S3 object uploaded in parts carries only a digest of digests)."""

    size: int
    sha256: str | None


@dataclass(frozen=True)
class Pending:
    """A file being written: its temporary name, the final name it will take, and what it
    is a copy of (for the message when it does not match)."""

    temp: str
    final: str
    source: str


class Endpoint(ABC):
    """One side of a copy at ``path``."""

    path: str
    #: whether the side has folders (S3 has none: a trailing ``/`` alone says "into")
    has_folders: bool = True
    #: the host a copy between this side and S3 runs on, as a job (None: not a host)
    job_host: Host | None = None

    # --- names ---------------------------------------------------------------------------

    @abstractmethod
    def label(self, path: str | None = None) -> str:
        """``path`` (default: the endpoint's own) as a person types it: ``/x``,
        ``HOST:/x``, ``s3://BUCKET/KEY``."""

    @abstractmethod
    def join(self, *names: str) -> str:
        """The path of ``names`` below the endpoint's own path."""

    @abstractmethod
    def child(self, folder: str, name: str) -> str:
        """The path of the ``/``-separated relative ``name`` below ``folder``."""

    def split(self, path: str) -> tuple[str, str]:
        """(folder, name) of ``path``."""
        return posixpath.split(path)

    @abstractmethod
    def beside(self, path: str, name: str) -> str:
        """The path of ``name`` in the folder that holds ``path``."""

    # --- reading -------------------------------------------------------------------------

    @abstractmethod
    def stat(self, path: str) -> Entry | None:
        """What is at ``path`` (links followed), or None when nothing is.

        Raises TransferError (or a HostError) when the side cannot be asked."""

    def is_folder(self, path: str) -> bool:
        """Whether ``path`` is a folder (a link to one counts); False when it cannot be told."""
        entry = self.stat(path)
        return entry is not None and entry.kind is EntryKind.FOLDER

    @abstractmethod
    def walk(self, root: str, refuse: Refuse) -> list[ListedFile]:
        """Every file below the folder ``root``. A file the side will not hand over (a link
        leading out of ``root``) is passed to ``refuse`` with its reason instead."""

    @abstractmethod
    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of ``path`` from ``offset``."""

    @abstractmethod
    def checksum(self, path: str) -> Checksum:
        """The size and SHA-256 of the file at ``path``."""

    # --- names from the other side -------------------------------------------------------

    def check_destination(self) -> None:  # noqa: B027 - most sides take any destination
        """Refuse (TransferError) a destination this side must not be written at."""

    def admit(self, root: str, names: Sequence[str]) -> dict[int, str]:
        """{index: reason} of the ``names`` (from outside, relative to ``root``) that may
        not be written below ``root``: the containment rule's checks of the name itself,
        and whatever the side refuses beyond them (``_refuse_more``)."""
        refused: dict[int, str] = {}
        for index, name in enumerate(names):
            try:
                name_parts(name)
            except UnsafeName as exc:
                refused[index] = exc.reason
        allowed = [index for index in range(len(names)) if index not in refused]
        more = self._refuse_more(root, [names[index] for index in allowed])
        for position, reason in more.items():
            refused[allowed[position]] = reason
        return dict(sorted(refused.items()))

    def _refuse_more(self, root: str, names: Sequence[str]) -> dict[int, str]:
        return {}

    def place(self, root: str, name: str) -> str:
        """The path to write the admitted ``name`` at below ``root``, checked once more as
        late as the side allows. Raises UnsafeName."""
        return self.child(root, name)

    # --- writing -------------------------------------------------------------------------

    def make_folder_for(self, path: str) -> None:  # noqa: B027 - S3 has no folders to make
        """Create the folder that will hold ``path`` (``mkdir -p``), when the side has folders."""

    def start(self, final: str, source: str, *, key: str | None = None) -> Pending:
        """A temporary name next to ``final`` for a copy of ``source``: ``.NAME.awsc-part-KEY``
        (KEY names a resumable copy; a fresh random one otherwise)."""
        name = self.split(final)[1]
        mark = key if key is not None else uuid.uuid4().hex[:10]
        return Pending(self.beside(final, f".{name}{PART_MARK}{mark}"), final, source)

    @abstractmethod
    def write(self, pending: Pending, data: bytes, offset: int = 0) -> None:
        """Write ``data`` into the temporary file at ``offset`` (offset 0 creates it; never
        through a link). Raises DiskFullError, TransferError or RemoteFileError naming the
        final name."""

    def flush(self, pending: Pending) -> None:  # noqa: B027 - most sides have nothing to do
        """Make the written bytes durable before ``commit`` publishes them (``sync FILE``)."""

    @abstractmethod
    def commit(self, pending: Pending, *, mode: int, size: int | None, sha256: str | None) -> None:
        """Check the temporary file's ``size`` and ``sha256`` (None: checked already), give
        it ``mode`` and rename it to its final name. Raises TransferError naming the final
        name when it does not match (the temporary file is then the caller's to discard)."""

    @abstractmethod
    def discard(self, pending: Pending) -> None:
        """Remove the temporary file, if it is there (never raises)."""
