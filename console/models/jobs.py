"""Jobs in tmux on a host: their spec, status, groups, and the log chunks they print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class JobState(StrEnum):
    RUNNING = "running"  # its tmux session is alive and it has not written exit_code
    EXITED = "exited"  # it wrote exit_code
    LOST = "lost"  # no tmux session and no exit_code (the host rebooted, tmux was killed)


@dataclass(frozen=True, slots=True)
class JobStatus:
    state: JobState
    #: the command's exit status; 128 + N when signal N ended it. None unless EXITED.
    exit_code: int | None = None

    @property
    def finished(self) -> bool:
        return self.state is not JobState.RUNNING


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What to run: the user's text kept verbatim (argv, never a shell line)."""

    command: tuple[str, ...]
    name: str = ""
    cwd: str = "~"
    env: tuple[tuple[str, str], ...] = ()
    #: jobs started together (a multi-node torchrun launch) share a group id
    group: str | None = None
    node_rank: int | None = None
    #: the name the group was started under (its members' names add "[node i/N]")
    group_name: str = ""
    #: how many nodes the group was started on (None for a job started alone)
    group_size: int | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A job as read back from its host: ``~/.awsconsole/jobs/<id>/`` plus tmux."""

    id: str
    host: str
    spec: JobSpec
    status: JobStatus
    started: dt.datetime
    #: when exit_code was written (None while running or when lost)
    ended: dt.datetime | None = None
    session: str = ""
    log_path: str = ""
    log_size: int = 0
    last_line: str = ""

    @property
    def name(self) -> str:
        return self.spec.name or " ".join(self.spec.command)


@dataclass(frozen=True, slots=True)
class LogChunk:
    """Bytes of a log from byte ``offset``: ``data`` ends on a line boundary (b"\\n").

    ``pending`` is the unfinished last line as it stood when the chunk was read (a tqdm bar
    still drawing); it is for display only and comes again, complete, in a later chunk.
    """

    offset: int
    data: bytes
    pending: bytes = b""

    @property
    def end(self) -> int:
        """The offset just after ``data``: where the next chunk starts."""
        return self.offset + len(self.data)


@dataclass(frozen=True, slots=True)
class JobGroup:
    """The jobs of one multi-node launch (one per node, sharing ``spec.group``), seen as one.

    ``members`` are the jobs found, by node rank; ``size`` is how many nodes it was started
    on (more than ``len(members)`` when a node's job was forgotten or its host not read).
    The combined status: running while any member runs; otherwise exited with the code of
    the first member that failed (the earliest to end, ``failed_member`` says which);
    otherwise lost when a member is lost; exited (0) only when every member exited 0.
    """

    id: str
    members: tuple[Job, ...]
    name: str = ""
    size: int = 0

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(job.host for job in self.members)

    @property
    def nodes(self) -> int:
        return max(self.size, len(self.members))

    @property
    def failed_member(self) -> Job | None:
        """The member that ended first with a non-zero code (None when none did)."""
        failed = [
            job
            for job in self.members
            if job.status.state is JobState.EXITED and job.status.exit_code != 0
        ]
        if not failed:
            return None
        latest = dt.datetime.max.replace(tzinfo=dt.UTC)
        return min(failed, key=lambda job: (job.ended or latest, job.spec.node_rank or 0))

    @property
    def lost_member(self) -> Job | None:
        return next((job for job in self.members if job.status.state is JobState.LOST), None)

    @property
    def status(self) -> JobStatus:
        if any(job.status.state is JobState.RUNNING for job in self.members):
            return JobStatus(JobState.RUNNING)
        failed = self.failed_member
        if failed is not None:
            return JobStatus(JobState.EXITED, failed.status.exit_code)
        if self.lost_member is not None:
            return JobStatus(JobState.LOST)
        return JobStatus(JobState.EXITED, 0)

    @property
    def started(self) -> dt.datetime:
        return min(job.started for job in self.members)

    @property
    def ended(self) -> dt.datetime | None:
        """When the last member ended (None while any runs or one has no end time)."""
        ends = [job.ended for job in self.members]
        if any(end is None for end in ends):
            return None
        return max(end for end in ends if end is not None)

    @property
    def rank0(self) -> Job:
        """The member of the lowest node rank (rank 0 unless its job is gone)."""
        return self.members[0]

    @property
    def last_line(self) -> str:
        return self.rank0.last_line


@dataclass(frozen=True, slots=True)
class LogWindow:
    """Whole lines ``[start, end)`` of a file: what a view opened at the tail shows."""

    start: int
    end: int
    data: bytes


@dataclass(frozen=True, slots=True)
class JupyterLink:
    """Jupyter on a host, reachable from this machine: the URL with its token (always on
    127.0.0.1), the server's port there, and how it is reached (``forward``: the ``ssh -N
    -L`` argv as one line, "" for a server on this machine); ``job_id`` when the console
    started the server (a job named "jupyter")."""

    target: str
    url: str
    server_port: int
    local_port: int
    forward: str = ""
    job_id: str | None = None
