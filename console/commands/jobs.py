"""``awsconsole jobs``: the jobs of every known host (the Jobs view's twin).

    awsconsole jobs [--host H]... [--json]

Known hosts are "local", with ``--demo`` every running demo instance, and each ``--host``.
The helpers here (which hosts, which job a reference names) serve ``run``, ``logs`` and
``kill`` too. The tmux socket comes from the config file: ``[jobs] tmux_socket = "…"``.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.errors import ConsoleError
from console.jobs import DEFAULT_TMUX_SOCKET, JobManager, JobNotFoundError, list_all
from console.models import InstanceState, Job


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


def manager_for(services: Any, target: str) -> JobManager:
    """A JobManager for ``target`` on the configured tmux socket. Raises HostConfigError."""
    socket = str(services.settings.section("jobs").get("tmux_socket") or DEFAULT_TMUX_SOCKET)
    return JobManager(services.hosts.host_for(target), tmux_socket=socket)


def known_targets(services: Any, extra: list[str]) -> list[str]:
    targets = ["local"]
    if services.settings.demo:
        for instance in services.ec2.list_instances():
            if instance.state is InstanceState.RUNNING:
                targets.append(instance.name or instance.id)
    return list(dict.fromkeys(targets + list(extra)))


def collect(services: Any, extra: list[str]) -> tuple[list[Job], dict[str, JobManager]]:
    """Every job of the known hosts, and the manager of each host by name. Hosts that
    cannot be read are reported on stderr and skipped."""
    managers = [manager_for(services, target) for target in known_targets(services, extra)]
    jobs, errors = list_all(managers)
    for host, error in errors.items():
        print(f"warning: {host}: {error}", file=sys.stderr)
    return jobs, {manager.host.name: manager for manager in managers}


def find_job(services: Any, reference: str, extra: list[str]) -> tuple[Job, JobManager]:
    """The job ``reference`` names: ``ID``, ``HOST:ID``, a unique id prefix or a unique name.

    Raises JobNotFoundError naming the reference (and the candidates when ambiguous).
    """
    host, sep, key = reference.rpartition(":")
    if sep and host:
        extra = [*extra, host]
    else:
        key = reference
    jobs, managers = collect(services, extra)
    if sep and host:
        host_name = services.hosts.host_for(host).name
        jobs = [job for job in jobs if job.host == host_name]
    for matches in (
        [job for job in jobs if job.id == key],
        [job for job in jobs if job.id.startswith(key)],
        [job for job in jobs if key in (job.spec.name, job.name)],
    ):
        if len(matches) == 1:
            return matches[0], managers[matches[0].host]
        if len(matches) > 1:
            names = ", ".join(f"{job.host}:{job.id}" for job in matches)
            raise JobNotFoundError(f"{reference!r} names several jobs: {names}.")
    raise JobNotFoundError(
        f"No job {reference!r} on {', '.join(managers) or 'any host'}.",
        hint="`awsconsole jobs` lists them; add --host HOST for a host not listed.",
    )


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
        "env": dict(job.spec.env),
        "group": job.spec.group,
        "node_rank": job.spec.node_rank,
        "started": job.started,
        "ended": job.ended,
        "runtime_seconds": round(runtime(job).total_seconds(), 1),
        "session": job.session,
        "log_path": job.log_path,
        "log_size": job.log_size,
        "last_line": job.last_line,
    }


def runtime(job: Job) -> dt.timedelta:
    end = job.ended or (None if job.status.finished else dt.datetime.now(dt.UTC))
    return (end - job.started) if end else dt.timedelta(0)


def _duration(job: Job) -> str:
    seconds = int(runtime(job).total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


COLUMNS = (
    ("ID", lambda j: j.id),
    ("NAME", lambda j: j.name[:40]),
    ("HOST", lambda j: j.host),
    ("STATUS", lambda j: str(j.status)),
    ("STARTED", lambda j: j.started),
    ("RUNTIME", _duration),
    ("LAST LINE", lambda j: j.last_line[:60]),
)


def run(args: Any, services: Any) -> int:
    jobs, _ = collect(services, args.host)
    if args.json:
        print_json(as_record(job) for job in jobs)
    else:
        print_table(jobs, COLUMNS)
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
