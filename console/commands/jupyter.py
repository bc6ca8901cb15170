"""``awsconsole jupyter``: Jupyter on a host, its URL with the token (the ``j`` key's twin).

    awsconsole jupyter HOST [--json]

Finds the Jupyter server running on HOST (an instance's name or id, an ssh alias,
user@host:port or "local") or starts one there as a job named "jupyter", and prints its URL
on 127.0.0.1. For a host reached over SSH, a free local port is forwarded to it (``ssh -N
-L 127.0.0.1:…``): the forward lives as long as this command, so it then stays in the
foreground until Ctrl-C (or until the forward ends), as ``ssh -L`` does. The server keeps
running either way; ``awsconsole kill jupyter`` ends it. Refused with ``--read-only`` (it may
start a job).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from console.commands import add_json_flag, print_json

#: how often the foreground wait checks that the forward still listens
CHECK_SECONDS = 5.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "jupyter",
        help="Jupyter on a host: its URL with the token, the port forwarded (like `ssh -L`)",
        description="Find or start Jupyter on HOST and print its URL on 127.0.0.1; over SSH "
        "the port stays forwarded until Ctrl-C.",
    )
    parser.add_argument("host", metavar="HOST",
                        help="instance name or id, ssh alias, user@host:port, or local")  # fmt: skip
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    # loaded here, not with the parser: every other command's start-up would pay for it
    from console.services.jupyter import listening

    link = services.jobs.jupyter(args.host)
    if args.json:
        print_json([{"host": args.host, "url": link.url, "server_port": link.server_port,
                     "local_port": link.local_port, "forward": link.forward or None,
                     "job_id": link.job_id}])  # fmt: skip
    else:
        print(link.url)
        started = f"started as job {link.job_id}" if link.job_id else "it was running already"
        print(f"Jupyter on {args.host} ({started}).", file=sys.stderr)
    sys.stdout.flush()
    if not link.forward:
        return 0
    print(f"Forwarded: {link.forward}\nCtrl-C ends the forward (Jupyter keeps running).",
          file=sys.stderr)  # fmt: skip
    while listening(link.local_port):
        time.sleep(CHECK_SECONDS)
    print(f"The forward to {args.host} ended.", file=sys.stderr)
    return 2
