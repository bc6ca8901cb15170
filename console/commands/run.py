"""``awsconsole run``: start a command as a job in tmux on a host (the launch form's twin).

    awsconsole run HOST[,HOST…] [--name N] [--cwd D] [--env K=V]... [--template T]
                   [--master-addr A] [--master-port P] [--json] -- CMD…

Several hosts (comma-separated) start a multi-node group for torchrun: one job per host,
node rank in the order given, each with MASTER_ADDR (default: the first host's private
address), MASTER_PORT, NNODES and NODE_RANK set. The command is kept as typed (an argument list, never a shell line); to use shell syntax,
run a shell explicitly: ``-- sh -c 'make && ./train'``.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from console.commands import print_json
from console.commands.jobs import as_record
from console.errors import JobError
from console.jobs.manager import DEFAULT_MASTER_PORT
from console.models import JobSpec
from console.models.jobspec import parse_env, template_spec


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="start a command as a job in tmux on a host (like `ssh HOST tmux new -d CMD`)",
        description="Start CMD in a tmux session on HOST; it keeps running when the console "
        "exits. Its output goes to ~/.awsconsole/jobs/ID/output.log on the host.",
    )
    _add_options(parser)
    parser.add_argument(
        "target",
        metavar="HOST[,HOST…]",
        help='"local", an instance, or an ssh alias; several (comma-separated) for a '
        "multi-node group, one job per node",
    )
    # REMAINDER keeps the command's own flags; the options written between HOST and `--`
    # land in it too and are parsed again by ``split_command``.
    # Not dest "command": the top-level parser keeps the subcommand's name there.
    parser.add_argument("job_argv", nargs=argparse.REMAINDER, metavar="-- CMD…", help="the command")
    parser.set_defaults(func=run)


def _add_options(parser: Any) -> None:
    parser.add_argument("--name", default=None, help="a name to show (default: the command)")
    parser.add_argument("--cwd", default=None, help="working directory on the host (default: ~)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="environment variable; repeatable"
    )
    parser.add_argument(
        "--template", metavar="NAME", help="start from [templates.NAME] of the config file"
    )
    parser.add_argument(
        "--master-addr",
        default="",
        metavar="ADDR",
        help="multi-node: MASTER_ADDR (default: the first host's private address)",
    )
    parser.add_argument(
        "--master-port",
        type=int,
        default=DEFAULT_MASTER_PORT,
        metavar="PORT",
        help=f"multi-node: MASTER_PORT (default {DEFAULT_MASTER_PORT})",
    )
    parser.add_argument("--json", action="store_true", help="print the started job as JSON")


class _OptionParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise JobError(f"awsconsole run: {message}")


def split_command(args: Any) -> tuple[Any, list[str]]:
    """The options given between HOST and ``--`` merged into ``args``, and the command.

    ``run HOST --name N -- python train.py --lr 1`` -> name N, ``python train.py --lr 1``.
    Without ``--``, words after HOST are all options or all the command.
    Raises JobError on a bad option.
    """
    words = list(args.job_argv)
    options = _OptionParser(prog="awsconsole run", add_help=False)
    _add_options(options)
    namespace = argparse.Namespace(**vars(args))
    if "--" in words:
        cut = words.index("--")
        return options.parse_args(words[:cut], namespace=namespace), words[cut + 1 :]
    if words[:1] and words[0].startswith("-"):
        try:  # only our options (`run HOST --template T`): no command of its own
            return options.parse_args(words, namespace=namespace), []
        except JobError as exc:
            raise JobError(
                f"{exc.message}. Put `--` between the options and the command: "
                "awsconsole run HOST [OPTIONS] -- CMD…"
            ) from exc
    return args, words


def build_spec(args: Any, services: Any) -> JobSpec:
    """The JobSpec of the flags, on top of a template when one is named. Raises JobError."""
    args, command = split_command(args)
    if args.template:
        base = template_spec(services.settings.templates, args.template)
    else:
        base = JobSpec(command=())
    env = dict(base.env)
    env.update(parse_env(args.env))
    spec = JobSpec(
        command=tuple(command) or base.command,
        name=args.name if args.name is not None else base.name,
        cwd=args.cwd if args.cwd is not None else base.cwd,
        env=tuple(env.items()),
    )
    if not spec.command:
        raise JobError(
            "No command given: write it after `--`, e.g. awsconsole run local -- nvidia-smi"
        )
    return spec


def split_targets(text: str) -> list[str]:
    """``"gpu-a,gpu-b"`` -> ``["gpu-a", "gpu-b"]``. Raises JobError for an empty name."""
    targets = [part.strip() for part in text.split(",")]
    if not all(targets):
        raise JobError(f"{text!r}: a host name is empty (write HOST or HOST,HOST,…).")
    return targets


def run(args: Any, services: Any) -> int:
    spec = build_spec(args, services)
    args, _ = split_command(args)
    targets = split_targets(args.target)
    if len(targets) > 1:
        return _run_group(args, services, targets, spec)
    # through the services' jobs backend: refused there when the console is read-only
    [job] = services.jobs.start(targets, spec)
    if args.json:
        print_json([as_record(job)])
    else:
        print(f"Started job {job.id} on {job.host}.")
        print(f"  follow:  awsconsole logs {job.host}:{job.id} -f")
        attach = services.jobs.manager(args.target).attach_argv(job.id)
        print(f"  attach:  {shlex.join(attach)}")
    return 0


def _run_group(args: Any, services: Any, targets: list[str], spec: JobSpec) -> int:
    jobs = services.jobs.start(
        targets, spec, master_addr=args.master_addr, master_port=args.master_port
    )
    if args.json:
        print_json(as_record(job) for job in jobs)
        return 0
    first = jobs[0]
    env = dict(first.spec.env)
    print(f"Started job group {first.spec.group} ({first.spec.group_name!r}) on "
          f"{len(jobs)} nodes, MASTER_ADDR={env['MASTER_ADDR']} MASTER_PORT={env['MASTER_PORT']}.")  # fmt: skip
    for job in jobs:
        print(f"  node {job.spec.node_rank}: job {job.id} on {job.host}")
    print(f"  follow rank 0:  awsconsole logs {first.spec.group} -f")
    print(f"  kill all:       awsconsole kill {first.spec.group}")
    return 0
