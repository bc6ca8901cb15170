"""``awsconsole train``: start the trainer as a job on one or more hosts and record the run.

    awsconsole train HOST[,HOST…] [--name N] [--gpus all|N] [--cwd D] [--env K=V]…
                     [--master-addr A] [--master-port P] [--json] -- TRAINER-ARGS…

One host and one GPU: ``python -m trainer train TRAINER-ARGS``; ``--gpus all`` or ``--gpus N``:
one process per GPU through torchrun (``python -m torch.distributed.run --nproc_per_node
gpu|N -m trainer train …``); several hosts: a multi-node group, one job per node, torchrun's
rendezvous from the PET_* variables each job gets (see ``awsconsole run``). On this machine
the interpreter is the one with torch (``[runs] python``, else the console's own); on a host,
``[doctor] python``. The trainer's options pass through exactly as given. The exact command
is printed, and the run goes to the ledger (``awsconsole runs``).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from console.commands import print_json
from console.commands.runs import as_record
from console.errors import ConsoleError
from console.format.terminal import visible
from console.models import TrainRequest
from console.models.jobspec import parse_env

DEFAULT_MASTER_PORT = 29500


class TrainUsageError(ConsoleError):
    title = "awsconsole train"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="start `python -m trainer train` as a job on hosts and record the run",
        description="Start the trainer in tmux on HOST (several, comma-separated: a "
        "multi-node group) and record the run in the ledger. Everything after `--` goes to "
        "`python -m trainer train` as it is.",
    )
    _add_options(parser)
    parser.add_argument(
        "target", metavar="HOST[,HOST…]", help='"local", an instance, or an ssh alias'
    )
    # REMAINDER keeps the trainer's own options; ours written before `--` are parsed again
    parser.add_argument("train_argv", nargs=argparse.REMAINDER, metavar="-- TRAINER-ARGS…")
    parser.set_defaults(func=run)


def _add_options(parser: Any) -> None:
    parser.add_argument("--name", default=None, help="the run's and job's name (default: train)")
    parser.add_argument(
        "--gpus",
        default="1",
        metavar="all|N",
        help="processes per node: 1 (default), N, or all GPUs",
    )
    parser.add_argument("--cwd", default=None, help="working folder on the host (default: ~)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="environment variable; repeatable"
    )
    parser.add_argument("--master-addr", default="", metavar="ADDR",
                        help="multi-node: MASTER_ADDR (default: the first host's private address)")  # fmt: skip
    parser.add_argument("--master-port", type=int, default=DEFAULT_MASTER_PORT, metavar="PORT",
                        help=f"multi-node: MASTER_PORT (default {DEFAULT_MASTER_PORT})")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the run's record as JSON")


class _OptionParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise TrainUsageError(f"{message}. Write: awsconsole train HOST [OPTIONS] -- TRAINER-ARGS…")


def split_arguments(args: Any) -> tuple[Any, list[str]]:
    """Our options written between HOST and ``--`` merged into ``args``, and the trainer's
    arguments (everything after the first ``--``). Raises TrainUsageError without ``--``."""
    words = list(args.train_argv)
    if "--" not in words:
        raise TrainUsageError(
            "Put `--` before the trainer's options: awsconsole train HOST -- --data-root DATA …"
        )
    cut = words.index("--")
    options = _OptionParser(prog="awsconsole train", add_help=False)
    _add_options(options)
    return options.parse_args(words[:cut], namespace=argparse.Namespace(**vars(args))), words[
        cut + 1 :
    ]


def run(args: Any, services: Any) -> int:
    args, trainer_args = split_arguments(args)
    hosts = tuple(part.strip() for part in args.target.split(","))
    if not all(hosts):
        raise TrainUsageError(f"{args.target!r}: a host name is empty (write HOST or HOST,HOST,…).")
    request = TrainRequest(
        hosts=hosts,
        trainer_args=tuple(trainer_args),
        name=args.name or "",
        gpus=args.gpus,
        cwd=args.cwd or "~",
        env=parse_env(args.env),
        master_addr=args.master_addr,
        master_port=args.master_port,
    )
    # through the services' runs backend: refused there when the console is read-only
    record = services.runs.train(request)
    if args.json:
        print_json([as_record(record)])
        return 0
    print_started(record, "Started")
    return 0


def print_started(record: Any, verb: str) -> None:
    """What a started run prints: its id, jobs, the exact command, where to look."""
    first = record.primary
    print(visible(f"{verb} run {record.id} ({record.name}): job {first.job_id} on {first.host}."))
    for rank, node in enumerate(record.nodes[1:], start=1):
        print(visible(f"  node {rank}: job {node.job_id} on {node.host}"))
    print(visible(f"  command: {shlex.join(record.command)}"))
    print(visible(f"  run dir: {first.host}:{record.run_dir}"))
    if record.resumed_from:
        step = f" (step {record.checkpoint_step})" if record.checkpoint_step is not None else ""
        print(visible(f"  resumes: {record.resumed_from}{step}, continuing {record.continues}"))
    print(visible(f"  follow:  awsconsole logs {first.host}:{first.job_id} -f"))
    print("  runs:    awsconsole runs")
