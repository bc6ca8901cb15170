"""Unpack every archive under a folder with P worker processes; JSON lines on stdout.

Self-contained on purpose (standard library only, Python 3.6+): the console runs it on a
host as ``python3 -I -S -c SOURCE DIR [--dest D] [-P N]`` (with ``console/files/paths.py``,
the containment rule, shipped ahead of it): directly for live progress, or inside a job so
it survives a lost connection, and it replaces
``find DIR -name '*.zip' -print0 | xargs -0 -I {} -P N unzip -q -o {} -d DEST``.

Archives: .zip, .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz, found recursively under DIR.
An unreadable archive is reported with its reason and the others go on. A refused entry is
reported and skipped; the rest of its archive is still extracted.

Where entries may go (every archive is someone else's):
- Names pass ``name_parts`` (no ``..``, no absolute path, no empty segment, no NUL).
- The destination is reached only through directory descriptors. Each worker holds one on
  the destination and opens every folder below it by name, relative to its parent's
  descriptor, with ``O_DIRECTORY | O_NOFOLLOW``; missing folders are made with
  ``mkdir(name, dir_fd=parent)``; files, links and renames use ``dir_fd`` too. The kernel
  never resolves a link on our behalf, so a link that another worker (another archive) or
  anyone else plants between two steps is seen, not followed. A link met on the way is
  resolved here, one name at a time against the stack of folders already open: ``..`` pops
  that stack and may not pop the destination itself, an absolute link is refused. So links
  that stay inside keep working (``latest/x`` through ``latest -> v2``), and a path can
  reach nothing outside the destination whatever is on disk or appears during the run.
- A symlink is created only when its target climbs (leading ``..``) no higher than the
  destination from the real folder it sits in, then only descends (``link_parts``), and
  that descent, walked on disk through the links already there, stays inside. Because no
  link we make has a ``..`` after a name, replacing or adding a link later cannot move the
  target of another one out: every link made here resolves inside, whatever the order.
- A tar hard link must name a regular file this archive already extracted, found the same
  way (never a folder, a link, or anything outside); the new link is checked after it is
  made to be that same file.
- With a Python that has it (3.12+, patched 3.8-3.11), every tar member also passes the
  standard library's ``tarfile.data_filter``; what it refuses is refused with its reason,
  and regular files get the modes it gives.
- Every entry (file, link, hard link; small or big) is written under a temporary name in
  its folder and renamed over its final name: an existing file is never truncated, a full
  disk or a bad CRC leaves the old file (or nothing) there, and a link or file already
  under the name is replaced, never written through. Nothing replaces a folder.

Output, one JSON object per line:
  {"event": "start", "archives": N, "bytes_total": B, "parallel": P, "destination": D}
  {"event": "failure", "archive": REL, "kind": "corrupt|refused|unsupported|error",
   "reason": .., "entry": ..}
  {"event": "progress", "archives_done": .., "archives_total": .., "bytes_done": ..,
   "bytes_total": .., "files_written": .., "written_bytes": .., "failed": ..}
  {"event": "result", ...the last progress..., "archives_ok": .., "workers_used": ..,
   "seconds": ..}
  {"event": "error", "message": ..}   (nothing could start; exit status 2)
Exit status: 0 when every archive unpacked cleanly, 1 when something failed or was refused.
"""

import collections
import errno
import json
import multiprocessing
import os
import signal
import stat
import sys
import tarfile
import time
import zipfile
import zlib

from console.files.paths import UnsafeName, link_parts, name_parts  # shipped ahead on a host

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
#: members up to this size are read whole (and CRC-checked) before their file is opened
WHOLE_READ_LIMIT = 8 * 1024 * 1024
COPY_CHUNK = 1024 * 1024
#: seconds between progress lines (a failure or the last archive always prints at once)
PROGRESS_EVERY = 0.5
#: a worker adds to the shared written-bytes counter after this many bytes (and at the end)
LIVE_REPORT_BYTES = 4 * 1024 * 1024
#: in a worker: the counter of bytes written by every worker, read by the parent
_LIVE_WRITTEN = None
#: links followed on one path before giving up (the kernel's own limit)
MAX_LINK_HOPS = 40
#: folders a worker keeps open (most archives write into a few folders at a time)
OPEN_FOLDERS = 64
#: opens a folder without following a link: a link under the name fails with ENOTDIR/ELOOP
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
#: what an open with O_NOFOLLOW says about a link (Linux: ENOTDIR with O_DIRECTORY or
#: ELOOP, FreeBSD: EMLINK)
_NOT_A_FOLDER = (errno.ENOTDIR, errno.ELOOP, errno.EMLINK)
#: what stat/readlink say when the name was removed or replaced since the open
_CHANGED_MEANWHILE = (errno.ENOENT, errno.ENOTDIR, errno.EINVAL)
#: the standard library's tar filter, where this Python has it
DATA_FILTER = getattr(tarfile, "data_filter", None)
FILTER_ERROR = getattr(tarfile, "FilterError", ())
#: errors of a damaged or unreadable archive (the write side raises WriteFailure instead)
READ_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    UnicodeDecodeError,
)


class Refused(Exception):
    """One entry is not extracted: it would escape the destination or is a special file."""

    def __init__(self, reason, kind="refused"):
        Exception.__init__(self, reason)
        self.reason = reason
        self.kind = kind


class WriteFailure(Exception):
    """Writing into the destination failed (disk full, permission): not the archive's fault."""


def archive_kind(name):
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(TAR_SUFFIXES):
        return "tar"
    return None


def find_archives(directory, skip):
    """(absolute path, path relative to directory) of every archive, sorted."""
    found = []
    for current, dirnames, filenames in os.walk(directory):
        if skip is not None:
            dirnames[:] = [d for d in dirnames if os.path.join(current, d) != skip]
        dirnames.sort()
        for name in sorted(filenames):
            if archive_kind(name):
                path = os.path.join(current, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    found.append((path, os.path.relpath(path, directory)))
    return found


def _os_name(name):
    """The bytes of a name for the file system, whatever this Python's locale.

    Tar names come decoded with surrogateescape and zip names as text: UTF-8 with
    surrogateescape gives back the archive's own bytes (a Python 3.6 in the C locale would
    otherwise refuse every non-ASCII name)."""
    return name.encode("utf-8", "surrogateescape")


def _text(name):
    return name.decode("utf-8", "surrogateescape")


def _why(exc):
    return exc.strerror or str(exc)


def write_error(what, name, exc):
    return WriteFailure(f"cannot {what} {_text(name)}: {_why(exc)}")


class Folder:
    """An open folder of the destination: its descriptor and real place below the root.

    ``physical`` names the real folders from the root down (links already resolved), so
    its length is how many ``..`` a link sitting here may climb."""

    def __init__(self, fd, physical, owned):
        self.fd = fd
        self.physical = physical
        self._owned = owned

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._owned:
            os.close(self.fd)


class Tree:
    """The destination of one worker, reached only through directory descriptors."""

    def __init__(self, root):
        self.root = root
        self.root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        # link-free folders by their names: entries of an archive share a few folders
        self._open = collections.OrderedDict()
        self._temporaries = 0

    def close(self):
        for folder in self._open.values():
            os.close(folder.fd)
        self._open.clear()
        os.close(self.root_fd)

    def folder(self, names):
        """The folder ``names`` below the root (a Folder to use in ``with``).

        Missing folders are created; links on the way are followed only inside the root.
        Raises Refused (a link leads out, a file stands in the way) or WriteFailure."""
        key = tuple(names)
        known = self._open.get(key)
        if known is not None:
            self._open.move_to_end(key)
            return known
        fd, physical, through_link = self._walk(names, create=True)
        if through_link:
            # another archive may turn that link elsewhere: walk it again next time
            return Folder(fd, physical, owned=True)
        folder = Folder(fd, physical, owned=False)
        self._open[key] = folder
        if len(self._open) > OPEN_FOLDERS:
            _, oldest = self._open.popitem(last=False)
            os.close(oldest.fd)
        return folder

    def _walk(self, names, create):
        """Follow ``names`` from the root: (fd, physical names, whether a link was followed).

        With ``create``, missing folders among ``names`` themselves are made; a link that
        leads to nothing is refused (its target is not made). Without it, the walk stops
        quietly where a name is missing or is not a folder (None for the fd): a link may
        point at what does not exist yet."""
        stack = [(os.dup(self.root_fd), None)]
        # (name, whether it comes from the entry itself rather than from a link's text)
        pending = [(name, True) for name in reversed(names)]
        hops = 0
        try:
            while pending:
                name, own = pending.pop()
                if name == "..":
                    if len(stack) == 1:
                        raise Refused("a link on its path leads outside the destination")
                    os.close(stack.pop()[0])
                    continue
                fd, link = self._child(stack[-1][0], name, create and own)
                if link is not None:
                    hops += 1
                    if hops > MAX_LINK_HOPS:
                        raise Refused("too many links on its path")
                    if link.startswith("/"):
                        raise Refused("a link on its path leads to the absolute path " + link)
                    parts = [part for part in link.split("/") if part not in ("", ".")]
                    pending.extend((part, False) for part in reversed(parts))
                    continue
                if fd is None:
                    if create:
                        raise Refused("a link on its path leads to no folder")
                    return None, None, hops > 0
                stack.append((fd, name))
            physical = tuple(name for _, name in stack[1:])
            fd = stack.pop()[0]
            return fd, physical, hops > 0
        finally:
            for fd, _ in stack:
                os.close(fd)

    def _child(self, parent, name, create):
        """(fd, None) for folder ``name`` in ``parent``, (None, text) for a link there,
        (None, None) when it is missing or not a folder and ``create`` is false."""
        raw = _os_name(name)
        for _attempt in range(8):
            try:
                return os.open(raw, FOLDER_FLAGS, dir_fd=parent), None
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    if not create:
                        return None, None
                    try:
                        os.mkdir(raw, 0o777, dir_fd=parent)
                    except FileExistsError:
                        pass  # made (or planted) meanwhile by another worker: look again
                    except OSError as mkdir_exc:
                        raise write_error("create the folder", raw, mkdir_exc) from mkdir_exc
                    continue
                if exc.errno not in _NOT_A_FOLDER:
                    raise write_error("open the folder", raw, exc) from exc
            try:
                found = os.stat(raw, dir_fd=parent, follow_symlinks=False)
                if stat.S_ISLNK(found.st_mode):
                    return None, _text(os.readlink(raw, dir_fd=parent))
            except OSError as exc:
                if exc.errno in _CHANGED_MEANWHILE:
                    continue  # gone or replaced between the two calls: look again
                raise write_error("read", raw, exc) from exc
            if stat.S_ISDIR(found.st_mode):
                continue  # a link was replaced by a folder meanwhile
            if not create:
                return None, None
            raise Refused(f"{name!r} on its path is a file, not a folder")
        raise Refused("its path kept changing while it was extracted")

    def check_link(self, folder, target):
        """Refuse symlink text ``target`` for a link in ``folder`` unless it stays inside."""
        try:
            ups, names = link_parts(target)
        except UnsafeName as exc:
            raise Refused(f"{exc.reason} ({target})") from exc
        depth = len(folder.physical)
        if ups > depth:
            raise Refused(f"a link to {target} leads outside the destination")
        start = list(folder.physical[: depth - ups])
        try:
            fd, _, _ = self._walk(start + names, create=False)
        except Refused as exc:
            raise Refused(f"a link to {target}: {exc.reason}") from exc
        if fd is not None:
            os.close(fd)

    def temporary(self):
        self._temporaries += 1
        return _os_name(f".unpacking-{os.getpid()}-{self._temporaries}")

    def new_file(self, folder, mode):
        """(name, fd) of a new temporary file in ``folder``."""
        fds = []

        def create(name):
            fds.append(os.open(name, NEW_FILE_FLAGS, mode, dir_fd=folder.fd))

        return self.make_temporary(create, "create a file for"), fds[0]

    def make_temporary(self, create, what):
        """The name ``create(name)`` made: a fresh temporary name in the entry's folder."""
        for _attempt in range(100):
            name = self.temporary()
            try:
                create(name)
                return name
            except FileExistsError:
                continue  # left by an earlier run with the same pid
            except OSError as exc:
                raise write_error(what, name, exc) from exc
        raise WriteFailure("cannot create a temporary name")


def _refuse_folder(folder, name, what):
    """A folder under ``name`` stays: nothing replaces a folder."""
    try:
        found = os.stat(_os_name(name), dir_fd=folder.fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise write_error("read", _os_name(name), exc) from exc
    if stat.S_ISDIR(found.st_mode):
        raise Refused(f"a {what} would replace a folder")


def _discard(folder, temporary):
    try:
        os.unlink(temporary, dir_fd=folder.fd)
    except OSError:
        pass


def _rename_over(folder, temporary, name, what):
    """Put the finished temporary under its final name (replacing a file or a link)."""
    try:
        os.replace(temporary, _os_name(name), src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
    except OSError as exc:
        _discard(folder, temporary)
        if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
            raise Refused(f"a {what} would replace a folder") from exc
        raise write_error("write", _os_name(name), exc) from exc


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_file(tree, names, fill, mode, mtime):
    """Write a file entry through a temporary name; ``fill(write)`` supplies its bytes.

    A read error from ``fill`` (a bad CRC, a truncated member) propagates as corruption and
    a write error as WriteFailure; either way the temporary goes and the old file stays."""
    with tree.folder(names[:-1]) as folder:
        _refuse_folder(folder, names[-1], "file")
        temporary, fd = tree.new_file(folder, mode)
        try:
            try:

                def write(chunk):
                    try:
                        _write_all(fd, chunk)
                    except OSError as exc:
                        raise write_error("write", _os_name("/".join(names)), exc) from exc

                written = fill(write)
                if mtime is not None:
                    try:
                        os.utime(fd, (mtime, mtime))
                    except (OSError, OverflowError, ValueError):
                        pass  # a date the file system cannot hold is not worth the file
            finally:
                os.close(fd)
        except BaseException:
            _discard(folder, temporary)
            raise
        _rename_over(folder, temporary, names[-1], "file")
        return written


def make_symlink(tree, names, target):
    with tree.folder(names[:-1]) as folder:
        tree.check_link(folder, target)
        _refuse_folder(folder, names[-1], "symlink")
        temporary = tree.make_temporary(
            lambda name: os.symlink(_os_name(target), name, dir_fd=folder.fd),
            "create the symlink " + "/".join(names) + " as",
        )
        _rename_over(folder, temporary, names[-1], "symlink")


def make_hard_link(tree, names, source_names, extracted):
    """Hard-link ``names`` to ``source_names``, a regular file this archive extracted."""
    source = "/".join(source_names)
    if tuple(source_names) not in extracted:
        raise Refused(f"a hard link to {source}, which this archive did not extract")
    with tree.folder(source_names[:-1]) as origin:
        raw_source = _os_name(source_names[-1])
        try:
            before = os.stat(raw_source, dir_fd=origin.fd, follow_symlinks=False)
        except OSError as exc:
            raise Refused(f"a hard link to {source}: {_why(exc)}") from exc
        if not stat.S_ISREG(before.st_mode):
            raise Refused(f"a hard link to {source}, which is not a regular file")
        with tree.folder(names[:-1]) as folder:
            _refuse_folder(folder, names[-1], "hard link")
            temporary = tree.make_temporary(
                lambda name: os.link(
                    raw_source,
                    name,
                    src_dir_fd=origin.fd,
                    dst_dir_fd=folder.fd,
                    follow_symlinks=False,  # the link itself, never what a link names
                ),
                "create the hard link " + "/".join(names) + " as",
            )
            try:
                made = os.stat(temporary, dir_fd=folder.fd, follow_symlinks=False)
            except OSError as exc:
                _discard(folder, temporary)
                raise write_error("read", temporary, exc) from exc
            if (made.st_dev, made.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(
                made.st_mode
            ):
                _discard(folder, temporary)
                raise Refused(f"a hard link to {source}, which changed meanwhile")
            _rename_over(folder, temporary, names[-1], "hard link")


class Extraction:
    """What one archive produced, sent back from its worker."""

    def __init__(self, archive):
        self.archive = archive
        self.files = 0
        self.bytes = 0
        self.failures = []
        self.ok = True
        self._unreported = 0

    def wrote(self, count):
        self.bytes += count
        self._unreported += count
        if self._unreported >= LIVE_REPORT_BYTES:
            self.report_live()

    def report_live(self):
        """Add what was written since the last report to the counter the parent reads."""
        if _LIVE_WRITTEN is not None and self._unreported:
            with _LIVE_WRITTEN.get_lock():
                _LIVE_WRITTEN.value += self._unreported
        self._unreported = 0

    def refuse(self, entry, refusal):
        self.failures.append({"kind": refusal.kind, "reason": refusal.reason, "entry": entry})

    def fail(self, kind, reason):
        self.ok = False
        self.failures.append({"kind": kind, "reason": reason, "entry": None})

    def as_dict(self):
        return {
            "archive": self.archive,
            "files": self.files,
            "bytes": self.bytes,
            "failures": self.failures,
            "ok": self.ok,
            "pid": os.getpid(),
        }


def entry_names(name, is_folder):
    """The segments of an entry's name; None for the destination itself (``./``)."""
    if is_folder:
        name = name.rstrip("/")
        if all(part in ("", ".") for part in name.split("/")):
            return None
    try:
        return name_parts(name)
    except UnsafeName as exc:
        raise Refused(exc.reason) from exc


def _whole(data):
    def fill(write):
        write(data)
        return len(data)

    return fill


def _streamed(source, on_chunk):
    def fill(write):
        written = 0
        while True:
            chunk = source.read(COPY_CHUNK)  # read errors propagate as corruption
            if not chunk:
                return written
            write(chunk)
            written += len(chunk)
            on_chunk(len(chunk))

    return fill


def _zip_mtime(info):
    try:
        return time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return None


def extract_zip(path, tree, outcome):
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            try:
                names = entry_names(name, name.endswith("/"))
                if names is None:
                    continue
                if name.endswith("/"):
                    with tree.folder(names):
                        continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    make_symlink(tree, names, _text(archive.read(info)))
                    continue
                perms = (mode & 0o777) or 0o644
                if info.file_size <= WHOLE_READ_LIMIT:
                    data = archive.read(info)  # checks the CRC before anything is written
                    outcome.wrote(write_file(tree, names, _whole(data), perms, _zip_mtime(info)))
                else:
                    with archive.open(info) as source:
                        fill = _streamed(source, outcome.wrote)
                        write_file(tree, names, fill, perms, _zip_mtime(info))
                outcome.files += 1
            except Refused as refusal:
                outcome.refuse(name, refusal)


def _filtered(member, tree):
    """The member as the standard library's ``data`` filter lets it through (or Refused)."""
    if DATA_FILTER is None:
        return member
    try:
        return DATA_FILTER(member, tree.root)
    except FILTER_ERROR as exc:
        raise Refused(str(exc)) from exc
    except ValueError as exc:  # a name the file system cannot hold (an embedded NUL)
        raise Refused(str(exc)) from exc
    except OSError as exc:
        # its realpath() raises when a link on the path changes while it reads it
        raise Refused(f"the tar data filter cannot judge it: {_why(exc)}") from exc


def extract_tar(path, tree, outcome):
    extracted = set()  # regular files of this archive: what its hard links may name
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            name = member.name
            try:
                names = entry_names(name, member.isdir())
                if names is None:
                    continue
                if not (member.isdir() or member.isreg() or member.issym() or member.islnk()):
                    raise Refused("a device, fifo or other special file", kind="unsupported")
                if member.issym() or member.islnk():
                    if "\0" in member.linkname:
                        raise Refused("a NUL byte in the link's target")
                member = _filtered(member, tree)
                if member.isdir():
                    with tree.folder(names):
                        pass
                elif member.isreg():
                    source = archive.extractfile(member)
                    if DATA_FILTER is not None:
                        perms = member.mode
                    else:
                        perms = (member.mode & 0o777) or 0o644
                    if member.size <= WHOLE_READ_LIMIT:
                        data = source.read()
                        if len(data) != member.size:
                            raise EOFError(f"{name} is truncated")
                        outcome.wrote(write_file(tree, names, _whole(data), perms, member.mtime))
                    else:
                        fill = _streamed(source, outcome.wrote)
                        write_file(tree, names, fill, perms, member.mtime)
                    extracted.add(tuple(names))
                    outcome.files += 1
                elif member.issym():
                    make_symlink(tree, names, member.linkname)
                else:
                    make_hard_link(tree, names, entry_names(member.linkname, False), extracted)
                    extracted.add(tuple(names))
                    outcome.files += 1
            except Refused as refusal:
                outcome.refuse(name, refusal)


def unpack_one(job):
    """Worker: extract one archive; never raises (the failure is in the outcome)."""
    path, relative, root = job
    outcome = Extraction(relative)
    try:
        tree = Tree(root)
    except OSError as exc:
        outcome.fail("error", f"cannot open {root}: {_why(exc)}")
        return outcome.as_dict()
    try:
        if archive_kind(path) == "zip":
            extract_zip(path, tree, outcome)
        else:
            extract_tar(path, tree, outcome)
    except WriteFailure as exc:
        outcome.fail("error", str(exc))
    except READ_ERRORS as exc:
        outcome.fail("corrupt", f"{type(exc).__name__}: {exc}")
    finally:
        tree.close()
    outcome.report_live()
    return outcome.as_dict()


def _init_worker(live_written):
    global _LIVE_WRITTEN
    _LIVE_WRITTEN = live_written
    # a file-size limit (ulimit -f) must fail the write with EFBIG, not kill the worker
    # (a killed worker's archive would never report back, and the unpack would hang)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def default_parallelism():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _parse_args(argv):
    directory, dest, parallel = None, None, None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-P", "--parallel"):
            parallel = int(args.pop(0))
        elif arg == "--dest":
            dest = args.pop(0)
        elif arg == "--":
            directory = args.pop(0)
        elif directory is None and not arg.startswith("-"):
            directory = arg
        else:
            raise SystemExit(f"unpack_archives: unknown argument {arg!r}")
    if directory is None:
        raise SystemExit("unpack_archives: a folder is required")
    if parallel is not None and parallel < 1:
        raise SystemExit("unpack_archives: -P must be at least 1")
    return directory, dest, parallel


def main(argv, out=None):
    out = out or sys.stdout

    def emit(line):
        out.write(json.dumps(line) + "\n")
        out.flush()

    directory, dest, parallel = _parse_args(argv)
    directory = os.path.abspath(os.path.expanduser(directory))
    dest = os.path.abspath(os.path.expanduser(dest)) if dest else directory
    parallel = parallel or default_parallelism()
    if not os.path.isdir(directory):
        emit({"event": "error", "message": f"{directory}: no such directory"})
        return 2
    try:
        os.makedirs(dest, exist_ok=True)
    except OSError as exc:
        emit({"event": "error", "message": f"{dest}: {_why(exc)}"})
        return 2
    started = time.monotonic()
    archives = find_archives(directory, skip=dest if dest != directory else None)
    sizes = {relative: os.path.getsize(path) for path, relative in archives}
    state = {
        "archives_done": 0,
        "archives_total": len(archives),
        "bytes_done": 0,
        "bytes_total": sum(sizes.values()),
        "files_written": 0,
        "written_bytes": 0,
        "failed": 0,
    }
    emit(
        {
            "event": "start",
            "archives": len(archives),
            "bytes_total": state["bytes_total"],
            "parallel": parallel,
            "destination": dest,
        }
    )
    archives_ok = 0
    pids = set()
    root = os.path.realpath(dest)
    jobs = [(path, relative, root) for path, relative in archives]
    last_progress = 0.0
    context = multiprocessing.get_context("fork")
    # a double counts bytes exactly up to 2**53 and is a typecode every Python 3 knows
    # (Python 3.6 has no "q")
    live_written = context.Value("d", 0)

    def emit_progress():
        line = {"event": "progress"}
        line.update(state)
        # archives still being unpacked have written bytes too: the live counter has them
        line["written_bytes"] = max(state["written_bytes"], int(live_written.value))
        emit(line)

    pool = context.Pool(parallel, _init_worker, (live_written,)) if jobs else None
    try:
        results = pool.imap_unordered(unpack_one, jobs, chunksize=1) if pool else iter(())
        while True:
            try:
                result = results.next(PROGRESS_EVERY) if pool else next(results)
            except multiprocessing.TimeoutError:
                emit_progress()  # a big archive is on its way: say how far
                last_progress = time.monotonic()
                continue
            except StopIteration:
                break
            pids.add(result["pid"])
            state["archives_done"] += 1
            state["bytes_done"] += sizes[result["archive"]]
            state["files_written"] += result["files"]
            state["written_bytes"] += result["bytes"]
            if result["ok"] and not result["failures"]:
                archives_ok += 1
            else:
                state["failed"] += 1
            for failure in result["failures"]:
                line = {"event": "failure", "archive": result["archive"]}
                line.update(failure)
                emit(line)
            now = time.monotonic()
            if (
                result["failures"]
                or now - last_progress >= PROGRESS_EVERY
                or state["archives_done"] == len(jobs)
            ):
                last_progress = now
                emit_progress()
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    line = {
        "event": "result",
        "archives_ok": archives_ok,
        "workers_used": len(pids),
        "parallel": parallel,
        "seconds": round(time.monotonic() - started, 3),
        "directory": directory,
        "destination": dest,
    }
    line.update(state)
    emit(line)
    return 0 if state["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
