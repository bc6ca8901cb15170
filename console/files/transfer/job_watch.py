"""A host <-> S3 copy followed to its end: the transfer stays running while its job runs on
the host, and the job's exit status makes it done or failed, with the job's last line as
the reason (``aws s3 cp`` says why on its last line: "fatal error: Unable to locate
credentials", "download failed: … (AccessDenied) …").

Following is reading the job's folder on the host every ``POLL_SECONDS``; the job itself
never depends on it: a console that stops following (it quits, the host drops away) leaves
the job running, and the Jobs view and ``awsconsole logs`` still find it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from console.errors import ConsoleError
from console.models import JobState, TransferState

#: seconds between two looks at a running job
POLL_SECONDS = 1.0
#: looks in a row that may fail (the host dropped for a moment) before following stops
MAX_FAILED_LOOKS = 5


@dataclass(frozen=True)
class JobEnd:
    """How a followed job left the transfer: its state and why (one line)."""

    state: TransferState
    reason: str = ""


def job_end(job: Any) -> JobEnd | None:
    """The transfer's end for ``job`` (a ``console.models.Job``); None while it runs."""
    status = job.status
    if status.state is JobState.RUNNING:
        return None
    last = (job.last_line or "").strip()
    if status.state is JobState.LOST:
        return JobEnd(
            TransferState.FAILED,
            "the job ended without an exit status (the host rebooted or tmux was killed)",
        )
    if status.exit_code == 0:
        return JobEnd(TransferState.DONE)
    return JobEnd(
        TransferState.FAILED, f"exit status {status.exit_code}" + (f": {last}" if last else "")
    )


def follow_job(
    manager: Any,
    job_id: str,
    *,
    cancel: threading.Event,
    detach: threading.Event,
    poll: float = POLL_SECONDS,
) -> JobEnd:
    """Wait for the job ``job_id`` of ``manager`` (a JobManager) to end.

    A set ``cancel`` ends the job (``tmux kill-session``: CANCELLED); a set ``detach`` stops
    following at once and leaves the job running (RUNNING). Stands for reading
    ``~/.awsconsole/jobs/ID/exit_code`` until it is written. Never raises: a host that
    cannot be read ``MAX_FAILED_LOOKS`` times in a row ends the transfer FAILED, saying the
    job may still run.
    """
    failed_looks = 0
    while True:
        if detach.is_set():
            return JobEnd(TransferState.RUNNING)
        try:
            job = manager.get(job_id)
        except ConsoleError as exc:
            failed_looks += 1
            if failed_looks >= MAX_FAILED_LOOKS:
                return JobEnd(
                    TransferState.FAILED,
                    f"lost track of job {job_id} on {manager.host.name}: {exc} "
                    "(it may still be running: see the Jobs view)",
                )
        else:
            failed_looks = 0
            end = job_end(job)
            if end is not None:
                return end
        if cancel.is_set():
            return _kill(manager, job_id)
        cancel.wait(poll)


def _kill(manager: Any, job_id: str) -> JobEnd:
    """Cancel: end the job; one that ended on its own meanwhile keeps its own end."""
    host = manager.host.name
    try:
        manager.kill(job_id)
    except ConsoleError as exc:
        try:
            end = job_end(manager.get(job_id))
        except ConsoleError:
            end = None
        if end is not None:
            return end
        return JobEnd(TransferState.FAILED, f"could not end job {job_id} on {host}: {exc}")
    return JobEnd(TransferState.CANCELLED, f"cancelled: job {job_id} on {host} was ended")
