"""``awsconsole kill``: end a running job (the Jobs view's kill action).

    awsconsole kill JOB [--yes] [--interrupt] [--host H]...

Asks first unless ``--yes``; refused with ``--read-only``. ``--interrupt`` sends Ctrl-C
instead (the job may save a checkpoint and exit on its own).
"""

from __future__ import annotations

import sys
from typing import Any

from console.commands.jobs import add_host_flag, confirm
from console.errors import ReadOnlyError
from console.job_directory import find_job

EXIT_DECLINED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "kill",
        help="end a running job (like `tmux kill-session`)",
        description="Kill a running job's tmux session; the job's exit code is still recorded.",
    )
    parser.add_argument("job", metavar="JOB", help="job id, HOST:ID, id prefix or name")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--interrupt", action="store_true", help="send Ctrl-C instead of killing the session"
    )
    add_host_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    if services.read_only:
        action = "interrupt" if args.interrupt else "kill"
        raise ReadOnlyError(f"Refusing to {action} job {args.job!r}: the console is read-only.")
    job, manager = find_job(services, args.job, args.host)
    action = "Send Ctrl-C to" if args.interrupt else "Kill"
    if not confirm(f"{action} job {job.name!r} ({job.id}) on {job.host}?", args.yes):
        print("Not done.", file=sys.stderr)
        return EXIT_DECLINED
    if args.interrupt:
        manager.interrupt(job.id, read_only=services.read_only)
    else:
        manager.kill(job.id, read_only=services.read_only)
    print(f"{'Interrupted' if args.interrupt else 'Killed'} job {job.id} on {job.host}.")
    return 0
