"""Picking up a big host transfer where an earlier run of the console stopped.

A big file between this machine and a host is written under a temporary name next to its
destination, ``.NAME.awsc-part-KEY``, where KEY is derived from the source's identity (its
place, size and modification time): the same copy started again finds the same partial
file, and a source that changed in between gets another name, so it never resumes into
the wrong bytes. Beside the partial file lies its journal, ``.NAME.awsc-part-KEY.ranges``:
the ranges the file was split into and how many bytes of each had safely arrived, written
every JOURNAL_INTERVAL seconds while the copy runs (so after a crash it lags reality a
little, never leads it).

Resuming reads the journal and checks each range's arrived prefix before trusting it: the
SHA-256 of those bytes on both sides (one ``hashranges`` call on the host, one read here;
for a copy that was cut off half way that is half a file hashed on each side, far less
than sending it again over a slow link). A range whose prefix differs starts over.

One copy at a time may write a given partial file: a lock file here (``flock``, released
by the kernel when the process dies, even with ``kill -9``) refuses a second one.

The locks, and the journals of downloads, live in a folder of the user's own: the
platform's state folder for awsconsole (``~/.local/state/awsconsole/transfers`` on Linux),
made 0700 and checked before every use. A folder or lock file another user owns, a folder
others may write, or a link in their place is refused with one line saying which and why;
a predictable name in a shared ``/tmp`` would let another user hold every lock or point a
journal at a file of ours. An upload's journal lies on the host beside its partial file
(the host is the user's account there); every range it vouches for is checked by SHA-256
on both sides before it is trusted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat as stat_module
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import platformdirs

from console.errors import ConsoleError
from console.files.transfer.errors import TransferError
from console.hosts.base import Host

PART_MARK = ".awsc-part-"
JOURNAL_SUFFIX = ".ranges"
#: seconds between journal writes while a copy runs
JOURNAL_INTERVAL = 1.0
JOURNAL_VERSION = 1

#: (offset, length, bytes of it that arrived)
RangeState = tuple[int, int, int]


def resume_key(*identity: object) -> str:
    """16 hex digits naming one version of one source (its place, size and mtime)."""
    text = "\0".join(str(part) for part in identity)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


class PrivateFolderError(TransferError):
    """The folder for transfer locks and journals, or a lock in it, is not the user's own."""

    title = "Transfer state"


#: what the folder of locks and journals is called inside the platform's state folder
STATE_FOLDER = "transfers"
_FIX_HINT = (
    "Remove it (or make it yours, mode 700) and copy again; XDG_STATE_HOME moves the "
    "folder elsewhere."
)


def private_folder() -> str:
    """The folder of transfer locks and download journals, created 0700 when missing and
    checked on every call. Raises PrivateFolderError."""
    folder = os.path.join(platformdirs.user_state_dir("awsconsole"), STATE_FOLDER)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise PrivateFolderError(
            f"Cannot create {folder} for transfer locks: {exc.strerror or exc}.", hint=_FIX_HINT
        ) from exc
    check_private_folder(folder)
    return folder


def check_private_folder(folder: str) -> None:
    """Refuse ``folder`` unless it is a real folder (not a link) that this user owns and no
    one else may write; one that others may only read is closed to them (it is ours).
    Raises PrivateFolderError."""
    try:
        info = os.lstat(folder)
    except OSError as exc:
        raise PrivateFolderError(f"Cannot use {folder}: {exc.strerror or exc}.") from exc
    if stat_module.S_ISLNK(info.st_mode) or not stat_module.S_ISDIR(info.st_mode):
        raise PrivateFolderError(
            f"{folder} is not a folder but a link or a file: transfer locks need a folder "
            "of your own.",
            hint=_FIX_HINT,
        )
    if info.st_uid != os.getuid():
        raise PrivateFolderError(
            f"{folder} belongs to another user (uid {info.st_uid}): transfer locks need a "
            "folder of your own.",
            hint=_FIX_HINT,
        )
    mode = stat_module.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise PrivateFolderError(
            f"{folder} may be written by other users (mode {mode:o}): transfer locks need a "
            "folder only you can write.",
            hint=_FIX_HINT,
        )
    if mode & 0o077:
        os.chmod(folder, 0o700)


def local_journal_path(partial: str) -> str:
    """Where the journal of the partial file ``partial`` (on this machine) is kept: in the
    private folder, named after the partial file's absolute path."""
    digest = hashlib.sha256(os.fsencode(os.path.abspath(partial))).hexdigest()[:32]
    return os.path.join(private_folder(), f"{digest}{JOURNAL_SUFFIX}")


def part_name(pathmod: Any, final: str, key: str) -> str:
    """``.NAME.awsc-part-KEY`` next to the final name (same filesystem: rename is atomic)."""
    folder, name = pathmod.split(final)
    return pathmod.join(folder, f".{name}{PART_MARK}{key}")


@dataclass(frozen=True)
class Journal:
    """What a partial file holds: its source's key, the full size, and each range's state."""

    key: str
    size: int
    ranges: tuple[RangeState, ...]

    def to_bytes(self) -> bytes:
        record = {
            "version": JOURNAL_VERSION,
            "key": self.key,
            "size": self.size,
            "ranges": [list(r) for r in self.ranges],
        }
        return json.dumps(record).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Journal | None:
        """The journal, or None when the bytes are not a whole, consistent one."""
        try:
            record = json.loads(data)
            ranges = tuple((int(o), int(n), int(d)) for o, n, d in record["ranges"])
            journal = cls(str(record["key"]), int(record["size"]), ranges)
        except (ValueError, KeyError, TypeError):
            return None
        if record.get("version") != JOURNAL_VERSION or not journal.consistent():
            return None
        return journal

    def consistent(self) -> bool:
        """The ranges tile 0…size in order and no range claims more than its length."""
        position = 0
        for offset, length, done in self.ranges:
            if offset != position or not 0 <= done <= length:
                return False
            position += length
        return position == self.size and bool(self.ranges)

    @property
    def arrived(self) -> int:
        return sum(done for _, _, done in self.ranges)


# --- where a journal lives ---------------------------------------------------------------


class LocalJournalFile:
    """A journal on this machine (a download's, in the private folder: see
    ``local_journal_path``), replaced atomically on every write; never read or written
    through a link."""

    def __init__(self, path: str):
        self.path = path

    def read(self) -> bytes | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def write(self, data: bytes) -> None:
        temp = f"{self.path}.{uuid.uuid4().hex[:8]}.new"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            os.remove(self.path)


class HostJournalFile:
    """A journal on a host (an upload's), written over the pooled SFTP connection."""

    def __init__(self, host: Host, path: str):
        self.host = host
        self.path = path

    def read(self) -> bytes | None:
        try:
            return self.host.read_range(self.path, 0, 1 << 20)
        except ConsoleError:
            return None

    def write(self, data: bytes) -> None:
        self.host.write(self.path, data, mode=0o600)

    def remove(self) -> None:
        with contextlib.suppress(ConsoleError):
            self.host.run(["rm", "-f", "--", self.path], timeout=30)


class JournalWriter:
    """Writes ``snapshot()`` into the journal every JOURNAL_INTERVAL while a copy runs.

    A write that fails (the connection is down) is tried again at the next tick: the journal
    only ever lags. ``stop()`` writes a last time.
    """

    def __init__(self, store: Any, key: str, size: int, snapshot: Callable[[], list[RangeState]]):
        self.store = store
        self.key = key
        self.size = size
        self.snapshot = snapshot
        self._written: tuple[RangeState, ...] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="transfer-journal", daemon=True)

    def start(self) -> JournalWriter:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(JOURNAL_INTERVAL):
            self.flush()

    def flush(self) -> None:
        ranges = tuple(self.snapshot())
        if not ranges or ranges == self._written:
            return
        with contextlib.suppress(ConsoleError, OSError):
            self.store.write(Journal(self.key, self.size, ranges).to_bytes())
            self._written = ranges

    def stop(self, *, flush: bool = True) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if flush:
            self.flush()


# --- resuming ----------------------------------------------------------------------------


def resumable_ranges(
    store: Any,
    key: str,
    size: int,
    hash_here: Callable[[Sequence[tuple[int, int]]], list[str]],
    hash_there: Callable[[Sequence[tuple[int, int]]], list[str]],
) -> list[RangeState] | None:
    """The ranges to continue from, each arrived prefix checked by SHA-256 on both sides
    (``hash_here``/``hash_there`` take (start, length) spans and return hex digests); None
    when there is nothing to resume (no journal, another source, another size)."""
    data = store.read()
    journal = Journal.from_bytes(data) if data else None
    if journal is None or journal.key != key or journal.size != size:
        return None
    spans = [(offset, done) for offset, _, done in journal.ranges if done]
    if not spans:
        return list(journal.ranges)
    try:
        ours, theirs = hash_here(spans), hash_there(spans)
    except (ConsoleError, OSError):
        return None  # the partial file is gone or unreadable: start over
    good = {span for span, a, b in zip(spans, ours, theirs, strict=False) if a == b}
    return [
        (offset, length, done if (offset, done) in good else 0)
        for offset, length, done in journal.ranges
    ]


def hash_spans(path: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """SHA-256 of each (start, length) span of a local file (raises OSError)."""
    digests = []
    with open(path, "rb") as handle:
        for start, length in spans:
            digest = hashlib.sha256()
            handle.seek(start)
            left = length
            while left:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
            digests.append(digest.hexdigest())
    return digests


@contextlib.contextmanager
def exclusive(label: str) -> Iterator[None]:
    """Hold the lock of one partial file; raises TransferError when another copy holds it,
    PrivateFolderError when the lock's folder or file is not the user's own."""
    name = hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    path = os.path.join(private_folder(), f"{name}.lock")
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise PrivateFolderError(
            f"Cannot open the lock {path}: {exc.strerror or exc}.", hint=_FIX_HINT
        ) from exc
    info = os.fstat(fd)
    if info.st_uid != os.getuid() or not stat_module.S_ISREG(info.st_mode):
        os.close(fd)
        raise PrivateFolderError(
            f"The lock {path} belongs to another user (uid {info.st_uid}).", hint=_FIX_HINT
        )
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TransferError(
                f"Another copy is writing {label} right now.",
                hint="Wait for it to finish (or cancel it) and copy again.",
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
