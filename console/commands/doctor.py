"""``awsconsole doctor``: is this host ready to train? The Doctor panel's twin.

    awsconsole doctor HOST [--json] [--python PYTHON]

Checks the NVIDIA driver and CUDA versions (nvidia-smi), Python, torch and
``torch.cuda.is_available()``, free disk, tmux, s3fs or mount-s3, and the AWS CLI on the host,
each with PASS/FAIL and a fix hint. Settings: ``[doctor] python``, ``[doctor] min_free_gb``
and ``[gpu] nvidia_smi``. The exit status is 1 when a check failed.
"""

from __future__ import annotations

from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.doctor import doctor_options, run_doctor


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check a host: driver, CUDA, Python, torch, disk, tmux, S3 mount tools, AWS CLI",
        description="Check whether HOST is ready to train, with a fix hint for each failure.",
    )
    parser.add_argument("host", metavar="HOST")
    parser.add_argument(
        "--python", help="the Python that trains on the host (default: [doctor] python, python3)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    options = doctor_options(services.settings, args.python)
    host = services.hosts.host_for(args.host)
    checks = run_doctor(host, options)
    if args.json:
        print_json(checks)
    else:
        print_table(
            checks,
            [
                ("", lambda c: "PASS" if c.ok else "FAIL"),
                ("CHECK", lambda c: c.name),
                ("FOUND", lambda c: c.found),
                ("FIX", lambda c: c.hint),
            ],
        )
    return 0 if all(c.ok for c in checks) else 1
