"""``awsconsole checkpoints``: the checkpoints of a run folder, an S3 prefix or a local folder
(the checkpoints browser's twin).

    awsconsole checkpoints HOST:RUN_DIR | s3://bucket/prefix | LOCAL_DIR [--json]

Each checkpoint with what its sidecar (``last.pt.json``, written by the trainer) says: kind,
epoch, global step, the metrics of its epoch, size and age, read without loading the file.
One without a usable sidecar shows its size and age only. ``awsconsole predict`` takes the
LOCATION column as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.format.files import human_bytes
from console.format.runs import age, checkpoint_kind, error_figure, percent


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "checkpoints",
        help="list checkpoints with step, metrics, size and age (like `ls -la RUN_DIR/*.pt`)",
        description="List the checkpoints of HOST:RUN_DIR, s3://bucket/prefix or a local "
        "folder (or one checkpoint file there) with their step and metrics.",
    )
    parser.add_argument("location", metavar="HOST:RUN_DIR|s3://…|LOCAL_DIR")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def as_record(checkpoint: Any, now: dt.datetime) -> dict[str, Any]:
    """The stable JSON shape of one checkpoint."""
    when = checkpoint.when
    return {
        "location": checkpoint.location,
        "name": checkpoint.name,
        "kind": checkpoint.kind,
        "epoch": checkpoint.epoch,
        "epoch_step": checkpoint.epoch_step,
        "step": checkpoint.step,
        "reason": checkpoint.reason,
        "metrics": dict(checkpoint.metrics),
        "metrics_epoch": checkpoint.metrics_epoch,
        "config_digest": checkpoint.config_digest,
        "size": checkpoint.size,
        "modified": checkpoint.modified,
        "saved_at": checkpoint.saved_at,
        "age_seconds": round((now - when).total_seconds(), 1) if when else None,
        "has_sidecar": checkpoint.has_sidecar,
        "sidecar_problem": checkpoint.sidecar_problem,
    }


def columns(now: dt.datetime) -> tuple:
    return (
        ("NAME", lambda c: c.name),
        ("KIND", checkpoint_kind),
        ("EPOCH", lambda c: c.epoch),
        ("STEP", lambda c: c.step),
        ("TOP-1", lambda c: percent(c.metrics.get("category_top1"))),
        ("TOP-5", lambda c: percent(c.metrics.get("category_top5"))),
        ("LANDMARK", lambda c: error_figure(c.metrics.get("landmark_mean"))),
        ("SIZE", lambda c: human_bytes(c.size)),
        ("AGE", lambda c: age(c.when, now)),
        ("LOCATION", lambda c: c.location),
    )


def run(args: Any, services: Any) -> int:
    found = services.runs.checkpoints(args.location)
    now = dt.datetime.now(dt.UTC)
    if args.json:
        print_json(as_record(c, now) for c in found)
    else:
        print_table(found, columns(now))
    return 0
