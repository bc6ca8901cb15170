"""``awsconsole jobs``: the jobs of every known host (the Jobs view's twin).

    awsconsole jobs [--host H]... [--json]

A multi-node group (one job per node, started together) is one line with its group id,
its node count and its combined status, followed by one indented line per node.
Known hosts are "local", with ``--demo`` every running demo instance, and each ``--host``;
which hosts those are and which job a reference names is console.jobs.directory, shared
with the Jobs view. The tmux socket comes from the config file: ``[jobs] tmux_socket = "…"``.
A job's environment is shown by name only, its values masked (``--json``: ``"KEY": "***"``):
they may hold tokens.
"""

from __future__ import annotations

import sys
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.errors import ConsoleError
from console.format.jobs import format_duration, row_runtime, runtime, status_text
from console.format.terminal import visible
from console.jobs import directory as job_directory
from console.jobs.directory import find_job, manager_for
from console.jobs.manager import JobManager
from console.models import Job, JobGroup

__all__ = ["add_host_flag", "as_record", "collect", "confirm", "find_job", "manager_for"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "jobs",
        help="list jobs on every known host (like `tmux ls` on each)",
        description="List the jobs of this machine, the demo instances (with --demo) and "
        "each --host: status running / exited (code) / lost.",
    )
    add_host_flag(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)


def add_host_flag(parser: Any) -> None:
    parser.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="HOST",
        help="also look on this host (ssh alias, instance, user@host:port); repeatable",
    )


#: what a job's environment value is shown as
MASKED = "***"


def collect(services: Any, extra: list[str]) -> tuple[list[Job], dict[str, JobManager]]:
    """Every job of the known hosts (see console.jobs.directory), and the manager of each
    host by name. Hosts that cannot be read are reported on stderr and skipped."""
    listing = services.jobs.list(extra)
    for host, error in listing.errors.items():
        print(visible(f"warning: {host}: {error}"), file=sys.stderr)
    return listing.jobs, listing.managers


def as_record(job: Job) -> dict[str, Any]:
    """The stable JSON shape of one job."""
    return {
        "id": job.id,
        "name": job.spec.name,
        "host": job.host,
        "state": job.status.state,
        "exit_code": job.status.exit_code,
        "command": list(job.spec.command),
        "cwd": job.spec.cwd,
        "env": masked_env(job),
        "group": job.spec.group,
        "node_rank": job.spec.node_rank,
        "group_name": job.spec.group_name or None,
        "group_size": job.spec.group_size,
        "started": job.started,
        "ended": job.ended,
        "runtime_seconds": round(runtime(job).total_seconds(), 1),
        "session": job.session,
        "log_path": job.log_path,
        "log_size": job.log_size,
        "last_line": job.last_line,
    }


def masked_env(job: Job) -> dict[str, str]:
    """The job's environment by name, every value masked (values may be secrets)."""
    return {name: MASKED for name, _ in job.spec.env}


def _duration(job: Job | JobGroup) -> str:
    return format_duration(row_runtime(job))


def _status(row: Job | JobGroup) -> str:
    return status_text(row)


def _host(row: Job | JobGroup) -> str:
    return f"{row.nodes} nodes" if isinstance(row, JobGroup) else row.host


def _name(row: Job | JobGroup) -> str:
    if isinstance(row, Job) and row.spec.group is not None:
        return f"  node {row.spec.node_rank}"  # under its group's line
    return row.name[:40]


COLUMNS = (
    ("ID", lambda j: j.id),
    ("NAME", _name),
    ("HOST", _host),
    ("STATUS", _status),
    ("STARTED", lambda j: j.started),
    ("RUNTIME", _duration),
    ("LAST LINE", lambda j: j.last_line[:60]),
)


def table_rows(jobs: list[Job]) -> list[Job | JobGroup]:
    """Lines of the table: each group, then its members; jobs started alone as they are."""
    lines: list[Job | JobGroup] = []
    for row in job_directory.with_groups(jobs):
        lines.append(row)
        if isinstance(row, JobGroup):
            lines.extend(row.members)
    return lines


def run(args: Any, services: Any) -> int:
    jobs, _ = collect(services, args.host)
    if args.json:
        print_json(as_record(job) for job in jobs)
    else:
        print_table(table_rows(jobs), COLUMNS)
    return 0


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask ``question [y/N]`` on the terminal; no answer (EOF) means no."""
    if assume_yes:
        return True
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ConsoleError):
        return False
    return answer.strip().lower() in ("y", "yes")
