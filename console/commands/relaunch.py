"""``awsconsole relaunch``: continue an interrupted run from its latest checkpoint (spot recovery).

    awsconsole relaunch RUN [--host HOST[,HOST…]] [--dry-run] [--json]

RUN is a run id (or a unique prefix, or a unique name) of ``awsconsole runs``. The same trainer
command starts again on ``--host`` (default: the run's own hosts) with ``--resume`` naming the
latest checkpoint: the newer of ``last.pt`` in the run folder and under its ``--s3-uri``. A
checkpoint only in the old host's run folder is copied to the new host's first (through this
machine). The new run is recorded as a continuation of RUN. ``--dry-run`` prints the command
and starts nothing. Refused while the run still runs, for a finished run, and read-only.
"""

from __future__ import annotations

import shlex
from typing import Any

from console.commands import print_json
from console.commands.runs import as_record
from console.commands.train import print_started
from console.format.terminal import visible


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "relaunch",
        help="resume an interrupted run from its latest checkpoint, on another host if asked",
        description="Start RUN's trainer command again with --resume pointing at its latest "
        "checkpoint (run folder or S3), recorded as a continuation of RUN.",
    )
    parser.add_argument("run", metavar="RUN", help="a run id, a unique id prefix, or a unique name")
    parser.add_argument("--host", default="", metavar="HOST[,HOST…]",
                        help="where to train now (default: the run's own hosts)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="print the command, start nothing")
    parser.add_argument("--json", action="store_true", help="print the new run's record as JSON")
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    hosts = tuple(part.strip() for part in args.host.split(",") if part.strip())
    if args.dry_run:
        request = services.runs.relaunch_request(args.run, hosts)
        command = services.runs.command(request)
        print(visible(f"would start on {','.join(request.hosts)}: {shlex.join(command)}"))
        return 0
    # through the services' runs backend: refused there when the console is read-only
    record = services.runs.relaunch(args.run, hosts)
    if args.json:
        print_json([as_record(record)])
    else:
        print_started(record, "Relaunched")
    return 0
