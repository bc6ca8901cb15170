"""``awsconsole runs``: the run ledger with final metrics and cost (the run view's twin).

    awsconsole runs [--no-refresh] [--json]
    awsconsole runs --compare RUN RUN [RUN…] [--no-refresh] [--json]

Every training launch of this machine (``awsconsole train``, ``relaunch``, the train form),
newest first. Running runs are looked at on their hosts first (job state, new lines of
metrics.jsonl, the latest checkpoint of an interrupted run); a host that cannot be reached
is named on stderr and its run shown as last seen. A ledger line that cannot be read is
named on stderr (and kept in the file as it is). Metrics are the latest evaluation's; cost
is the nodes' price per hour times the time the run ran, blank when a price is unknown. A
line of a run's metrics.jsonl that is not a metrics record (cut short, not JSON, too long) is
skipped, and the count is noted on stderr (``metrics_skipped`` in the JSON).

``--compare`` puts two or more runs (id, unique id prefix or unique name) side by side as the
Runs view's compare screen does (``console.runs.compare``): each one's best top-1/3/5,
attribute recall@3/5, landmark error and validation loss over its evaluations, and its cost;
``*`` marks the best of the compared runs in each column.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.format.instances import dollars, duration
from console.format.runs import error_figure, percent, state_text
from console.format.terminal import visible
from console.models import COMPARE_COLUMNS
from console.runs import compare as comparing
from console.runs.derive import cost_of


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list training runs with their final metrics and cost",
        description="The run ledger: every training launch, its state, final metrics and cost.",
    )
    parser.add_argument("--no-refresh", action="store_true",
                        help="show the ledger as it is, without asking the hosts")  # fmt: skip
    parser.add_argument("--compare", nargs="+", metavar="RUN",
                        help="compare two or more runs: best figures and cost side by side")  # fmt: skip
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _seconds(record: Any, now: dt.datetime) -> float:
    end = record.ended or (now if not record.finished else record.started)
    return max(0.0, (end - record.started).total_seconds())


def as_record(record: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """The stable JSON shape of one run."""
    now = now or dt.datetime.now(dt.UTC)
    return {
        "id": record.id,
        "name": record.name,
        "state": record.state.value,
        "state_text": state_text(record),
        "exit_code": record.exit_code,
        "hosts": list(record.hosts),
        "nodes": [
            {
                "host": node.host,
                "job_id": node.job_id,
                "instance_id": node.instance_id,
                "instance_type": node.instance_type,
                "price_per_hour": node.price_per_hour,
                "price_source": node.price_source,
            }
            for node in record.nodes
        ],
        "group": record.group,
        "started": record.started,
        "ended": record.ended,
        "runtime_seconds": round(_seconds(record, now), 1),
        "command": list(record.command),
        "trainer_args": list(record.trainer_args),
        "gpus": record.gpus,
        "cwd": record.cwd,
        "run_dir": record.run_dir,
        "git_commit": record.git_commit,
        "git_dirty": record.git_dirty,
        "s3_uri": record.s3_uri,
        "epochs_done": record.epochs_done,
        "epochs_total": record.epochs_total,
        "last_step": record.last_step,
        "checkpoint_step": record.checkpoint_step,
        "final_metrics": dict(record.final_metrics),
        "best_metrics": dict(record.best_metrics),
        "price_per_hour": record.price_per_hour,
        "cost": cost_of(record, now),
        "continues": record.continues,
        "resumed_from": record.resumed_from,
        "config": record.config,
        "metrics_skipped": record.metrics_skipped,
    }


def skipped_lines(count: int) -> str:
    return "1 line" if count == 1 else f"{count} lines"


def _epochs(record: Any) -> str:
    if record.epochs_total is None:
        return ""
    return f"{record.epochs_done or 0}/{record.epochs_total}"


def _metric(key: str):
    return lambda record: record.final_metrics.get(key)


def columns(now: dt.datetime) -> tuple:
    return (
        ("RUN", lambda r: r.id),
        ("NAME", lambda r: r.name[:30]),
        ("HOSTS", lambda r: ",".join(r.hosts)[:30]),
        ("STATE", state_text),
        ("STARTED", lambda r: r.started),
        ("RUNTIME", lambda r: duration(_seconds(r, now))),
        ("EPOCHS", _epochs),
        ("TOP-1", lambda r: percent(_metric("category_top1")(r))),
        ("TOP-5", lambda r: percent(_metric("category_top5")(r))),
        ("ATTR R@5", lambda r: percent(_metric("attr_all_recall@5")(r))),
        ("LANDMARK", lambda r: error_figure(_metric("landmark_mean")(r))),
        ("$/H", lambda r: dollars(r.price_per_hour)),
        ("COST", lambda r: dollars(cost_of(r, now))),
    )


def run(args: Any, services: Any) -> int:
    listing = services.runs.list(refresh=not args.no_refresh)
    for problem in listing.problems:
        print(visible(f"warning: {problem.path}, line {problem.line}: {problem.reason} (kept as it is)"),
              file=sys.stderr)  # fmt: skip
    for run_id, error in listing.errors.items():
        print(visible(f"warning: {run_id}: not brought up to date: {error}"), file=sys.stderr)
    for record in listing.runs:
        if record.metrics_skipped:
            print(visible(f"note: {record.id}: skipped {skipped_lines(record.metrics_skipped)} "
                          f"of {record.metrics_path} (not metrics records)"),
                  file=sys.stderr)  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    if args.compare:
        return compare_runs(args, services, listing.runs, now)
    if args.json:
        print_json(as_record(record, now) for record in listing.runs)
    else:
        print_table(listing.runs, columns(now))
    return 0


FIGURES = {"percent": percent, "error": error_figure, "loss": lambda v: "" if v is None else f"{v:.4f}"}


def compare_columns(leaders: dict[str, frozenset[int]]) -> tuple:
    """The comparison's columns; a row is (its index, its RunComparison)."""

    def figure(key: str, unit: str):
        return lambda item: (FIGURES[unit](item[1].best.get(key)) + ("*" if item[0] in leaders[key] else "")
                             if item[1].best.get(key) is not None else "")  # fmt: skip

    return (
        ("#", lambda item: item[0] + 1),
        ("RUN", lambda item: item[1].run.id),
        ("NAME", lambda item: item[1].run.name[:30]),
        ("EPOCHS", lambda item: item[1].epochs),
        *((column.title.upper(), figure(column.key, column.unit)) for column in COMPARE_COLUMNS),
        ("COST", lambda item: (dollars(item[1].cost) + ("*" if item[0] in leaders["cost"] else ""))
         if item[1].cost is not None else ""),
    )  # fmt: skip


def compare_runs(args: Any, services: Any, listed: Any, now: dt.datetime) -> int:
    if len(args.compare) < 2:
        print("error: --compare takes two or more runs (ids, id prefixes or names).",
              file=sys.stderr)  # fmt: skip
        return 2  # argparse's status for a usage error
    comparison = services.runs.compare(args.compare)
    for note in comparison.notes:
        print(visible(f"warning: {note}"), file=sys.stderr)
    if args.json:
        print_json(comparing.as_record(row) for row in comparison.rows)
        return 0
    print_table(list(enumerate(comparison.rows)), compare_columns(comparison.leaders))
    print("* the best of the compared runs")
    return 0
