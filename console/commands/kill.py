"""``awsconsole kill``: end a running job or job group (the Jobs view's kill action).

    awsconsole kill JOB|GROUP [--yes] [--interrupt] [--host H]...

Asks first unless ``--yes``; refused with ``--read-only``. ``--interrupt`` sends Ctrl-C
instead (the job may save a checkpoint and exit on its own). A multi-node group (named by
its group id, a prefix of it, or its name) is asked about once and every running node of
it is ended.
"""

from __future__ import annotations

import sys
from typing import Any

from console.commands.jobs import add_host_flag, confirm
from console.format.terminal import visible
from console.jobs.manager import JobError
from console.models import JobGroup

EXIT_DECLINED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "kill",
        help="end a running job or job group (like `tmux kill-session`)",
        description="Kill a running job's tmux session (or every node's of a multi-node "
        "group); the exit code is still recorded.",
    )
    parser.add_argument(
        "job", metavar="JOB", help="job id, HOST:ID, id prefix or name; or a group id or name"
    )
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--interrupt", action="store_true", help="send Ctrl-C instead of killing the session"
    )
    add_host_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    # refused before the question too (the jobs backend refuses the kill itself anyway)
    services.refuse_if_read_only(f"{'interrupt' if args.interrupt else 'kill'} job {args.job!r}")
    found, handle = services.jobs.find(args.job, args.host)
    if isinstance(found, JobGroup):
        return _kill_group(args, services, found, handle)
    job, manager = found, handle
    action = "Send Ctrl-C to" if args.interrupt else "Kill"
    if not confirm(f"{action} job {job.name!r} ({job.id}) on {job.host}?", args.yes):
        print("Not done.", file=sys.stderr)
        return EXIT_DECLINED
    if args.interrupt:
        manager.interrupt(job.id)
    else:
        manager.kill(job.id)
    print(f"{'Interrupted' if args.interrupt else 'Killed'} job {job.id} on {job.host}.")
    return 0


def _kill_group(args: Any, services: Any, group: JobGroup, members: list) -> int:
    running = [(manager, job) for manager, job in members if not job.status.finished]
    if not running:
        raise JobError(f"Cannot kill job group {group.name!r}: it is {group.status_text()}.")
    action = "Send Ctrl-C to" if args.interrupt else "Kill"
    hosts = ", ".join(dict.fromkeys(job.host for _, job in running))
    question = (
        f"{action} job group {group.name!r} ({group.id}): {len(running)} of {group.nodes} "
        f"nodes running, on {hosts}?"
    )
    if not confirm(question, args.yes):
        print("Not done.", file=sys.stderr)
        return EXIT_DECLINED
    errors = services.jobs.control_group(running, "interrupt" if args.interrupt else "kill")
    done = "Interrupted" if args.interrupt else "Killed"
    for manager, job in running:
        if job.id in errors:
            print(visible(f"error: node {job.spec.node_rank} ({job.host}): {errors[job.id]}"),
                  file=sys.stderr)  # fmt: skip
        else:
            print(f"{done} node {job.spec.node_rank}: job {job.id} on {manager.host.name}.")
    return 2 if errors else 0
