"""A host reached over SSH as a side of a copy: its files through the pooled connection
(SFTP and the small ``python3 -c`` helper of console.files.transfer.remote)."""

from __future__ import annotations

import contextlib
import errno as errno_module
import json
import os
import posixpath
import stat as stat_module
import time
from collections.abc import Sequence

from console.errors import ConsoleError, HostUnreachableError, RemoteFileError
from console.files.remote_helpers import python_command
from console.files.transfer.endpoints.base import (
    Checksum,
    Endpoint,
    Entry,
    EntryKind,
    ListedFile,
    Pending,
    Refuse,
)
from console.files.transfer.errors import TransferError, disk_full
from console.files.transfer.remote import helper_argv, remote_call
from console.hosts.argv import tool_path
from console.hosts.base import Host
from console.models import FileKind

#: round trips timed to measure a host's RTT (the least is kept: the others queued)
RTT_PROBES = 3


class HostEndpoint(Endpoint):
    """A path on ``host``; ``python`` runs the helper there."""

    def __init__(self, host: Host, path: str, python: str = "python3"):
        self.host = host
        self.path = path
        self.python = python
        self._rtt: float | None = None
        self._rtt_measured = False

    def __repr__(self) -> str:
        return f"HostEndpoint({self.host.name!r}, {self.path!r})"

    def label(self, path: str | None = None) -> str:
        return f"{self.host.name}:{self.path if path is None else path}"

    def join(self, *names: str) -> str:
        return posixpath.join(self.path, *names)

    def child(self, folder: str, name: str) -> str:
        return posixpath.join(folder, name)

    def beside(self, path: str, name: str) -> str:
        return posixpath.join(posixpath.split(path)[0], name)

    # --- reading -------------------------------------------------------------------------

    def stat(self, path: str) -> Entry | None:
        """``stat PATH`` over SFTP (``stat -L -c %F -- PATH`` for a link). Raises
        RemoteFileError other than for a missing file, HostError subclasses."""
        try:
            info = self.host.stat(path)
        except RemoteFileError as exc:
            if getattr(exc, "errno", None) == 2 or "No such file" in str(exc):
                return None
            raise
        if info.kind is FileKind.SYMLINK:
            result = self.host.run(["stat", "-L", "-c", "%F", "--", tool_path(path)])
            kind = EntryKind.FOLDER if b"directory" in result.stdout else EntryKind.FILE
        else:
            kind = {FileKind.DIRECTORY: EntryKind.FOLDER, FileKind.FILE: EntryKind.FILE}.get(
                info.kind, EntryKind.OTHER
            )
        return Entry(kind, info.size, stat_module.S_IMODE(info.mode) or 0o644, info.mtime)

    def is_folder(self, path: str) -> bool:
        """``test -d PATH`` (False when the host cannot tell)."""
        try:
            info = self.host.stat(path)
        except RemoteFileError:
            return False
        if info.kind is FileKind.SYMLINK:
            return self.host.run(["test", "-d", tool_path(path)], timeout=30).ok
        return info.kind is FileKind.DIRECTORY

    def walk(self, root: str, refuse: Refuse) -> list[ListedFile]:
        """``find ROOT -mindepth 1 -type f -printf '%s %m %T@ %P\\0'``: the host's links are
        never followed. Raises RemoteFileError when the folder cannot be listed."""
        result = self.host.run(
            ["find", tool_path(root), "-mindepth", "1", "-type", "f",
             "-printf", "%s %m %T@ %P\\0"],
            timeout=600,
        )  # fmt: skip
        if result.exit_code != 0:
            raise RemoteFileError(
                f"Cannot list {self.label(root)}: {result.stderr.decode(errors='replace')}"
            )
        files: list[ListedFile] = []
        for record in result.stdout.split(b"\0"):
            if record:
                size, mode, mtime, rel = record.decode("utf-8", "surrogateescape").split(" ", 3)
                files.append(ListedFile(rel, int(size), int(mode, 8), float(mtime)))
        return files

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """``tail -c +OFFSET PATH | head -c LENGTH`` over SFTP. Raises RemoteFileError."""
        return self.host.read_range(path, offset, length)

    def checksum(self, path: str) -> Checksum:
        """``sha256sum PATH`` (the helper's ``hash``). Raises RemoteFileError."""
        digest, size = remote_call(self.host, self.python, "hash", path).split()[:2]
        return Checksum(int(size), digest)

    def round_trip(self) -> float | None:
        """The host's round trip in seconds, measured once per endpoint (``measure_rtt``)."""
        if not self._rtt_measured:
            self._rtt = measure_rtt(self.host)
            self._rtt_measured = True
        return self._rtt

    # --- names from the other side -------------------------------------------------------

    def _refuse_more(self, root: str, names: Sequence[str]) -> dict[int, str]:
        return refused_on_host(self.host, self.python, root, names)

    # --- writing -------------------------------------------------------------------------

    def make_folder_for(self, path: str) -> None:
        """``mkdir -p -- "$(dirname PATH)"``. Raises HostError subclasses."""
        self.host.makedirs(posixpath.dirname(path))

    def write(self, pending: Pending, data: bytes, offset: int = 0) -> None:
        """One helper call with the bytes on stdin (``python3 -c HELPER write TEMP OFFSET``;
        it reports errno, so a full disk is told apart from other failures). Raises
        DiskFullError, RemoteFileError naming the final name, HostUnreachableError when
        the helper did not finish (a dropped connection: worth another try)."""
        host, final = self.host, pending.final
        argv = helper_argv(self.python, "write", pending.temp, offset)
        result = host.run(argv, stdin=data, timeout=300)
        output = result.stdout.decode("utf-8", "replace")
        for line in output.splitlines():
            if line.startswith("error "):
                number, _, text = line[6:].partition(" ")
                if number == str(errno_module.ENOSPC):
                    raise disk_full(f"{host.name}:{final}")
                raise RemoteFileError(f"Cannot write {host.name}:{final}: {text}")
        if result.exit_code != 0 or "done" not in output.split():
            raise HostUnreachableError(
                f"The upload of {final} to {host.name} stopped: "
                f"{result.stderr.decode('utf-8', 'replace').strip() or result.exit_code}"
            )

    def commit(self, pending: Pending, *, mode: int, size: int | None, sha256: str | None) -> None:
        """The helper's ``finish``: check TEMP's size and SHA-256 on the host, then
        ``chmod MODE TEMP && mv -T TEMP FINAL``, in one round trip. Raises TransferError
        naming the final name when it does not match."""
        if size is None:
            size = self.host.stat(pending.temp).size
        try:
            remote_call(
                self.host, self.python, "finish", pending.temp, pending.final, f"{mode:o}",
                size, sha256 or "-",
            )  # fmt: skip
        except RemoteFileError as exc:
            raise TransferError(
                f"{self.host.name}:{pending.final} was not written: the copy did not verify "
                f"({exc})."
            ) from exc

    def discard(self, pending: Pending) -> None:
        """``rm -f -- TEMP``."""
        with contextlib.suppress(ConsoleError, OSError):
            self.host.run(["rm", "-f", "--", pending.temp], timeout=30)


def measure_rtt(host: Host, probes: int = RTT_PROBES) -> float | None:
    """The host's round trip in seconds: the quickest of ``probes`` SFTP ``stat /`` calls
    on its open connection (one request, one answer each). None when it cannot be told."""
    best: float | None = None
    for _ in range(probes):
        start = time.perf_counter()
        try:
            host.stat("/")
        except ConsoleError:
            return best
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def refused_on_host(host: Host, python: str, root: str, names: Sequence[str]) -> dict[int, str]:
    """{index: reason} of the ``names`` (from outside, relative to ``root``) that may not
    be written under ``root`` on ``host``: one round trip, the host resolving its own links
    (``remote_helpers/contained_names.py`` with the containment rule shipped ahead).

    Stands for ``python3 -c CONTAINED_NAMES ROOT < NAMES``. Raises TransferError when the
    host cannot run the check (no ``python3``).
    """
    if not names:
        return {}
    data = b"".join(os.fsencode(name) + b"\0" for name in names)
    argv = python_command("contained_names", root, python=python)
    result = host.run(argv, stdin=data, timeout=600)
    refused: dict[int, str] = {}
    done = None
    for line in result.stdout.splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            record = json.loads(line)
            if "done" in record:
                done = int(record["done"])
            else:
                refused[int(record["index"])] = str(record["reason"])
    if result.exit_code != 0 or done != len(names):
        error = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TransferError(
            f"Cannot check the names to write under {host.name}:{root}: "
            f"{error[-1] if error else f'exit status {result.exit_code}'}",
            hint=f"The host needs {python} (3.6 or later) on its PATH.",
        )
    return refused
