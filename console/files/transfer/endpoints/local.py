"""This machine as a side of a copy (also this machine reached as a host: the demo's
sandboxed instances, whose copies to and from S3 run as jobs there)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat as stat_module

from console.files.paths import contained_path, is_inside
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
from console.hosts.base import Host

#: bytes read at a time to hash a file
HASH_BLOCK = 1 << 20


def file_sha256(path: str) -> str:
    """The hex SHA-256 of a file here (``sha256sum FILE``). Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def write_error(exc: OSError, final: str) -> TransferError:
    """What a failed write of ``final`` here is told as: a full disk, or the system's words."""
    if exc.errno == 28:
        return disk_full(final)
    return TransferError(f"Cannot write {final}: {exc.strerror}")


class LocalEndpoint(Endpoint):
    """A path on this machine."""

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"LocalEndpoint({self.path!r})"

    def label(self, path: str | None = None) -> str:
        return self.path if path is None else path

    def join(self, *names: str) -> str:
        return os.path.join(self.path, *names)

    def child(self, folder: str, name: str) -> str:
        return os.path.join(folder, *name.split("/"))

    def split(self, path: str) -> tuple[str, str]:
        return os.path.split(path)

    def beside(self, path: str, name: str) -> str:
        return os.path.join(os.path.split(path)[0], name)

    # --- reading -------------------------------------------------------------------------

    def stat(self, path: str) -> Entry | None:
        """``stat -L PATH``. Raises TransferError when it cannot be read."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TransferError(f"Cannot read {path}: {exc.strerror}") from exc
        if stat_module.S_ISDIR(info.st_mode):
            kind = EntryKind.FOLDER
        elif stat_module.S_ISREG(info.st_mode):
            kind = EntryKind.FILE
        else:
            kind = EntryKind.OTHER
        return Entry(kind, info.st_size, stat_module.S_IMODE(info.st_mode), info.st_mtime)

    def is_folder(self, path: str) -> bool:
        """``test -d PATH``."""
        return os.path.isdir(path)

    def walk(self, root: str, refuse: Refuse) -> list[ListedFile]:
        """``find ROOT -type f`` with links followed only inside ``root``: a link is copied
        as the file it points to when that file lies inside the folder; one that leads out
        (a private key, say, that an archive linked to) is refused, and so is a link to
        nothing. Raises TransferError when a file cannot be read."""
        files: list[ListedFile] = []
        real_root = os.path.realpath(root)
        for directory, _dirs, names in os.walk(root):
            for name in sorted(names):
                full = os.path.join(directory, name)
                rel = os.path.relpath(full, root)
                try:
                    if os.path.islink(full):
                        if not is_inside(real_root, os.path.realpath(full)):
                            refuse(rel, "a link that leads outside the copied folder")
                            continue
                    info = os.stat(full)
                except FileNotFoundError:
                    refuse(rel, "a link to nothing")
                    continue
                except OSError as exc:
                    raise TransferError(f"Cannot read {full}: {exc.strerror}") from exc
                if stat_module.S_ISREG(info.st_mode):
                    mode = stat_module.S_IMODE(info.st_mode)
                    files.append(ListedFile(rel, info.st_size, mode, info.st_mtime))
        return files

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """``dd if=PATH bs=1 skip=OFFSET count=LENGTH``. Raises TransferError."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise TransferError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            return os.pread(fd, length, offset)
        except OSError as exc:
            raise TransferError(f"Cannot read {path}: {exc.strerror}") from exc
        finally:
            os.close(fd)

    def checksum(self, path: str) -> Checksum:
        """``sha256sum PATH``. Raises TransferError."""
        try:
            return Checksum(os.path.getsize(path), file_sha256(path))
        except OSError as exc:
            raise TransferError(f"Cannot read {path}: {exc.strerror}") from exc

    # --- names from the other side -------------------------------------------------------

    def place(self, root: str, name: str) -> str:
        """The containment rule with this machine's links resolved now, just before the
        file's folder is made (``realpath``). Raises UnsafeName."""
        return contained_path(root, name)

    # --- writing -------------------------------------------------------------------------

    def make_folder_for(self, path: str) -> None:
        """``mkdir -p "$(dirname PATH)"``. Raises TransferError."""
        folder = os.path.dirname(path)
        if os.path.isdir(folder):
            return
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise TransferError(f"Cannot create the folder {folder}: {exc.strerror}") from exc

    def write(self, pending: Pending, data: bytes, offset: int = 0) -> None:
        """Write ``data`` at ``offset`` of the temporary file, created (never an existing
        file, never through a link) at offset 0. A folder that refuses new files
        (read-only file system, /proc, no permission) or a full disk is a TransferError or
        DiskFullError naming the final name."""
        flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        if offset == 0:
            flags |= os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(pending.temp, flags, 0o600)
        except OSError as exc:
            raise write_error(exc, pending.final) from exc
        try:
            view = memoryview(data)
            while view:
                view = view[os.pwrite(fd, view, offset + len(data) - len(view)) :]
        except OSError as exc:
            raise write_error(exc, pending.final) from exc
        finally:
            os.close(fd)

    def flush(self, pending: Pending) -> None:
        """``sync FILE``: the written bytes reach the disk before the rename publishes them.
        Raises TransferError or DiskFullError naming the final name."""
        try:
            fd = os.open(pending.temp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise write_error(exc, pending.final) from exc

    def commit(self, pending: Pending, *, mode: int, size: int | None, sha256: str | None) -> None:
        """``chmod MODE TEMP && mv -T TEMP FINAL`` once TEMP holds ``size`` bytes with that
        SHA-256. Raises TransferError naming the final name when it does not."""
        temp, final = pending.temp, pending.final
        if size is not None and os.path.getsize(temp) != size:
            raise TransferError(f"{final}: the copy has the wrong size.")
        if sha256 is not None and file_sha256(temp) != sha256:
            raise TransferError(f"{final}: the copy does not match {pending.source}.")
        os.chmod(temp, mode)
        os.replace(temp, final)

    def discard(self, pending: Pending) -> None:
        """``rm -f TEMP``."""
        with contextlib.suppress(OSError):
            os.remove(pending.temp)


class LocalHostEndpoint(LocalEndpoint):
    """A path on this machine reached as a host: its files are copied as this machine's,
    but a copy between it and S3 runs on ``host`` as a job (it outlives the console)."""

    def __init__(self, path: str, host: Host):
        super().__init__(path)
        self.job_host = host

    def __repr__(self) -> str:
        return f"LocalHostEndpoint({self.path!r}, {self.job_host.name!r})"
