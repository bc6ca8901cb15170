"""Copying files and folders between this machine, hosts and S3: ``awsconsole cp`` and the
transfer queue.

    local <-> host   big files: several OpenSSH streams with AES-GCM (transfer_ssh.py), as
                     many as the file's size and the host's measured round trip call for
                     (``choose_streams``: 1 for a small file, more over a long link);
                     small files: the host's pooled SFTP connection (no handshake per file)
    local <-> S3     boto3's managed transfer, tuned parts and threads (transfer_s3.py)
    host  <-> S3     ``aws s3 cp`` started on the host as a job: it survives the console
                     and the network going away

Every file lands under a temporary name in its destination folder (``.NAME.awsc-part-ID``)
and is renamed only once its size and SHA-256 match the source's, computed on each side;
a partial file never sits under the final name. For a big host file ID is derived from
the source's identity, size and mtime, and a journal beside it records what arrived: a
copy interrupted by the console exiting, crashing or losing the host is continued by the
next copy of the same source to the same place (transfer_resume.py). A file that already
exists is handled by the policy: ``skip`` (identical files are skipped, a different one is
an error: nothing is overwritten), ``overwrite``, or ``keep-both`` (the new copy gets a
`` (1)`` suffix).

The names inside a copied folder come from outside (S3 keys, a host's ``find`` listing) and
pass the containment rule (``console.files.paths``) before anything is created: a name with
a ``..``, an empty segment, a leading ``/`` or a NUL, or one whose folder resolves (links
on disk followed, on a host by the host) outside the destination, is skipped and reported
in ``TransferResult.refused`` with its reason; the rest of the copy goes on. On the sending
side a link on this machine whose target lies outside the copied folder is refused the same
way (a link an archive planted must not carry a private file away); a host's links are
never followed (``find -type f``; ``aws s3 cp --no-follow-symlinks``).
"""

from __future__ import annotations

import contextlib
import errno as errno_module
import hashlib
import itertools
import json
import os
import posixpath
import queue
import stat as stat_module
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, BinaryIO

from console.errors import ConsoleError, HostError, HostUnreachableError, RemoteFileError
from console.files.location import Location
from console.files.location import parse_location as parse_any_location
from console.files.paths import UnsafeName, contained_path, is_inside, name_parts
from console.files.remote_helpers import python_command
from console.files.transfer import resume as transfer_resume
from console.files.transfer import s3 as transfer_s3
from console.files.transfer import ssh_streams as transfer_ssh
from console.files.transfer.remote import helper_argv
from console.files.transfer.ssh_streams import (
    Control,
    DiskFullError,
    TransferCancelled,
    TransferError,
    remote_call,
)
from console.hosts.argv import tool_path
from console.hosts.base import Host
from console.hosts.local import LocalHost
from console.models import (
    FileKind,
    JobSpec,
    RefusedName,
    TransferProgress,
    TransferResult,
    TransferState,
)

__all__ = [
    "DiskFullError",
    "Location",
    "Policy",
    "TransferCancelled",
    "TransferEngine",
    "TransferError",
    "TransferHandle",
    "TransferSpec",
    "parse_location",
]

#: files up to this size go through the pooled SFTP session: a new ssh process per file
#: would cost a handshake each
SMALL_FILE = 8 * 1024 * 1024
#: round trips timed to measure a host's RTT (the least is kept: the others queued)
RTT_PROBES = 3
#: refused keys a host <-> S3 job leaves out with ``--exclude`` (each one is an argument)
MAX_EXCLUDES = 5000
PROGRESS_INTERVAL = 0.2
RATE_WINDOW = 5.0


class Policy(StrEnum):
    SKIP = "skip"
    OVERWRITE = "overwrite"
    KEEP_BOTH = "keep-both"


def parse_location(text: str) -> Location:
    """Read ``/local/path``, ``HOST:path`` or ``s3://bucket/key`` (console.files.location).

    Raises TransferError for an empty location, a missing bucket or an impossible host name.
    """
    return parse_any_location(text, error=TransferError)


@dataclass(frozen=True)
class TransferSpec:
    source: str
    destination: str
    recursive: bool = False
    policy: Policy = Policy.SKIP
    #: ssh streams per big file (None: chosen from the file's size and the host's round
    #: trip, see transfer_ssh.choose_streams)
    streams: int | None = None


# --- progress ------------------------------------------------------------------------------


class _Tracker:
    """Counts bytes from every stream, and reports at most every PROGRESS_INTERVAL."""

    def __init__(self, transfer_id: int, spec: TransferSpec, report: Callable | None):
        self.id = transfer_id
        self.spec = spec
        self.report = report
        self.lock = threading.Lock()
        self.bytes_done = 0
        self.bytes_resumed = 0
        self.bytes_total = 0
        self.files_done = 0
        self.files_total = 0
        self.current = ""
        self.refused = 0
        self.state = TransferState.QUEUED
        self.samples: deque[tuple[float, int]] = deque()
        self.last_report = 0.0
        self.control: Control | None = None

    def add(self, amount: int) -> None:
        with self.lock:
            self.bytes_done += amount
        self.emit()

    def add_resumed(self, amount: int) -> None:
        """Bytes an earlier run copied: done, but not part of the rate (the samples move
        with them, so the rate does not jump)."""
        with self.lock:
            self.bytes_done += amount
            self.bytes_resumed += amount
            self.samples = deque((when, done + amount) for when, done in self.samples)
        self.emit(force=True)

    def progress(self) -> TransferProgress:
        now = time.monotonic()
        with self.lock:
            self.samples.append((now, self.bytes_done))
            while len(self.samples) > 2 and now - self.samples[0][0] > RATE_WINDOW:
                self.samples.popleft()
            then, then_bytes = self.samples[0]
            rate = (self.bytes_done - then_bytes) / (now - then) if now > then else 0.0
            left = max(0, self.bytes_total - self.bytes_done)
            return TransferProgress(
                transfer_id=self.id,
                source=self.spec.source,
                destination=self.spec.destination,
                state=self.state,
                bytes_done=self.bytes_done,
                bytes_total=self.bytes_total,
                files_done=self.files_done,
                files_total=self.files_total,
                rate=rate,
                eta=(left / rate) if rate > 0 else None,
                current=self.current,
                resumes=self.control.resumes if self.control else 0,
                bytes_resumed=self.bytes_resumed,
                refused=self.refused,
            )

    def emit(self, force: bool = False) -> None:
        if self.report is None:
            return
        now = time.monotonic()
        if not force and now - self.last_report < PROGRESS_INTERVAL:
            return
        self.last_report = now
        self.report(self.progress())


# --- the queue -----------------------------------------------------------------------------


class TransferHandle:
    """One queued transfer: pause, resume, cancel, and its result."""

    def __init__(self, transfer_id: int, spec: TransferSpec, tracker: _Tracker):
        self.id = transfer_id
        self.spec = spec
        self.cancel_event = threading.Event()
        self.running_event = threading.Event()
        self.running_event.set()
        self.tracker = tracker
        self.future: Future[TransferResult] = Future()

    def pause(self) -> None:
        self.running_event.clear()
        self.tracker.state = TransferState.PAUSED
        self.tracker.emit(force=True)

    def resume(self) -> None:
        self.tracker.state = TransferState.RUNNING
        self.running_event.set()
        self.tracker.emit(force=True)

    def cancel(self) -> None:
        self.cancel_event.set()
        self.running_event.set()

    def progress(self) -> TransferProgress:
        return self.tracker.progress()

    def result(self, timeout: float | None = None) -> TransferResult:
        """Wait for the end; returns the result (state FAILED/CANCELLED carry ``error``)."""
        return self.future.result(timeout)


class TransferEngine:
    """Runs transfers from a queue, ``workers`` at a time.

    ``host_for(name)`` gives the Host of ``HOST:path``; ``s3_client()`` the boto3 S3 client;
    ``aws_cli`` is the argv prefix for host <-> S3 jobs (``aws``, plus ``--endpoint-url``
    when the console talks to a non-default endpoint); ``jobs_for(host)`` a JobManager;
    ``streams`` fixes the ssh streams per big file (None: chosen per file from its size and
    the host's measured round trip).
    """

    def __init__(
        self,
        host_for: Callable[[str], Host],
        s3_client: Callable[[], Any] | None = None,
        *,
        jobs_for: Callable[[Host], Any] | None = None,
        aws_cli: tuple[str, ...] = ("aws",),
        workers: int = 2,
        python: str = "python3",
        streams: int | None = None,
    ):
        self.host_for = host_for
        #: ssh streams per big file for every transfer that names none (None: automatic)
        self.streams = streams
        self.s3_client = s3_client
        self.jobs_for = jobs_for
        self.aws_cli = aws_cli
        self.python = python
        self._ids = itertools.count(1)
        self._queue: queue.Queue[TransferHandle | None] = queue.Queue()
        self._workers = [
            threading.Thread(target=self._work, name=f"transfer-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        self._started = False
        self._lock = threading.Lock()
        self.handles: list[TransferHandle] = []

    def submit(
        self, spec: TransferSpec, on_progress: Callable[[TransferProgress], None] | None = None
    ) -> TransferHandle:
        """Queue a transfer; it starts when a worker is free."""
        transfer_id = next(self._ids)
        handle = TransferHandle(transfer_id, spec, _Tracker(transfer_id, spec, on_progress))
        with self._lock:
            self.handles.append(handle)
            if not self._started:
                self._started = True
                for worker in self._workers:
                    worker.start()
        self._queue.put(handle)
        return handle

    def overall(self) -> TransferProgress | None:
        """All transfers summed (id 0): bytes, files, rate and ETA of the whole queue."""
        with self._lock:
            items = [h.progress() for h in self.handles]
        if not items:
            return None
        done = sum(p.bytes_done for p in items)
        total = sum(p.bytes_total for p in items)
        rate = sum(p.rate for p in items if p.state is TransferState.RUNNING)
        running = any(p.state is TransferState.RUNNING for p in items)
        return TransferProgress(
            transfer_id=0,
            source="",
            destination="",
            state=TransferState.RUNNING if running else TransferState.DONE,
            bytes_done=done,
            bytes_total=total,
            files_done=sum(p.files_done for p in items),
            files_total=sum(p.files_total for p in items),
            rate=rate,
            eta=(total - done) / rate if rate > 0 else None,
            resumes=sum(p.resumes for p in items),
            bytes_resumed=sum(p.bytes_resumed for p in items),
            refused=sum(p.refused for p in items),
        )

    def _work(self) -> None:
        while True:
            handle = self._queue.get()
            if handle is None:
                return
            result = self._run_handle(handle)
            handle.future.set_result(result)

    def run(
        self,
        spec: TransferSpec,
        on_progress: Callable[[TransferProgress], None] | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> TransferResult:
        """Run one transfer in this thread. Raises the ConsoleError that stopped it
        (TransferError, DiskFullError, TransferCancelled, HostError subclasses)."""
        transfer_id = next(self._ids)
        handle = TransferHandle(transfer_id, spec, _Tracker(transfer_id, spec, on_progress))
        if cancel is not None:
            handle.cancel_event = cancel
        result = self._run_handle(handle, raise_errors=True)
        return result

    def _run_handle(self, handle: TransferHandle, raise_errors: bool = False) -> TransferResult:
        tracker = handle.tracker
        control = Control(handle.cancel_event, handle.running_event, tracker.add)
        tracker.control = control
        tracker.state = TransferState.RUNNING
        started = time.monotonic()
        job = _Job(self, handle.spec, tracker, control)
        try:
            job.run()
            tracker.state = (
                TransferState.SKIPPED if job.copied == 0 and job.skipped else TransferState.DONE
            )
            if job.job_id:
                tracker.state = TransferState.RUNNING
            error = None
        except ConsoleError as exc:
            tracker.state = (
                TransferState.CANCELLED
                if isinstance(exc, TransferCancelled)
                else TransferState.FAILED
            )
            error = exc
        tracker.emit(force=True)
        result = TransferResult(
            transfer_id=handle.id,
            source=handle.spec.source,
            destination=handle.spec.destination,
            state=tracker.state,
            bytes_total=tracker.bytes_total,
            files_copied=job.copied,
            files_skipped=job.skipped,
            seconds=time.monotonic() - started,
            resumes=control.resumes,
            verified=",".join(sorted(job.verified)),
            written=tuple(job.written),
            error=str(error) if error else None,
            job_id=job.job_id,
            bytes_resumed=tracker.bytes_resumed,
            refused=tuple(job.refused),
        )
        if error is not None and raise_errors:
            raise error
        return result


# --- sides ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """A resolved location: a local path (also for a LocalHost), a host path or S3."""

    kind: str  # "local", "host", "s3"
    path: str
    host: Host | None = None
    bucket: str | None = None

    def label(self, path: str | None = None) -> str:
        path = self.path if path is None else path
        if self.kind == "host":
            return f"{self.host.name}:{path}"
        if self.kind == "s3":
            return f"s3://{self.bucket}/{path}"
        return path

    def join(self, *parts: str) -> str:
        if self.kind == "local":
            return os.path.join(self.path, *parts)
        if self.kind == "s3":
            base = self.path.rstrip("/")
            return "/".join([base, *parts]) if base else "/".join(parts)
        return posixpath.join(self.path, *parts)

    def at(self, path: str) -> _Side:
        return replace(self, path=path)


@dataclass(frozen=True)
class _FilePlan:
    source: str
    destination: str
    size: int
    mode: int = 0o644
    #: the source's modification time (part of the resume key: a changed source never
    #: resumes into an old partial file)
    mtime: float = 0.0
    #: for a file inside a copied folder: the destination folder and the file's name below
    #: it, which came from outside and is checked where it is written (None: a file the
    #: user named)
    root: str | None = None
    rel: str | None = None


class _Job:
    """One transfer: resolve both sides, list the files, copy each."""

    def __init__(self, engine: TransferEngine, spec: TransferSpec, tracker: _Tracker, control):
        self.engine = engine
        self.spec = spec
        self.tracker = tracker
        self.control: Control = control
        self.copied = 0
        self.skipped = 0
        self.verified: set[str] = set()
        self.written: list[str] = []
        self.refused: list[RefusedName] = []
        self.job_id: str | None = None
        self.streams = spec.streams or engine.streams
        #: the measured round trip per host name (once per transfer)
        self._rtts: dict[str, float | None] = {}

    # -- resolving --

    def _side(self, text: str) -> _Side:
        location = parse_location(text)
        if location.kind == "s3":
            return _Side("s3", location.path, bucket=location.bucket)
        if location.kind == "host":
            host = self.engine.host_for(location.host)
            if isinstance(host, LocalHost):
                return _Side("local", host.expand(location.path), host=host)
            return _Side("host", host.expand(location.path), host=host)
        return _Side("local", os.path.abspath(os.path.expanduser(location.path)))

    def _s3(self) -> Any:
        if self.engine.s3_client is None:
            raise TransferError("No AWS session: S3 locations cannot be copied here.")
        return self.engine.s3_client()

    def run(self) -> None:
        source = self._side(self.spec.source)
        destination = self._side(self.spec.destination)
        if source.kind == "host" and destination.kind == "host":
            raise TransferError(
                "Copying from one host to another is not supported: copy to this machine "
                "first, or through S3."
            )
        if destination.kind == "s3" and ".." in destination.path.split("/"):
            # a key with a '..' segment is a trap for whoever downloads the bucket later
            raise TransferError(
                f"{destination.label()} has a '..' segment: S3 keys are written as they are "
                "typed, and such a key would climb out of a folder when downloaded."
            )
        # a host's side of an S3 copy runs on the host, even when the host is this machine
        # (the demo's sandboxed instances): as a job it outlives the console
        on_host = source.host is not None or destination.host is not None
        if "s3" in (source.kind, destination.kind) and on_host:
            self._host_s3_job(source, destination)
            return
        if source.kind == "s3" and destination.kind == "s3":
            raise TransferError("Copying from S3 to S3 is not supported by cp.")
        plans = self._plan(source, destination)
        with self.tracker.lock:
            self.tracker.files_total = len(plans)
            self.tracker.bytes_total = sum(plan.size for plan in plans)
        self.tracker.emit(force=True)
        for plan in plans:
            self.control.checkpoint()
            self.tracker.current = plan.source
            self._copy(source, destination, plan)
            with self.tracker.lock:
                self.tracker.files_done += 1
            self.tracker.emit(force=True)

    # -- listing --

    def _stat(self, side: _Side, path: str) -> tuple[str, int, int, float] | None:
        """(kind, size, mode, mtime) or None when missing: kind is "file", "dir" or
        "other"."""
        if side.kind == "local":
            try:
                st = os.stat(path)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise TransferError(f"Cannot read {path}: {exc.strerror}") from exc
            kind = "dir" if stat_module.S_ISDIR(st.st_mode) else "file"
            if not (stat_module.S_ISDIR(st.st_mode) or stat_module.S_ISREG(st.st_mode)):
                kind = "other"
            return kind, st.st_size, stat_module.S_IMODE(st.st_mode), st.st_mtime
        if side.kind == "host":
            try:
                info = side.host.stat(path)
            except RemoteFileError as exc:
                if getattr(exc, "errno", None) == 2 or "No such file" in str(exc):
                    return None
                raise
            if info.kind is FileKind.SYMLINK:
                result = side.host.run(["stat", "-L", "-c", "%F", "--", tool_path(path)])
                kind = "dir" if b"directory" in result.stdout else "file"
            else:
                kind = {FileKind.DIRECTORY: "dir", FileKind.FILE: "file"}.get(info.kind, "other")
            return kind, info.size, stat_module.S_IMODE(info.mode) or 0o644, info.mtime
        size = transfer_s3.object_size(self._s3(), side.bucket, path)
        if size is not None:
            return "file", size, 0o644, 0.0
        if transfer_s3.list_objects(self._s3(), side.bucket, path.rstrip("/") + "/"):
            return "dir", 0, 0o755, 0.0
        return None

    def _refuse(self, name: str, reason: str) -> None:
        """Skip ``name`` (from the source, relative to the copied folder) and report why."""
        self.refused.append(RefusedName(name, reason))
        with self.tracker.lock:
            self.tracker.refused += 1

    def _walk(self, side: _Side, root: str) -> list[tuple[str, int, int, float]]:
        """(relative path, size, mode, mtime) of every file under a folder."""
        if side.kind == "local":
            return self._walk_local(root)
        if side.kind == "host":
            result = side.host.run(
                ["find", tool_path(root), "-mindepth", "1", "-type", "f",
                 "-printf", "%s %m %T@ %P\\0"],
                timeout=600,
            )  # fmt: skip
            if result.exit_code != 0:
                raise RemoteFileError(
                    f"Cannot list {side.label(root)}: {result.stderr.decode(errors='replace')}"
                )
            files: list[tuple[str, int, int, float]] = []
            for record in result.stdout.split(b"\0"):
                if record:
                    size, mode, mtime, rel = record.decode("utf-8", "surrogateescape").split(" ", 3)
                    files.append((rel, int(size), int(mode, 8), float(mtime)))
            return files
        prefix = root.rstrip("/") + "/"
        return [
            (key[len(prefix) :], size, 0o644, 0.0)
            for key, size in transfer_s3.list_objects(self._s3(), side.bucket, prefix)
            if not key.endswith("/")
        ]

    def _walk_local(self, root: str) -> list[tuple[str, int, int, float]]:
        """The files under a folder here. A link is copied as the file it points to only
        when that file lies inside the folder: one that leads out (a private key, say, that
        an archive linked to) is refused, and so is a link to nothing."""
        files: list[tuple[str, int, int, float]] = []
        real_root = os.path.realpath(root)
        for directory, _dirs, names in os.walk(root):
            for name in sorted(names):
                full = os.path.join(directory, name)
                rel = os.path.relpath(full, root)
                try:
                    if os.path.islink(full):
                        if not is_inside(real_root, os.path.realpath(full)):
                            self._refuse(rel, "a link that leads outside the copied folder")
                            continue
                    st = os.stat(full)
                except FileNotFoundError:
                    self._refuse(rel, "a link to nothing")
                    continue
                except OSError as exc:
                    raise TransferError(f"Cannot read {full}: {exc.strerror}") from exc
                if stat_module.S_ISREG(st.st_mode):
                    mode = stat_module.S_IMODE(st.st_mode)
                    files.append((rel, st.st_size, mode, st.st_mtime))
        return files

    def _plan(self, source: _Side, destination: _Side) -> list[_FilePlan]:
        info = self._stat(source, source.path)
        if info is None:
            raise TransferError(f"{source.label()} does not exist.")
        kind, size, mode, mtime = info
        target = self._stat(destination, destination.path)
        into_folder = (target is not None and target[0] == "dir") or self.spec.destination.endswith(
            "/"
        )
        if kind == "dir":
            if not self.spec.recursive:
                raise TransferError(f"{source.label()} is a folder: use -r to copy it whole.")
            name = _basename(source.path)
            # S3 has no folders: a trailing "/" alone says "into"
            inside = into_folder and (target is not None or destination.kind == "s3")
            if inside:
                _check_own_name(source, name)
            root = destination.join(name) if inside else destination.path
            if target is not None and target[0] != "dir":
                raise TransferError(f"{destination.label()} exists and is not a folder.")
            plans = []
            for rel, s, m, t in self._walk(source, source.path):
                try:
                    parts = name_parts(rel)
                    if destination.kind == "s3":
                        _check_key_text(rel)
                except UnsafeName as exc:
                    self._refuse(rel, exc.reason)
                    continue
                # the source is read under its own name; the copy is written under the
                # checked one ("./" segments dropped)
                clean = "/".join(parts)
                plans.append(
                    _FilePlan(
                        source.join(*rel.split("/")), _join(destination, root, clean), s, m, t,
                        root=root, rel=clean,
                    )
                )  # fmt: skip
            if destination.kind == "host":
                plans = self._refuse_on_host(destination, root, plans)
            return plans
        if kind != "file":
            raise TransferError(f"{source.label()} is not a regular file.")
        if into_folder:
            _check_own_name(source, _basename(source.path))
        final = destination.join(_basename(source.path)) if into_folder else destination.path
        if into_folder and target is None and destination.kind != "s3":
            raise TransferError(f"The destination folder {destination.label()} does not exist.")
        return [_FilePlan(source.path, final, size, mode, mtime)]

    def _refuse_on_host(self, side: _Side, root: str, plans: list[_FilePlan]) -> list[_FilePlan]:
        """The plans whose names the host lets in under ``root`` (its links counted); the
        others are refused with the host's reason."""
        refused = refused_on_host(side.host, self.engine.python, root, [p.rel for p in plans])
        kept = []
        for index, plan in enumerate(plans):
            if index in refused:
                self._refuse(plan.rel or plan.source, refused[index])
            else:
                kept.append(plan)
        return kept

    # -- one file --

    def _copy(self, source: _Side, destination: _Side, plan: _FilePlan) -> None:
        if plan.rel is not None and destination.kind == "local":
            # resolved now, just before its folder is made: links already on disk count
            try:
                plan = replace(plan, destination=contained_path(plan.root, plan.rel))
            except UnsafeName as exc:
                self._refuse(plan.rel, exc.reason)
                self.tracker.add(plan.size)
                return
        self._ensure_folder(destination, plan.destination)
        final = self._apply_policy(source, destination, plan)
        if final is None:
            self.skipped += 1
            self.tracker.add(plan.size)
            return
        kinds = (source.kind, destination.kind)
        if kinds == ("local", "local"):
            how = self._local_copy(plan.source, final, plan)
        elif kinds == ("local", "host"):
            how = self._upload_host(destination.host, plan.source, final, plan)
        elif kinds == ("host", "local"):
            how = self._download_host(source.host, plan.source, final, plan)
        elif kinds == ("local", "s3"):
            how = transfer_s3.upload(
                self._s3(), plan.source, destination.bucket, final, self.control
            )
        elif kinds == ("s3", "local"):
            how = self._download_s3(source, plan, final)
        else:  # pragma: no cover - excluded in run()
            raise TransferError(f"Cannot copy {source.kind} to {destination.kind}.")
        self.verified.add(how)
        self.copied += 1
        self.written.append(destination.label(final))

    def _ensure_folder(self, side: _Side, path: str) -> None:
        if side.kind == "local":
            folder = os.path.dirname(path)
            if not os.path.isdir(folder):
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError as exc:
                    raise TransferError(
                        f"Cannot create the folder {folder}: {exc.strerror}"
                    ) from exc
        elif side.kind == "host":
            side.host.makedirs(posixpath.dirname(path))

    def _apply_policy(self, source: _Side, destination: _Side, plan: _FilePlan) -> str | None:
        """The path to write, or None to skip. Raises TransferError for ``skip`` when the
        existing file differs."""
        existing = self._stat(destination, plan.destination)
        if existing is None or self.spec.policy is Policy.OVERWRITE:
            return plan.destination
        if existing[0] != "file":
            raise TransferError(f"{destination.label(plan.destination)} exists and is not a file.")
        if self.spec.policy is Policy.KEEP_BOTH:
            return self._free_name(destination, plan.destination)
        if existing[1] == plan.size and self._same(source, destination, plan):
            return None
        raise TransferError(
            f"{destination.label(plan.destination)} already exists and differs from "
            f"{source.label(plan.source)}; nothing was overwritten.",
            hint="Copy again with --policy overwrite or --policy keep-both.",
        )

    def _same(self, source: _Side, destination: _Side, plan: _FilePlan) -> bool:
        if destination.kind == "s3":
            return transfer_s3.object_matches(
                self._s3(), destination.bucket, plan.destination, plan.source
            )[0]
        if source.kind == "s3":
            return transfer_s3.object_matches(
                self._s3(), source.bucket, plan.source, plan.destination
            )[0]
        return self._sha256(source, plan.source) == self._sha256(destination, plan.destination)

    def _sha256(self, side: _Side, path: str) -> str:
        if side.kind == "local":
            return _local_sha256(path)
        return remote_call(side.host, self.engine.python, "hash", path).split()[0]

    def _free_name(self, side: _Side, path: str) -> str:
        folder, name = (os.path if side.kind == "local" else posixpath).split(path)
        stem, dot, ext = name.rpartition(".")
        if not stem:
            stem, dot, ext = name, "", ""
        for number in itertools.count(1):
            candidate = f"{stem} ({number}){dot}{ext}"
            full = (os.path if side.kind == "local" else posixpath).join(folder, candidate)
            if side.kind == "s3":
                full = f"{folder}/{candidate}" if folder else candidate
            if self._stat(side, full) is None:
                return full
        raise AssertionError("unreachable")

    # local -> local (also this machine as a sandboxed host)
    def _local_copy(self, source: str, final: str, plan: _FilePlan) -> str:
        temp = _temp_name(os.path, final)
        digest = hashlib.sha256()
        try:
            with open(source, "rb") as reader, _create_local(temp, final) as writer:
                while block := reader.read(transfer_ssh.CHUNK):
                    self.control.checkpoint()
                    digest.update(block)
                    try:
                        writer.write(block)
                    except OSError as exc:
                        raise _local_write_error(exc, final) from exc
                    self.tracker.add(len(block))
                try:
                    writer.flush()
                    os.fsync(writer.fileno())
                except OSError as exc:
                    raise _local_write_error(exc, final) from exc
            if _local_sha256(temp) != digest.hexdigest():
                raise TransferError(f"{final}: the copy does not match {source}.")
            os.chmod(temp, plan.mode)
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise
        return "sha256"

    # local -> host
    def _upload_host(self, host: Host, source: str, final: str, plan: _FilePlan) -> str:
        """Small files: one helper call with the bytes on stdin, the whole file's SHA-256
        checked by ``finish`` before the rename. Big ones: see _copy_big."""
        if plan.size > SMALL_FILE:
            return self._copy_big(host, source, final, plan, upload=True)
        temp = _temp_name(posixpath, final)
        try:
            self._retrying(
                lambda: _small_upload(host, self.engine.python, source, temp, final),
                f"{host.name}:{final}",
            )
            self.tracker.add(plan.size)
            self._finish_on_host(host, temp, final, plan, _local_sha256(source))
        except BaseException:
            with contextlib.suppress(ConsoleError, OSError):
                host.run(["rm", "-f", "--", temp], timeout=30)
            raise
        return "sha256"

    def _finish_on_host(
        self, host: Host, temp: str, final: str, plan: _FilePlan, expected: str
    ) -> None:
        try:
            remote_call(
                host, self.engine.python, "finish", temp, final, f"{plan.mode:o}",
                plan.size, expected,
            )  # fmt: skip
        except RemoteFileError as exc:
            raise TransferError(
                f"{host.name}:{final} was not written: the copy did not verify ({exc})."
            ) from exc

    def _carry_resumable(
        self,
        store: Any,
        key: str,
        plan: _FilePlan,
        resume: list[transfer_resume.RangeState] | None,
        discard: Callable[[], None],
        carry: Callable[[Any, Callable[[list], None]], None],
    ) -> None:
        """Run ``carry(ranges, on_pieces)`` with its journal kept; an interruption that a
        later run can continue from (a host that went away, the console stopped) keeps the
        partial file and its journal, any other failure ``discard``s them."""
        if resume:
            self.tracker.add_resumed(sum(done for _, _, done in resume))
        pieces: list = []
        writer = transfer_resume.JournalWriter(
            store, key, plan.size, lambda: [(p.offset, p.length, p.confirmed) for p in pieces]
        ).start()
        try:
            carry(resume, pieces.extend)
        except BaseException as exc:
            keep = isinstance(exc, (HostUnreachableError, KeyboardInterrupt, SystemExit))
            writer.stop(flush=keep)
            if not keep:
                discard()
            raise
        writer.stop(flush=False)

    # host -> local
    def _download_host(self, host: Host, source: str, final: str, plan: _FilePlan) -> str:
        if plan.size > SMALL_FILE:
            return self._copy_big(host, source, final, plan, upload=False)
        temp = _temp_name(os.path, final)
        try:
            self._retrying(lambda: _host_get(host, source, temp, final), f"{host.name}:{source}")
            self.tracker.add(plan.size)
            remote_hex = remote_call(host, self.engine.python, "hash", source).split()[0]
            if _local_sha256(temp) != remote_hex:
                raise TransferError(f"{final}: the copy does not match {host.name}:{source}.")
            self._rename_local(temp, final, plan)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise
        return "sha256"

    def _copy_big(
        self, host: Host, source: str, final: str, plan: _FilePlan, *, upload: bool
    ) -> str:
        """Several streams into ``.NAME.awsc-part-KEY`` at the destination, each comparing
        the SHA-256 of what it carried. A partial file an earlier run left is continued once
        its arrived bytes are checked on both sides (transfer_resume)."""
        python = self.engine.python
        if upload:
            key = transfer_resume.resume_key("upload", source, plan.size, plan.mtime)
            temp = transfer_resume.part_name(posixpath, final, key)
            store: Any = transfer_resume.HostJournalFile(
                host, temp + transfer_resume.JOURNAL_SUFFIX
            )
            lock, here, there = f"{host.name}:{temp}", source, temp
        else:
            key = transfer_resume.resume_key("download", host.name, source, plan.size, plan.mtime)
            temp = transfer_resume.part_name(os.path, final, key)
            store = transfer_resume.LocalJournalFile(transfer_resume.local_journal_path(temp))
            lock, here, there = temp, temp, source

        def discard() -> None:
            if upload:
                with contextlib.suppress(ConsoleError, OSError):
                    host.run(["rm", "-f", "--", temp, store.path], timeout=30)
                return
            store.remove()
            with contextlib.suppress(OSError):
                os.remove(temp)

        def carry(ranges: Any, on_pieces: Callable[[list], None]) -> None:
            move = transfer_ssh.upload if upload else transfer_ssh.download
            streams = self._streams(host, plan.size)
            move(host, source, plan.size, temp, final, streams, self.control, python,
                 resume=ranges, on_pieces=on_pieces)  # fmt: skip

        with transfer_resume.exclusive(lock):
            resume = transfer_resume.resumable_ranges(
                store,
                key,
                plan.size,
                lambda spans: transfer_resume.hash_spans(here, spans),
                lambda spans: remote_call(
                    host, python, "hashranges", there, *_span_args(spans)
                ).split(),
            )
            if resume is None:
                discard()  # bytes no journal vouches for (the upload helper never truncates)
            self._carry_resumable(store, key, plan, resume, discard, carry)
            try:
                if upload:  # every span was compared already ("-": no second pass)
                    self._finish_on_host(host, temp, final, plan, "-")
                else:
                    self._rename_local(temp, final, plan)
            except BaseException:
                discard()
                raise
            store.remove()
        _drop_stale_parts(host if upload else None, posixpath if upload else os.path, final)
        return "sha256"

    @staticmethod
    def _rename_local(temp: str, final: str, plan: _FilePlan) -> None:
        if os.path.getsize(temp) != plan.size:
            raise TransferError(f"{final}: the copy has the wrong size.")
        os.chmod(temp, plan.mode)
        os.replace(temp, final)

    def _streams(self, host: Host, size: int) -> int:
        """The spec's or engine's stream count, else one chosen for this file and host."""
        if self.streams:
            return self.streams
        if host.name not in self._rtts:
            self._rtts[host.name] = measure_rtt(host)
        return transfer_ssh.choose_streams(size, self._rtts[host.name], os.cpu_count() or 1)

    def _retrying(self, action: Callable[[], None], what: str) -> None:
        """Small files: retry a copy whose connection dropped (SshHost reconnects)."""
        for attempt in range(transfer_ssh.MAX_ATTEMPTS_WITHOUT_PROGRESS):
            self.control.checkpoint()
            try:
                action()
                return
            except HostUnreachableError:
                if attempt == transfer_ssh.MAX_ATTEMPTS_WITHOUT_PROGRESS - 1:
                    raise
                self.control.resumes += 1
                self.control.cancel.wait(min(0.25 * 2**attempt, 4.0))

    # s3 -> local
    def _download_s3(self, source: _Side, plan: _FilePlan, final: str) -> str:
        temp = _temp_name(os.path, final)
        try:
            how = transfer_s3.download(
                self._s3(), source.bucket, plan.source, temp, final, self.control
            )
            os.chmod(temp, 0o644)
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise
        return how

    # host <-> s3
    def _host_s3_job(self, source: _Side, destination: _Side) -> None:
        """``aws s3 cp`` on the host, as a job. From S3, the keys are listed here first and
        judged by the containment rule on the host: a refused key is reported and left out
        with an ``--exclude`` that matches it alone (a key added after the listing meets
        the CLI's own parent-folder check). To S3, links on the host are not followed."""
        host = source.host if source.kind == "host" else destination.host
        if self.engine.jobs_for is None:
            raise TransferError("Copies between a host and S3 need the job runner.")
        argv = [*self.engine.aws_cli, "s3", "cp"]
        if self.spec.recursive:
            argv.append("--recursive")
        if source.kind == "s3":
            argv += [f"s3://{source.bucket}/{source.path}", tool_path(destination.path)]
            if self.spec.recursive:
                excludes = self._keys_refused_on_host(source, destination)
                if excludes is None:
                    return  # every key was refused: nothing to start
                for rel in excludes:
                    argv += ["--exclude", _glob_literal(rel)]
            elif self.spec.destination.endswith("/") or _is_host_dir(destination):
                _check_own_name(source, _basename(source.path))
        else:
            argv += [tool_path(source.path), f"s3://{destination.bucket}/{destination.path}"]
            argv += ["--checksum-algorithm", "SHA256"]
            if self.spec.recursive:
                argv.append("--no-follow-symlinks")
        name = f"cp {_basename(source.path) or source.path}"
        job = self.engine.jobs_for(host).start(JobSpec(command=tuple(argv), name=name))
        self.job_id = job.id

    def _keys_refused_on_host(self, source: _Side, destination: _Side) -> list[str] | None:
        """The names (relative to the source prefix) to leave out of a recursive copy from
        S3 to a host: the refused ones, each reported, and the folder markers (keys ending
        in ``/``: nothing to write, and the CLI fails on them). None when no file would be
        left to copy."""
        base = source.path.rstrip("/")
        prefix = f"{base}/" if base else ""
        files: list[str] = []
        excluded: list[str] = []
        for key, _size in transfer_s3.list_objects(self._s3(), source.bucket, prefix):
            rel = key[len(prefix) :]
            if not rel or rel.endswith("/"):
                excluded.append(rel)
                continue
            try:
                name_parts(rel)
            except UnsafeName as exc:
                self._refuse(rel, exc.reason)
                excluded.append(rel)
                continue
            files.append(rel)
        judged = refused_on_host(destination.host, self.engine.python, destination.path, files)
        for index, reason in sorted(judged.items()):
            self._refuse(files[index], reason)
            excluded.append(files[index])
        if len(judged) == len(files) and self.refused:
            return None
        if len(excluded) > MAX_EXCLUDES:
            raise TransferError(
                f"{len(excluded)} keys under {source.label()} cannot be written on "
                f"{destination.label()}: too many to leave out of one copy.",
                hint="Copy the prefix to this machine first (the refused keys are reported there).",
            )
        return excluded


def _is_host_dir(side: _Side) -> bool:
    try:
        info = side.host.stat(side.path)
    except RemoteFileError:
        return False
    if info.kind is FileKind.SYMLINK:
        result = side.host.run(["test", "-d", tool_path(side.path)], timeout=30)
        return result.ok
    return info.kind is FileKind.DIRECTORY


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


def _small_upload(host: Host, python: str, source: str, temp: str, final: str) -> None:
    """One small file through the pooled connection: the helper's ``write`` mode with the
    bytes on stdin (it reports errno, so a full disk is told apart from other failures)."""
    with open(source, "rb") as handle:
        data = handle.read()
    result = host.run(helper_argv(python, "write", temp, 0), stdin=data, timeout=300)
    output = result.stdout.decode("utf-8", "replace")
    for line in output.splitlines():
        if line.startswith("error "):
            number, _, text = line[6:].partition(" ")
            if number == str(errno_module.ENOSPC):
                raise DiskFullError(
                    f"The disk holding {host.name}:{final} is full.",
                    hint="Free some space there (or choose another destination) and copy again.",
                )
            raise RemoteFileError(f"Cannot write {host.name}:{final}: {text}")
    if result.exit_code != 0 or "done" not in output.split():
        raise HostUnreachableError(
            f"The upload of {final} to {host.name} stopped: "
            f"{result.stderr.decode('utf-8', 'replace').strip() or result.exit_code}"
        )


def _host_get(host: Host, source: str, temp: str, final: str) -> None:
    try:
        host.get(source, temp)
    except HostUnreachableError:
        raise
    except HostError as exc:
        if "No space left" in str(exc):
            raise DiskFullError(
                f"The disk holding {final} is full.",
                hint="Free some space there (or choose another destination) and copy again.",
            ) from exc
        raise


def _drop_stale_parts(host: Host | None, pathmod: Any, final: str) -> None:
    """Remove what interrupted copies of older versions of the source left next to
    ``final`` (their key differs, so they were never resumed); on this machine when
    ``host`` is None. Best effort: a failure leaves them for the next copy."""
    folder, name = pathmod.split(final)
    prefix = f".{name}{transfer_resume.PART_MARK}"
    with contextlib.suppress(ConsoleError, OSError):
        if host is None:
            for entry in os.listdir(folder):
                if entry.startswith(prefix):
                    stale = os.path.join(folder, entry)
                    os.remove(stale)
                    transfer_resume.LocalJournalFile(
                        transfer_resume.local_journal_path(stale)
                    ).remove()
            return
        stale = [entry.path for entry in host.listdir(folder) if entry.name.startswith(prefix)]
        if stale:
            host.run(["rm", "-f", "--", *stale], timeout=30)


def _span_args(spans: Sequence[tuple[int, int]]) -> list[str]:
    """``START:LENGTH`` arguments of the helper's ``hashranges`` mode."""
    return [f"{start}:{length}" for start, length in spans]


def _local_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _create_local(temp: str, final: str) -> BinaryIO:
    """``temp`` created for writing (never an existing file); a folder that refuses new
    files (read-only file system, /proc, no permission) is a TransferError naming ``final``."""
    try:
        return open(temp, "xb")  # noqa: SIM115 - the caller's with closes it
    except OSError as exc:
        raise _local_write_error(exc, final) from exc


def _local_write_error(exc: OSError, final: str) -> TransferError:
    if exc.errno == 28:
        return DiskFullError(
            f"The disk holding {final} is full.",
            hint="Free some space there (or choose another destination) and copy again.",
        )
    return TransferError(f"Cannot write {final}: {exc.strerror}")


def _temp_name(pathmod: Any, final: str) -> str:
    """``.NAME.awsc-part-ID`` next to the final name (same filesystem: rename is atomic)."""
    folder, name = pathmod.split(final)
    return pathmod.join(folder, f".{name}.awsc-part-{uuid.uuid4().hex[:10]}")


def _basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) or path


def _check_own_name(source: _Side, name: str) -> None:
    """A file or folder copied *into* a folder keeps its name: that name must be one plain
    name (``s3://b/x/..`` would land above the destination). Raises TransferError."""
    try:
        parts = name_parts(name)
    except UnsafeName as exc:
        raise TransferError(
            f"{source.label()} cannot be copied into a folder under its name: {exc.reason}."
        ) from exc
    if len(parts) != 1:
        raise TransferError(f"{source.label()} has no name of its own to copy it under.")


def _check_key_text(name: str) -> None:
    """An S3 key is UTF-8 text: a local name whose bytes are not cannot become one."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeName(name, "a name that is not UTF-8 text cannot be an S3 key") from None


def refused_on_host(host: Host, python: str, root: str, names: Sequence[str]) -> dict[int, str]:
    """{index: reason} of the ``names`` (from outside, relative to ``root``) that may not
    be written under ``root`` on ``host``: one round trip, the host resolving its own links
    (``remote_helpers/contained_names.py`` with the containment rule shipped ahead).

    Raises TransferError when the host cannot run the check (no ``python3``).
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


def _glob_literal(name: str) -> str:
    """A pattern of ``aws s3 cp --exclude`` that matches ``name`` only (fnmatch has no
    escape character: ``*``, ``?`` and ``[`` become one-character classes). A leading ``/``
    is a class too: the CLI joins the pattern to the source folder with ``os.path.join``,
    which would drop the folder for an absolute-looking pattern."""
    escaped = "".join(f"[{char}]" if char in "*?[" else char for char in name)
    return f"[/]{escaped[1:]}" if escaped.startswith("/") else escaped


def _join(side: _Side, root: str, rel: str) -> str:
    if side.kind == "local":
        return os.path.join(root, *rel.split("/"))
    return posixpath.join(root, rel) if side.kind == "host" else f"{root.rstrip('/')}/{rel}"


def engine_for(services: Any) -> TransferEngine:
    """A TransferEngine on the services' hosts, S3 client and job runner (what the ``cp``
    command and the Files view share)."""
    from console.jobs.manager import JobManager

    services.ready()  # the demo's endpoint is known once it has started

    def s3_client() -> Any:
        return services.s3.client()

    endpoint = getattr(services.settings, "endpoint_url", None)
    aws_cli = ("aws", "--endpoint-url", endpoint) if endpoint else ("aws",)
    return TransferEngine(
        services.hosts.host_for,
        s3_client,
        jobs_for=JobManager,
        aws_cli=aws_cli,
        # a fixed count from the settings when they name one; else chosen per file
        streams=configured_streams(services.settings.section("transfer")),
    )


def configured_streams(section: dict[str, Any]) -> int | None:
    """``streams`` of the config file's ``[transfer]`` table: SSH streams per big file, or
    None (absent or ``"auto"``) to choose per file from its size and the round trip.

    Raises ConfigError for anything but a whole number from 1 to MAX_STREAMS or "auto".
    """
    from console.errors import ConfigError
    from console.files.transfer.ssh_streams import MAX_STREAMS

    raw = section.get("streams", "auto")
    if raw == "auto":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_STREAMS:
        raise ConfigError(
            f'[transfer] streams must be "auto" or a whole number from 1 to {MAX_STREAMS}, not {raw!r}'
        )
    return raw
