"""Copying files and folders between this machine, hosts and S3: ``awsconsole cp`` and the
transfer queue.

Each side of a copy is an endpoint (``endpoints/``: this machine, a host over SSH, S3) that
answers the same questions: list a folder, stat a path, read a range, checksum a file,
admit names from the other side, write under a temporary name and rename. The pair of
endpoint types chooses how the bytes go (``routes.py``):

    local <-> host   big files: several OpenSSH streams with AES-GCM (ssh_streams.py), as
                     many as the file's size and the host's measured round trip call for;
                     small files: the host's pooled connection (no handshake per file)
    local <-> S3     boto3's managed transfer, tuned parts and threads (s3.py)
    host  <-> S3     ``aws s3 cp`` started on the host as a job: it survives the console
                     and the network going away

Every file lands under a temporary name in its destination folder (``.NAME.awsc-part-ID``)
and is renamed only once its size and SHA-256 match the source's, computed on each side;
a partial file never sits under the final name. A big host file's copy is resumable: one
interrupted by the console exiting, crashing or losing the host is continued by the next
copy of the same source to the same place (resume.py). A dropped connection is tried again
under one retry policy (retry.py) that a cancel cuts short. A file that already exists is
handled by the policy: ``skip`` (identical files are skipped, a different one is an error:
nothing is overwritten), ``overwrite``, or ``keep-both`` (the new copy gets a `` (1)``
suffix).

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

import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from console.errors import ConsoleError
from console.files.transfer.control import Control
from console.files.transfer.copy_job import CopyJob, Sides
from console.files.transfer.endpoints import measure_rtt
from console.files.transfer.errors import DiskFullError, TransferCancelled, TransferError
from console.files.transfer.host_s3_job import JobRunner
from console.files.transfer.job_watch import follow_job
from console.files.transfer.progress import ProgressTracker
from console.files.transfer.spec import Policy, TransferSpec, parse_location
from console.hosts.base import Host
from console.jobs.manager import JobManager
from console.models import TransferProgress, TransferResult, TransferState
from console.models.location import Location

__all__ = [
    "DiskFullError",
    "Location",
    "Policy",
    "TransferCancelled",
    "TransferEngine",
    "TransferError",
    "TransferHandle",
    "TransferSpec",
    "engine_for",
    "measure_rtt",
    "parse_location",
]

#: seconds between two progress reports of one transfer (read when a transfer is queued)
PROGRESS_INTERVAL = 0.2


class TransferHandle:
    """One queued transfer: pause, resume, cancel, and its result."""

    def __init__(self, transfer_id: int, spec: TransferSpec, tracker: ProgressTracker):
        self.id = transfer_id
        self.spec = spec
        self.cancel_event = threading.Event()
        self.running_event = threading.Event()
        self.running_event.set()
        self.tracker = tracker
        #: set: stop following a host job and leave it running (the console goes away)
        self.detach_event = threading.Event()
        self.future: Future[TransferResult] = Future()

    @property
    def pausable(self) -> bool:
        """A copy running as a job on a host cannot be paused (only cancelled)."""
        return self.tracker.job_id is None

    def pause(self) -> None:
        if not self.pausable:
            return
        self.running_event.clear()
        self.tracker.state = TransferState.PAUSED
        self.tracker.emit(force=True)

    def resume(self) -> None:
        self.tracker.state = TransferState.RUNNING
        self.running_event.set()
        self.tracker.emit(force=True)

    def cancel(self) -> None:
        """Stop the copy (a host job is ended); it finishes CANCELLED."""
        self.cancel_event.set()
        self.running_event.set()

    def detach(self) -> None:
        """The console goes away: a copy running as a host job goes on there (the transfer
        stays RUNNING with its job id); any other copy is cancelled (its temporary names
        go)."""
        self.detach_event.set()
        if self.tracker.job_id is None:
            self.cancel()

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
        handle = self._handle(spec, on_progress)
        with self._lock:
            self.handles.append(handle)
            if not self._started:
                self._started = True
                for worker in self._workers:
                    worker.start()
        self._queue.put(handle)
        return handle

    def overall(self) -> TransferProgress | None:
        """All transfers summed (id 0): bytes, files, rate and ETA of the whole queue; its
        state is running while any is active, else failed when any failed, else done."""
        with self._lock:
            items = [h.progress() for h in self.handles]
        if not items:
            return None
        done = sum(p.bytes_done for p in items)
        total = sum(p.bytes_total for p in items)
        rate = sum(p.rate for p in items if p.state is TransferState.RUNNING)
        if any(p.state.active for p in items):
            state = TransferState.RUNNING
        elif any(p.state is TransferState.FAILED for p in items):
            state = TransferState.FAILED
        else:
            state = TransferState.DONE
        return TransferProgress(
            transfer_id=0,
            source="",
            destination="",
            state=state,
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

    def run(
        self,
        spec: TransferSpec,
        on_progress: Callable[[TransferProgress], None] | None = None,
        *,
        cancel: threading.Event | None = None,
        follow_job: bool = False,
    ) -> TransferResult:
        """Run one transfer in this thread (``awsconsole cp SRC DST``). A host <-> S3 copy
        returns once its job started (state RUNNING, ``job_id``), or with ``follow_job``
        once that job ended (DONE, or FAILED with the job's last line in ``error``).
        Raises the ConsoleError that stopped it (TransferError, DiskFullError,
        TransferCancelled, HostError subclasses)."""
        handle = self._handle(spec, on_progress)
        if cancel is not None:
            handle.cancel_event = cancel
        return self._run_handle(handle, raise_errors=True, follow_job=follow_job)

    def _handle(
        self, spec: TransferSpec, on_progress: Callable[[TransferProgress], None] | None
    ) -> TransferHandle:
        transfer_id = next(self._ids)
        tracker = ProgressTracker(
            transfer_id, spec.source, spec.destination, on_progress, PROGRESS_INTERVAL
        )
        return TransferHandle(transfer_id, spec, tracker)

    def _work(self) -> None:
        while True:
            handle = self._queue.get()
            if handle is None:
                return
            # the queue follows a host job to its end: the row says how it ended
            handle.future.set_result(self._run_handle(handle, follow_job=True))

    def _run_handle(
        self, handle: TransferHandle, raise_errors: bool = False, follow_job: bool = False
    ) -> TransferResult:
        tracker = handle.tracker
        if handle.cancel_event.is_set():  # cancelled while queued: it never starts
            cancelled = TransferCancelled("cancelled before it started")
            tracker.finish(TransferState.CANCELLED, str(cancelled))
            if raise_errors:
                raise cancelled
            return self._result(handle, None, 0.0, error=cancelled)
        control = Control(handle.cancel_event, handle.running_event, tracker.add)
        tracker.control = control
        tracker.state = TransferState.RUNNING
        started = time.monotonic()
        job = CopyJob(
            Sides(self.host_for, self.s3_client, self.python),
            JobRunner(self.jobs_for, self.aws_cli, self.python),
            handle.spec,
            tracker,
            control,
            streams=self.streams,
        )
        error: ConsoleError | None = None
        try:
            job.run()
            if job.job_id:
                self._follow(handle, job, follow_job)
            else:
                skipped = job.copied == 0 and job.skipped and not job.refused
                tracker.finish(TransferState.SKIPPED if skipped else TransferState.DONE)
        except ConsoleError as exc:
            cancelled = isinstance(exc, TransferCancelled)
            tracker.finish(
                TransferState.CANCELLED if cancelled else TransferState.FAILED,
                str(exc) or ("cancelled" if cancelled else type(exc).__name__),
            )
            error = exc
        result = self._result(handle, job, time.monotonic() - started, error=error)
        if error is not None and raise_errors:
            raise error
        return result

    @staticmethod
    def _follow(handle: TransferHandle, job: CopyJob, follow: bool) -> None:
        """A copy started as a job on a host: running until that job ends (followed), or
        running with its job id (not followed: ``awsconsole cp --detach``)."""
        tracker = handle.tracker
        tracker.job_id = job.job_id
        tracker.job_host = job.job_manager.host.name if job.job_manager is not None else ""
        tracker.state = TransferState.RUNNING
        tracker.emit(force=True)
        if not follow or job.job_manager is None:
            return
        end = follow_job(
            job.job_manager,
            job.job_id or "",
            cancel=handle.cancel_event,
            detach=handle.detach_event,
        )
        if end.state is TransferState.CANCELLED:
            raise TransferCancelled(end.reason)
        if end.state is TransferState.FAILED:
            raise TransferError(
                f"The copy job {job.job_id} on {tracker.job_host} failed: {end.reason}",
                hint=f"Its whole output: awsconsole logs {job.job_id}",
            )
        if end.state is TransferState.RUNNING:
            return  # detached: the job goes on without the console
        tracker.finish(end.state)

    @staticmethod
    def _result(
        handle: TransferHandle, job: CopyJob | None, seconds: float, *, error: ConsoleError | None
    ) -> TransferResult:
        tracker = handle.tracker
        return TransferResult(
            transfer_id=handle.id,
            source=handle.spec.source,
            destination=handle.spec.destination,
            state=tracker.state,
            bytes_total=tracker.bytes_total,
            files_copied=job.copied if job else 0,
            files_skipped=job.skipped if job else 0,
            seconds=seconds,
            resumes=tracker.control.resumes if tracker.control else 0,
            verified=",".join(sorted(job.verified)) if job else "",
            written=tuple(job.written) if job else (),
            error=str(error) if error else None,
            job_id=job.job_id if job else None,
            job_host=tracker.job_host,
            bytes_resumed=tracker.bytes_resumed,
            refused=tuple(job.refused) if job else (),
        )


def engine_for(services: Any) -> TransferEngine:
    """A TransferEngine on the services' hosts, S3 client and job runner (what the ``cp``
    command and the Files view share)."""
    services.ready()  # the demo's endpoint is known once it has started

    def s3_client() -> Any:
        return services.s3.client()

    endpoint = getattr(services.settings, "endpoint_url", None)
    aws_cli = ("aws", "--endpoint-url", endpoint) if endpoint else ("aws",)
    socket = services.settings.jobs.tmux_socket

    def jobs_for(host: Host) -> JobManager:
        # the jobs' own tmux server: a copy job is listed and followed like any other job
        return JobManager(host, tmux_socket=socket)

    return TransferEngine(
        services.hosts.host_for,
        s3_client,
        jobs_for=jobs_for,
        aws_cli=aws_cli,
        # a fixed count from the settings when they name one; else chosen per file
        streams=services.settings.transfer.streams,
    )
