"""``awsconsole``: the terminal console, or with a subcommand its scriptable twin.

    awsconsole [--demo] [--profile P] [--region R] [--endpoint-url URL] [--read-only]
               [--autostop MINUTES] [--config PATH] [COMMAND [--json]]

Without a command the interactive console starts. Every ``ConsoleError`` ends the program
with its title, message and hint on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from console import __version__
from console.errors import ConfigError, ConsoleError
from console.format.terminal import visible
from console.settings import Settings

#: subcommand modules under console.commands; each exposes ``register(subparsers)``
COMMAND_MODULES: tuple[str, ...] = (
    "instances",
    "buckets",
    "ls",
    "run",
    "jobs",
    "logs",
    "kill",
    "gpu",
    "count",
    "cp",
    "unpack",
    "mount",
    "doctor",
    "train",
    "runs",
    "checkpoints",
    "predict",
    "relaunch",
    "jupyter",
    "demo",
)
#: with --demo, these read the dataset bucket's contents and so wait until it is filled
#: (a command can also set ``needs_demo_data`` in its parser defaults)
DEMO_DATA_COMMANDS = frozenset({"count", "cp", "ls"})

#: seconds a --demo subcommand waits for the demo bucket's contents (the first start
#: generates the images; later ones only upload them)
DEMO_SEED_TIMEOUT = 300.0

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


#: the global options that take a value (the scan for the command name skips their values)
VALUE_OPTIONS = ("--profile", "--region", "--endpoint-url", "--autostop", "--config")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the command line, only the command it names is registered
    (each command module loads what it runs with: `count DIR` pays for no other command's
    imports). Help, no command or an unknown one get every command."""
    parser = argparse.ArgumentParser(
        prog="awsconsole",
        description="A keyboard-driven console for training PyTorch models on AWS GPU instances.",
    )
    parser.add_argument("--version", action="version", version=f"awsconsole {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="no AWS account needed: a local AWS endpoint with a seeded fleet, shared by "
        "every --demo call until `awsconsole demo stop`, every instance being this machine "
        "in a sandbox folder",
    )
    parser.add_argument("--profile", help="AWS profile from ~/.aws/config (default: AWS_PROFILE)")
    parser.add_argument(
        "--region", help="AWS region (default: the profile's or AWS_DEFAULT_REGION)"
    )
    parser.add_argument("--endpoint-url", help="send every AWS call to this endpoint")
    parser.add_argument("--read-only", action="store_true", help="refuse every destructive action")
    parser.add_argument(
        "--autostop",
        metavar="MINUTES",
        type=float,
        help="while the console runs, stop a running GPU instance once every GPU of it "
        "stayed idle this long (0: off; default: [idle] autostop_minutes, 0)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help="settings file (default: the platform config dir)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = command_named_in(argv) if argv is not None else None
    for name in (named,) if named is not None else COMMAND_MODULES:
        importlib.import_module(f"console.commands.{name}").register(subparsers)
    return parser


def command_named_in(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word that is not a global option or an
    option's value (an abbreviated option, as argparse allows, counts with its value).
    None when there is none, when help or the version is asked for before it, or when the
    word is no command (argparse then lists them all)."""
    words = iter(argv)
    for word in words:
        if word in ("-h", "--help", "--version", "--"):
            return None
        if word.startswith("-"):
            if "=" not in word and any(option.startswith(word) for option in VALUE_OPTIONS):
                next(words, None)
            continue
        return word if word in COMMAND_MODULES else None
    return None


def load_settings(args: argparse.Namespace) -> Settings:
    """The config file, the environment, then the flags given on the command line."""
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"The settings file {args.config} does not exist.")
    settings = Settings.load(args.config).with_autostop(args.autostop)
    return settings.with_overrides(
        profile=args.profile,
        region=args.region,
        endpoint_url=args.endpoint_url,
        read_only=True if args.read_only else None,
        demo=True if args.demo else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(words).parse_args(words)
    services = None
    try:
        settings = load_settings(args)
        if getattr(args, "uses_settings_only", False):
            # `awsconsole demo …` manages the demo's endpoint the services would connect to
            return run_command(args, settings)
        backendless = getattr(args, "without_backends", None)
        services = backendless(args, settings) if backendless is not None else None
        if services is not None:
            # e.g. `count DIR` on this machine: no AWS session, no host layer, no bundle
            return run_command(args, services)
        # the backends load here, for the command that needs them: --help and a parse
        # error answer without boto3, paramiko or moto
        from console.startup import build_services, build_services_in_background

        if args.command is None and settings.demo:
            # the first screen shows while the demo endpoint starts (most of the start-up)
            services = build_services_in_background(settings)
            return run_console(settings, services)
        # the interactive console is of no use without credentials: say so before it starts
        services = build_services(settings, require_credentials=args.command is None)
        if args.command is None:
            # the Instances view opens first: its first page travels while the window builds
            services.ec2.prefetch_first_page()
            return run_console(settings, services)
        needs_data = getattr(args, "needs_demo_data", args.command in DEMO_DATA_COMMANDS)
        if services.demo is not None and needs_data:
            # a script's `--demo count s3://deepfashion-data/img` must see the whole bucket
            services.demo.wait_until_seeded(DEMO_SEED_TIMEOUT)
        return run_command(args, services)
    except ConsoleError as exc:
        report(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader (`| head`) went away: not an error worth a message
        sys.stderr.close()
        return EXIT_OK
    finally:
        if services is not None:
            services.close()


def run_console(settings: Settings, services: object) -> int:
    # Textual loads only for the interactive console, never for a subcommand
    from console.app import make_app

    app = make_app(settings, services)
    app.run()
    return getattr(app, "return_code", None) or EXIT_OK


def run_command(args: argparse.Namespace, services: object) -> int:
    """A subcommand, its standard output behind ``VisibleText`` (names from outside are
    shown, never obeyed, whatever the command prints)."""
    from console.commands import VisibleText  # with the command modules, loaded on use

    real = sys.stdout
    sys.stdout = VisibleText(real)
    try:
        return args.func(args, services)
    finally:
        sys.stdout.flush()
        sys.stdout = real


def report(error: ConsoleError) -> None:
    """``Title: message`` and the hint, on stderr. The message often quotes what AWS or a
    host said, or a name from outside: its control characters are shown, never obeyed."""
    lines = [f"{error.title}: {error.message}"]
    if error.hint:
        lines.append(error.hint)
    print(visible("\n".join(lines), newlines=True), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
