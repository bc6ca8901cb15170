"""``awsconsole buckets``: the S3 buckets of the account (the Buckets view's twin)."""

from __future__ import annotations

from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.models import Bucket


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "buckets",
        help="list S3 buckets (like `aws s3api list-buckets`)",
        description="List the S3 buckets of the account.",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def as_record(bucket: Bucket) -> dict[str, Any]:
    """The stable JSON shape of one bucket."""
    return {"name": bucket.name, "created": bucket.created, "region": bucket.region}


COLUMNS = (
    ("NAME", lambda b: b.name),
    ("CREATED", lambda b: b.created),
    ("REGION", lambda b: b.region),
)


def run(args: Any, services: Any) -> int:
    buckets = services.s3.list_buckets()
    if args.json:
        print_json(as_record(b) for b in buckets)
    else:
        print_table(buckets, COLUMNS)
    return 0
