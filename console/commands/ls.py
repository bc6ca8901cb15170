"""``awsconsole ls s3://bucket/prefix [-r] [--json]``: the objects under a prefix — the S3
browser's twin, on the same backend (``S3Service.iter_objects``).

Like ``aws s3 ls``, the prefix is used as given: ``s3://b/img/`` lists the folder ``img/``,
``s3://b/img`` also matches ``img2/``. Without ``-r`` one level is listed, folders as
``PRE name/``; with ``-r`` every key under the prefix. Pages are printed as they arrive, so
the first lines of a 100,000-object listing appear at once and memory stays flat.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from console.commands import add_json_flag, jsonable
from console.errors import ConsoleError
from console.models import S3Object


class LsUsageError(ConsoleError):
    title = "ls"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ls",
        help="list objects under s3://bucket/prefix (like `aws s3 ls`)",
        description="List the folders and objects under an S3 prefix.",
    )
    parser.add_argument("location", metavar="s3://BUCKET/PREFIX")
    parser.add_argument("-r", "--recursive", action="store_true", help="every key under it")
    add_json_flag(parser)
    parser.set_defaults(func=run, needs_demo_data=True)


def parse_s3_location(text: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket/prefix``; raises LsUsageError otherwise."""
    if not text.startswith("s3://"):
        raise LsUsageError(
            f"{text!r} is not an S3 location.", hint="Write it as s3://BUCKET/PREFIX."
        )
    bucket, _, prefix = text[len("s3://") :].partition("/")
    if not bucket:
        raise LsUsageError(f"{text!r} names no bucket.", hint="Write it as s3://BUCKET/PREFIX.")
    return bucket, prefix


def object_line(obj: S3Object, shown_key: str) -> str:
    modified = obj.modified.strftime("%Y-%m-%d %H:%M:%S") if obj.modified else "-"
    return f"{modified}  {obj.size:>12}  {obj.storage_class:<12}  {shown_key}"


def object_record(obj: S3Object) -> dict[str, Any]:
    """The stable JSON shape of one object."""
    return {
        "type": "object",
        "key": obj.key,
        "size": obj.size,
        "modified": jsonable(obj.modified),
        "storage_class": obj.storage_class,
    }


def run(args: Any, services: Any) -> int:
    bucket, prefix = parse_s3_location(args.location)
    out = sys.stdout
    # without -r, names are shown relative to the folder the prefix lies in (as aws s3 ls)
    cut = 0 if args.recursive else prefix.rfind("/") + 1
    first = True
    if args.json:
        out.write("[")
    for page in services.s3.iter_objects(bucket, prefix, recursive=args.recursive):
        if args.json:
            records = [{"type": "folder", "key": p} for p in page.folders]
            records += [object_record(o) for o in page.objects]
            for record in records:
                out.write(("\n  " if first else ",\n  ") + json.dumps(record, ensure_ascii=False))
                first = False
            continue
        for folder in page.folders:
            out.write(f"{'PRE':>49}  {folder[cut:]}\n")
        for obj in page.objects:
            out.write(object_line(obj, obj.key[cut:]) + "\n")
    if args.json:
        out.write("\n]\n" if not first else "]\n")
    return 0
