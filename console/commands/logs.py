"""``awsconsole logs``: print a job's output, or follow it (the log view's twin).

    awsconsole logs JOB [-f] [--host H]...

JOB is an id, ``HOST:ID``, a unique id prefix or a job name. With ``-f`` the output is
followed by byte offset (reconnecting without loss or repeats) until the job ends and
everything it printed is out, or until Ctrl-C.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from console.commands.jobs import add_host_flag
from console.errors import ConsoleError
from console.job_directory import find_job
from console.logs import LogFollower, read_chunks

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
    add_host_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    job, manager = find_job(services, args.job, args.host)
    out = sys.stdout.buffer
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
