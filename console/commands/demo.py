"""``awsconsole demo``: the demo's shared endpoint (every ``--demo`` call uses the same one).

    awsconsole demo status [--json]
    awsconsole demo start
    awsconsole demo reset [--yes]
    awsconsole demo stop [--yes]

The endpoint starts on the first ``--demo`` use and keeps its state (instances launched,
objects uploaded, mounts made) until ``reset`` (moto's reset, then the fleet and dataset
seeded again) or ``stop`` (the demo's S3 mounts are unmounted first). Both ask first unless
``--yes`` and are refused with ``--read-only``. The demo folder is the ``demo_dir`` setting
(``AWSCONSOLE_DEMO_DIR``), by default in the platform's cache dir.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from console.commands import print_json
from console.commands.jobs import confirm
from console.errors import ConfigError, ReadOnlyError

EXIT_NOT_RUNNING = 1
EXIT_DECLINED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the demo's shared endpoint: status, start, reset, stop",
        description="The demo's endpoint runs in the background, shared by the console and "
        "every --demo command, until `demo stop`.",
    )
    actions = parser.add_subparsers(dest="demo_action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="whether the endpoint runs, its port and pid")
    status.add_argument("--json", action="store_true", help="print a JSON array of one object")
    actions.add_parser("start", help="start the endpoint (and seed it) if none runs")
    for name, text in (
        ("reset", "forget every change: the fleet and the dataset as on the first start"),
        ("stop", "unmount the demo's S3 mounts, then stop the endpoint"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("-y", "--yes", action="store_true", help="do not ask first")
    # needs no bundle of services: it manages the endpoint those would connect to
    parser.set_defaults(func=run, uses_settings_only=True)


def run(args: Any, settings: Any) -> int:
    # the endpoint's code (psutil, urllib) loads for this command only
    from console.demo import endpoint, state

    demo_dir = state.demo_dir_of(settings.demo_dir)
    action = args.demo_action
    if action in ("reset", "stop") and settings.read_only:
        raise ReadOnlyError(f"Refusing to {action} the demo: the console is read-only.")
    if action == "status":
        return _status(args, endpoint, demo_dir)
    if action == "start":
        found = endpoint.ensure_endpoint(state.prepare_demo_dir(demo_dir))
        print(f"The demo endpoint runs at {found.url} (pid {found.pid}).")
        return 0
    if action == "reset":
        return _reset(args, endpoint, state.prepare_demo_dir(demo_dir))
    return _stop(args, endpoint, demo_dir)


def _status(args: Any, endpoint: Any, demo_dir: Path) -> int:
    found = endpoint.find_endpoint(demo_dir) if demo_dir.is_dir() else None
    record: dict[str, Any] = {"running": found is not None, "demo_dir": str(demo_dir)}
    if found is not None:
        seeded = bool(endpoint.request(found, "GET", "status").get("seeded"))
        record.update(pid=found.pid, port=found.port, url=found.url, seeded=seeded)
    if args.json:
        print_json([record])
    elif found is None:
        print(f"No demo endpoint runs for {demo_dir}.")
    else:
        data = "uploaded" if record["seeded"] else "still uploading"
        print(
            f"The demo endpoint runs at {found.url} (pid {found.pid}, port {found.port}) "
            f"for {demo_dir}; its dataset is {data}."
        )
    return 0 if found is not None else EXIT_NOT_RUNNING


def _reset(args: Any, endpoint: Any, demo_dir: Path) -> int:
    question = (
        "Reset the demo? Instances launched, started or stopped and every object changed "
        "go back to the first start (the instances' sandbox folders are kept)."
    )
    if not confirm(question, args.yes):
        print("Not done.", file=sys.stderr)
        return EXIT_DECLINED
    found = endpoint.reset_endpoint(demo_dir)
    print(f"The demo is as on its first start (endpoint {found.url}, pid {found.pid}).")
    return 0


def _stop(args: Any, endpoint: Any, demo_dir: Path) -> int:
    try:
        running = demo_dir.is_dir() and endpoint.find_endpoint(demo_dir) is not None
    except ConfigError:
        running = True  # there but not answering: stopping ends it all the same
    if not running:
        print(f"No demo endpoint runs for {demo_dir}.")
        return 0
    question = (
        "Stop the demo endpoint? Its S3 mounts are unmounted and everything done in the "
        "demo is forgotten (the instances' sandbox folders are kept)."
    )
    if not confirm(question, args.yes):
        print("Not done.", file=sys.stderr)
        return EXIT_DECLINED
    stopped = endpoint.stop_endpoint(demo_dir)
    for mountpoint in stopped.unmounted:
        print(f"Unmounted {mountpoint}.")
    if stopped.endpoint is None:
        print(f"No demo endpoint runs for {demo_dir}.")
    else:
        print(f"Stopped the demo endpoint (pid {stopped.endpoint.pid}).")
    return 0
