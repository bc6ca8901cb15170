"""``awsconsole logs``: print a job's output, or follow it (the log view's twin).

    awsconsole logs JOB|GROUP [-f] [--node N] [--host H]...

JOB is an id, ``HOST:ID``, a unique id prefix or a job name. A multi-node group (its id,
an id prefix or its name) shows the output of node rank 0, or of ``--node N``. With ``-f`` the output is
followed by byte offset (reconnecting without loss or repeats) until the job ends and
everything it printed is out, or until Ctrl-C.

Into a pipe or a file the output goes as the job wrote it, byte for byte. On a terminal it is
shown, not obeyed: colours and carriage returns pass, every other control (a screen clear, an
OSC 52 clipboard write, a reset) is written visibly (``console.format.terminal.as_output``);
``--raw`` sends the bytes as written there too.
"""

from __future__ import annotations

import codecs
import sys
import threading
from typing import Any

from console.commands.jobs import add_host_flag
from console.errors import ConsoleError
from console.format.terminal import as_output
from console.jobs.directory import find_job_or_group
from console.jobs.manager import JobError, JobManager
from console.logs.follower import LogFollower, read_chunks
from console.models import Job, JobGroup

#: seconds between two looks at whether a followed job has ended
STATUS_INTERVAL = 1.0
#: restarts in a row that bring nothing before `logs -f` gives up (about 2 minutes)
MAX_FAILURES = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="print or follow a job's output (like `tail -F output.log`)",
        description="Print the output of a job; with -f keep following it until it ends.",
    )
    parser.add_argument("job", metavar="JOB", help="job id, HOST:ID, id prefix or name")
    parser.add_argument("-f", "--follow", action="store_true", help="follow until the job ends")
    parser.add_argument(
        "--node", type=int, default=None, metavar="N", help="of a job group: node rank N (0)"
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="on a terminal too, write the output byte for byte (escape sequences obeyed)",
    )
    add_host_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    job, manager = pick(services, args.job, args.host, args.node)
    out = _Output(sys.stdout.buffer, shown=sys.stdout.isatty() and not args.raw)
    if not args.follow:
        for chunk in read_chunks(manager.host, job.log_path):
            out.write(chunk.data)
        out.flush()
        return 0
    follower = LogFollower(manager.host, job.log_path, max_failures=MAX_FAILURES)
    stop_when_done = threading.Thread(
        target=_close_when_finished, args=(manager, job.id, follower), daemon=True
    )
    stop_when_done.start()
    try:
        for chunk in follower:
            out.write(chunk.data)
            out.flush()
        if follower.pending:  # a last line without a newline
            out.write(follower.pending)
            out.flush()
    finally:
        follower.close()
    return 0


def pick(services: Any, reference: str, extra: list[str], node: int | None) -> tuple[Job, Any]:
    """The job whose log is wanted: the one named, or node ``node`` (default 0) of the group
    named. Raises JobNotFoundError, and JobError for ``--node`` on a single job or a node
    the group does not have."""
    found, handle = find_job_or_group(services, reference, extra)
    if not isinstance(found, JobGroup):
        if node is not None and node != found.spec.node_rank:
            raise JobError(f"--node: {reference!r} is a single job, not a job group.")
        return found, handle
    members: list[tuple[JobManager, Job]] = handle
    rank = 0 if node is None else node
    for manager, job in members:
        if job.spec.node_rank == rank:
            return job, manager
    ranks = ", ".join(str(job.spec.node_rank) for _, job in members)
    raise JobError(f"Job group {found.name!r} has no node {rank} listed (nodes: {ranks}).")


def _close_when_finished(manager: Any, job_id: str, follower: LogFollower) -> None:
    """Stop ``follower`` once the job has ended and all of its log has been delivered."""
    size: int | None = None
    while not follower.cancel.wait(STATUS_INTERVAL):
        try:
            if size is None:
                job = manager.get(job_id)
                if job.status.finished:
                    size = job.log_size
            if size is not None and follower.position >= size:
                follower.close()
        except ConsoleError:
            continue  # a dropped connection: the follower reconnects, look again later


class _Output:
    """Where the job's bytes go: as they are, or decoded (a character cut between two chunks
    waits for the rest) and made safe for the terminal with ``as_output``."""

    def __init__(self, stream, *, shown: bool):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape") if shown else None

    def write(self, data: bytes) -> None:
        if self._decoder is None:
            self._stream.write(data)
            return
        text = self._decoder.decode(data)
        self._stream.write(as_output(text).encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        self._stream.flush()
