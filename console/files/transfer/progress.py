"""The running count of one transfer: its state (and why it failed), bytes, files, refused
names, rate and ETA — what every screen of a transfer reads (``TransferProgress``)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from console.models import TransferProgress, TransferState

if TYPE_CHECKING:
    from console.files.transfer.control import Control

#: the rate is measured over the last seconds of the copy
RATE_WINDOW = 5.0


class ProgressTracker:
    """Counts bytes from every stream, and reports at most every ``interval`` seconds."""

    def __init__(
        self,
        transfer_id: int,
        source: str,
        destination: str,
        report: Callable[[TransferProgress], None] | None,
        interval: float,
    ):
        self.id = transfer_id
        self.source = source
        self.destination = destination
        self.report = report
        self.interval = interval
        self.lock = threading.Lock()
        self.bytes_done = 0
        self.bytes_resumed = 0
        self.bytes_total = 0
        self.files_done = 0
        self.files_total = 0
        self.current = ""
        self.refused = 0
        self.state = TransferState.QUEUED
        #: why it failed or was cancelled (one line)
        self.reason = ""
        #: the job on a host that does the copy (host <-> S3), once started
        self.job_id: str | None = None
        self.job_host = ""
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

    def add_refused(self) -> None:
        with self.lock:
            self.refused += 1

    def drop(self, size: int) -> None:
        """A planned file that will not be written (its name was refused): it leaves the
        totals instead of counting as done."""
        with self.lock:
            self.bytes_total = max(0, self.bytes_total - size)
            self.files_total = max(0, self.files_total - 1)
        self.emit(force=True)

    def finish(self, state: TransferState, reason: str = "") -> None:
        """The end: ``state`` and, for a failure or a cancel, its reason (first line)."""
        self.state = state
        self.reason = reason.strip().splitlines()[0] if reason.strip() else ""
        self.emit(force=True)

    def set_totals(self, files: int, size: int) -> None:
        with self.lock:
            self.files_total = files
            self.bytes_total = size
        self.emit(force=True)

    def file_done(self) -> None:
        with self.lock:
            self.files_done += 1
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
                source=self.source,
                destination=self.destination,
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
                reason=self.reason,
                job_id=self.job_id,
                job_host=self.job_host,
            )

    def emit(self, force: bool = False) -> None:
        if self.report is None:
            return
        now = time.monotonic()
        if not force and now - self.last_report < self.interval:
            return
        self.last_report = now
        self.report(self.progress())
