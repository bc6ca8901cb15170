"""``awsconsole instances``: the EC2 instances of the region (the Instances view's twin)."""

from __future__ import annotations

from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.models import Instance


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "instances",
        help="list EC2 instances (like `aws ec2 describe-instances`)",
        description="List the EC2 instances of the region, terminated ones included.",
    )
    add_json_flag(parser)
    # lists only what the demo seeds synchronously: no need to wait for bucket contents
    parser.set_defaults(func=run, needs_demo_data=False)


def as_record(instance: Instance) -> dict[str, Any]:
    """The stable JSON shape of one instance (keys never renamed; new ones only appended)."""
    return {
        "id": instance.id,
        "name": instance.name,
        "type": instance.type,
        "state": instance.state,
        "market": instance.market,
        "availability_zone": instance.availability_zone,
        "public_ip": instance.public_ip,
        "private_ip": instance.private_ip,
        "launch_time": instance.launch_time,
        "key_name": instance.key_name,
        "image_id": instance.image_id,
        "tags": dict(instance.tags),
    }


COLUMNS = (
    ("NAME", lambda i: i.name),
    ("ID", lambda i: i.id),
    ("TYPE", lambda i: i.type),
    ("STATE", lambda i: i.state),
    ("MARKET", lambda i: i.market),
    ("AZ", lambda i: i.availability_zone),
    ("PUBLIC IP", lambda i: i.public_ip),
    ("LAUNCHED", lambda i: i.launch_time),
)


def run(args: Any, services: Any) -> int:
    instances = services.ec2.list_instances()
    if args.json:
        print_json(as_record(i) for i in instances)
    else:
        print_table(instances, COLUMNS)
    return 0
