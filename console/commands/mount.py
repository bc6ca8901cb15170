"""``awsconsole mount``: an S3 bucket as a folder on a host — the s3fs recipe's twin.

    awsconsole mount HOST:MOUNTPOINT s3://bucket[/prefix] [--cache DIR] [--allow-other]
                     [--uid N] [--gid N] [--umask 0022] [--multireq-max N] [--ro]
                     [--mount-s3] [--mkdir]
    awsconsole mount --list HOST [--json]
    awsconsole mount --unmount HOST:MOUNTPOINT

HOST is ``local`` for this machine, an ssh alias or an instance id. Credentials come from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment, or
with --demo from the demo's account; they reach s3fs through a 0600 file that is removed
once the mount has started, never through the command line. The global --endpoint-url is
passed on to s3fs (``-o url=… -o use_path_request_style``).

Mounting and unmounting change the host (what its folders show, what programs using the
mount can read): --read-only refuses both, and allows ``--list``. ``--ro`` makes the mount
itself read-only (``-o ro``).
"""

from __future__ import annotations

from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.errors import MountError
from console.files.mount import Credentials
from console.models import MountEntry, MountOptions


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mount",
        help="mount an S3 bucket on a host with s3fs or mount-s3; list and unmount mounts",
        description="Mount s3://bucket[/prefix] at HOST:MOUNTPOINT (an empty folder), list "
        "a host's S3 mounts with --list HOST, or unmount one with --unmount HOST:MOUNTPOINT.",
    )
    parser.add_argument("target", nargs="?", metavar="HOST:MOUNTPOINT")
    parser.add_argument("source", nargs="?", metavar="s3://bucket[/prefix]")
    parser.add_argument("--list", metavar="HOST", help="list the S3 mounts of HOST")
    parser.add_argument("--unmount", metavar="HOST:MOUNTPOINT", help="unmount this mount")
    parser.add_argument("--cache", metavar="DIR", help="s3fs local cache folder (use_cache)")
    parser.add_argument("--allow-other", action="store_true", help="other users see the files")
    parser.add_argument("--uid", type=int, help="owner of the mounted files")
    parser.add_argument("--gid", type=int, help="group of the mounted files")
    parser.add_argument("--umask", metavar="MASK", help="permission mask, octal (mp_umask)")
    parser.add_argument(
        "--multireq-max", type=int, metavar="N", help="parallel requests when listing"
    )
    parser.add_argument("--ro", action="store_true", help="mount read-only")
    parser.add_argument("--mount-s3", action="store_true", help="prefer mount-s3 over s3fs")
    parser.add_argument("--mkdir", action="store_true", help="create the mountpoint if missing")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def split_target(text: str) -> tuple[str, str]:
    """``HOST:MOUNTPOINT`` → (host, mountpoint)."""
    host, sep, path = text.partition(":")
    if not sep or not host or not path:
        raise MountError(
            f"{text!r} names no host: write HOST:MOUNTPOINT (local:/mnt/data for this machine)."
        )
    return host, path


def credentials_for(services: Any) -> Credentials:
    """The demo's account with --demo, else the AWS_* variables of the environment."""
    # every command module loads with the parser: the mount backends only when used
    from console.services.backends import mount_credentials

    return mount_credentials(services)


def run(args: Any, services: Any) -> int:
    if args.list is not None:
        return _run_list(args, services)
    if args.unmount is not None:
        host_name, mountpoint = split_target(args.unmount)
        services.mounts.unmount(host_name, mountpoint)
        print(f"Unmounted {mountpoint} on {host_name}.")
        return 0
    if args.target is None or args.source is None:
        raise MountError(
            "mount takes HOST:MOUNTPOINT and s3://bucket[/prefix] "
            "(or --list HOST, or --unmount HOST:MOUNTPOINT)."
        )
    host_name, mountpoint = split_target(args.target)
    options = MountOptions(
        cache_dir=args.cache,
        allow_other=args.allow_other,
        uid=args.uid,
        gid=args.gid,
        umask=args.umask,
        multireq_max=args.multireq_max,
        endpoint_url=services.settings.endpoint_url,
        read_only=args.ro,
    )
    entry = services.mounts.mount(
        host_name,
        args.source,
        mountpoint,
        options,
        prefer_mount_s3=args.mount_s3,
        make_mountpoint=args.mkdir,
    )
    if args.json:
        print_json([mount_record(entry)])
    else:
        print(f"Mounted {args.source} at {entry.mountpoint} on {host_name} ({entry.tool}).")
    return 0


def _run_list(args: Any, services: Any) -> int:
    entries = services.mounts.list(args.list)
    if args.json:
        print_json([mount_record(entry) for entry in entries])
    else:
        print_table(entries, MOUNT_COLUMNS)
    return 0


def mount_record(entry: MountEntry) -> dict[str, Any]:
    """The stable JSON shape of a mount."""
    return {
        "mountpoint": entry.mountpoint,
        "url": entry.url,
        "tool": entry.tool,
        "options": list(entry.options),
    }


MOUNT_COLUMNS = (
    ("MOUNTPOINT", lambda e: e.mountpoint),
    ("S3", lambda e: e.url),
    ("TOOL", lambda e: e.tool),
    ("OPTIONS", lambda e: ",".join(e.options)),
)
