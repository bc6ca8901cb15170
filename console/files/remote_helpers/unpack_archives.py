"""Unpack every archive under a folder with P worker processes; JSON lines on stdout.

Self-contained on purpose (standard library only, Python 3.6+): the console runs it on a
host as ``python3 -c SOURCE DIR [--dest D] [-P N]`` — directly for live progress, or inside
a job so it survives a lost connection — and it replaces
``find DIR -name '*.zip' -print0 | xargs -0 -I {} -P N unzip -q -o {} -d DEST``.

Archives: .zip, .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz, found recursively under DIR.
An unreadable archive is reported with its reason and the others go on. An entry that would
land outside DEST (an absolute path, a ``..`` component, a path through a symlink that
leads out, a symlink or hard link pointing out) is refused and reported; the rest of its
archive is still extracted. A file is never left half-written under its final name.

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

import json
import multiprocessing
import os
import stat
import sys
import tarfile
import time
import zipfile
import zlib

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


class Destination:
    """Where entries may be written, and the checks that keep them there."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self._safe_dirs = {self.root}
        # folders known to exist: most entries share a few, one mkdir call each is enough
        self._made = {self.root}

    def makedirs(self, path):
        if path in self._made:
            return
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise WriteFailure(f"cannot create {path}: {exc.strerror or exc}") from exc
        self._made.add(path)

    def inside(self, path):
        return path == self.root or path.startswith(self.root + os.sep)

    def target(self, name):
        """The absolute path for archive entry ``name``; raises Refused when it escapes."""
        if "\0" in name:
            raise Refused("a NUL byte in the name")
        clean = name.replace("\\", "/")
        drive = len(clean) > 1 and clean[0].isalpha() and clean[1] == ":"
        if clean.startswith("/") or (drive and clean[2:3] in ("", "/")):
            raise Refused("an absolute path")
        parts = [part for part in clean.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise Refused("a '..' component leads outside the destination")
        if not parts:
            return None
        target = os.path.join(self.root, *parts)
        self._check_parent(os.path.dirname(target))
        return target

    def _check_parent(self, parent):
        # A symlink already in the destination could carry a safe-looking name outside.
        if parent in self._safe_dirs:
            return
        real = os.path.realpath(parent)
        if not self.inside(real):
            raise Refused("a symlink on its path leads outside the destination")
        self._safe_dirs.add(parent)

    def link_target(self, link_path, link_to):
        """Refuse a symlink whose target (resolved from where it sits) leaves the root."""
        if os.path.isabs(link_to):
            raise Refused(f"a symlink to the absolute path {link_to}")
        resolved = os.path.normpath(os.path.join(os.path.dirname(link_path), link_to))
        if not self.inside(os.path.realpath(resolved)):
            raise Refused(f"a symlink to {link_to} leads outside the destination")


def _open_for_write(path, mode):
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags, mode)
    except OSError:
        # a symlink or directory sits under this name (unzip -o replaces it too)
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
            return os.open(path, flags, mode)
        raise


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_bytes(path, data, mode=0o644, mtime=None):
    try:
        fd = _open_for_write(path, mode)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        if mtime is not None:
            os.utime(path, (mtime, mtime), follow_symlinks=False)
    except OSError as exc:
        raise WriteFailure(f"cannot write {path}: {exc.strerror or exc}") from exc
    return len(data)


def write_stream(path, source, mode, mtime, on_chunk):
    """Copy a big member through a temporary name: a bad CRC at its end leaves nothing.

    ``on_chunk(count)`` is told about every chunk written (live progress of huge files)."""
    name = f".{os.path.basename(path)}.unpacking-{os.getpid()}"
    temporary = os.path.join(os.path.dirname(path), name)
    written = 0
    try:
        try:
            fd = _open_for_write(temporary, mode)
        except OSError as exc:
            raise WriteFailure(f"cannot write {path}: {exc.strerror or exc}") from exc
        try:
            while True:
                chunk = source.read(COPY_CHUNK)  # read errors propagate as corruption
                if not chunk:
                    break
                try:
                    _write_all(fd, chunk)
                except OSError as exc:
                    raise WriteFailure(f"cannot write {path}: {exc.strerror or exc}") from exc
                written += len(chunk)
                on_chunk(len(chunk))
        finally:
            os.close(fd)
        try:
            if mtime is not None:
                os.utime(temporary, (mtime, mtime))
            os.replace(temporary, path)
        except OSError as exc:
            raise WriteFailure(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
    return written


def make_symlink(path, link_to):
    if os.path.isdir(path) and not os.path.islink(path):
        raise Refused("a symlink would replace a folder")
    try:
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(link_to, path)
    except OSError as exc:
        raise WriteFailure(f"cannot create the symlink {path}: {exc.strerror or exc}") from exc


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


def _zip_mtime(info):
    try:
        return time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return None


def extract_zip(path, destination, outcome):
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            try:
                target = destination.target(name)
                if target is None:
                    continue
                if name.endswith("/"):
                    destination.makedirs(target)
                    continue
                mode = info.external_attr >> 16
                destination.makedirs(os.path.dirname(target))
                if stat.S_ISLNK(mode):
                    link_to = archive.read(info).decode("utf-8")
                    destination.link_target(target, link_to)
                    make_symlink(target, link_to)
                    continue
                perms = (mode & 0o777) or 0o644
                if info.file_size <= WHOLE_READ_LIMIT:
                    data = archive.read(info)  # checks the CRC before anything is written
                    outcome.wrote(write_bytes(target, data, perms, _zip_mtime(info)))
                else:
                    with archive.open(info) as source:
                        write_stream(target, source, perms, _zip_mtime(info), outcome.wrote)
                outcome.files += 1
            except Refused as refusal:
                outcome.refuse(name, refusal)


def extract_tar(path, destination, outcome):
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            name = member.name
            try:
                target = destination.target(name)
                if target is None:
                    continue
                if member.isdir():
                    destination.makedirs(target)
                    continue
                destination.makedirs(os.path.dirname(target))
                if member.isreg():
                    source = archive.extractfile(member)
                    perms = (member.mode & 0o777) or 0o644
                    if member.size <= WHOLE_READ_LIMIT:
                        data = source.read()
                        if len(data) != member.size:
                            raise EOFError(f"{name} is truncated")
                        outcome.wrote(write_bytes(target, data, perms, member.mtime))
                    else:
                        write_stream(target, source, perms, member.mtime, outcome.wrote)
                    outcome.files += 1
                elif member.issym():
                    destination.link_target(target, member.linkname)
                    make_symlink(target, member.linkname)
                elif member.islnk():
                    # a hard link names another entry of the archive: that path must be safe
                    source_path = destination.target(member.linkname)
                    if source_path is None or not os.path.lexists(source_path):
                        raise Refused(f"a hard link to {member.linkname}, which is not extracted")
                    try:
                        if os.path.lexists(target):
                            os.unlink(target)
                        os.link(source_path, target, follow_symlinks=False)
                    except OSError as exc:
                        raise WriteFailure(f"cannot link {target}: {exc.strerror or exc}") from exc
                    outcome.files += 1
                else:
                    raise Refused("a device, fifo or other special file", kind="unsupported")
            except Refused as refusal:
                outcome.refuse(name, refusal)


def unpack_one(job):
    """Worker: extract one archive; never raises (the failure is in the outcome)."""
    path, relative, dest = job
    outcome = Extraction(relative)
    destination = Destination(dest)
    try:
        if archive_kind(path) == "zip":
            extract_zip(path, destination, outcome)
        else:
            extract_tar(path, destination, outcome)
    except WriteFailure as exc:
        outcome.fail("error", str(exc))
    except READ_ERRORS as exc:
        outcome.fail("corrupt", f"{type(exc).__name__}: {exc}")
    outcome.report_live()
    return outcome.as_dict()


def _init_worker(live_written):
    global _LIVE_WRITTEN
    _LIVE_WRITTEN = live_written


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
        emit({"event": "error", "message": f"{dest}: {exc.strerror or exc}"})
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
    jobs = [(path, relative, dest) for path, relative in archives]
    last_progress = 0.0
    context = multiprocessing.get_context("fork")
    live_written = context.Value("q", 0)

    def emit_progress():
        line = {"event": "progress"}
        line.update(state)
        # archives still being unpacked have written bytes too: the live counter has them
        line["written_bytes"] = max(state["written_bytes"], live_written.value)
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
