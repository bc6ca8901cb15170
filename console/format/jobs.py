"""How jobs read: status words, run times. Shared by the Jobs view and ``awsconsole jobs``."""

from __future__ import annotations

import datetime as dt

from console.models import Job, JobGroup, JobState, JobStatus


def status_word(status: JobStatus) -> str:
    """``running``, ``exited (1)``, ``lost``."""
    if status.state is JobState.EXITED:
        return f"exited ({status.exit_code})"
    return status.state.value


def status_text(row: Job | JobGroup) -> str:
    """A job's status word; for a group ``running (2/3 nodes)``, ``exited (1) on node 1
    (gpu-b)``, ``lost (node 2, gpu-c)``, ``exited (0)``, saying when nodes are missing from
    the listing."""
    if isinstance(row, Job):
        return status_word(row.status)
    status = row.status
    text = status_word(status)
    if status.state is JobState.RUNNING:
        running = sum(1 for job in row.members if job.status.state is JobState.RUNNING)
        if running < row.nodes:
            text += f" ({running}/{row.nodes} nodes)"
    elif (failed := row.failed_member) is not None:
        text += f" on node {failed.spec.node_rank} ({failed.host})"
    elif (lost := row.lost_member) is not None:
        text += f" (node {lost.spec.node_rank}, {lost.host})"
    missing = row.nodes - len(row.members)
    if missing:
        text += f", {missing} node{'s' if missing > 1 else ''} not found"
    return text


def runtime(job: Job, now: dt.datetime | None = None) -> dt.timedelta:
    """How long the job ran (until now while it runs; zero when lost with no end time)."""
    end = job.ended or (None if job.status.finished else (now or dt.datetime.now(dt.UTC)))
    return (end - job.started) if end else dt.timedelta(0)


def row_runtime(row: Job | JobGroup, now: dt.datetime | None = None) -> dt.timedelta:
    """A job's run time; a group's is its longest member's."""
    if isinstance(row, JobGroup):
        return max(runtime(member, now) for member in row.members)
    return runtime(row, now)


def format_duration(delta: dt.timedelta) -> str:
    """``H:MM:SS``."""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
