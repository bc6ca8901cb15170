"""``awsconsole cp``: copy a file or a folder — the transfer queue's twin.

    awsconsole cp SRC DST [-r] [--policy skip|overwrite|keep-both] [--streams N] [--detach]
                  [--json]

Each side is a local path, ``HOST:path`` or ``s3://bucket/key`` (console.models.location). A
big file that an earlier ``cp`` left half-copied (killed, crashed, connection gone) is
continued where it stopped, once the bytes already there are checked. A copy between a host and
S3 runs on the host as a job (``aws s3 cp`` there): ``cp`` follows it to its end and says how
it ended (the job goes on if ``cp`` is interrupted); with ``--detach`` it returns as soon as
the job has started and says so ("running: job ID on HOST"). Progress goes to stderr when it
is a terminal; with ``--json`` the result is printed as JSON at the end.

The last line says the transfer's state in the words of the Files view (console.format.files):
``done``, ``skipped (identical)``, ``done, N refused``, ``running: job ID on HOST``; a copy
that failed or was cancelled is one error line with its reason (exit status 2). A name
inside a copied folder that would be written outside the destination (an S3 key
``data/../../x``, a link on the way that leads out) is skipped: the rest is copied, and the
refused names are listed with their reasons (``refused`` in the JSON). Exit status 0 when
everything was copied or skipped as identical, 1 when names were refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.format.files import transfer_state_text
from console.models import (
    Policy,
    RefusedName,
    TransferProgress,
    TransferResult,
    TransferSpec,
    TransferState,
)
from console.settings.sections import MAX_STREAMS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cp",
        help="copy files and folders between this machine, hosts and S3 (like scp / aws s3 cp)",
        description="Copy SRC to DST; each is a local path, HOST:path or s3://bucket/key. "
        "Files are written under a temporary name and renamed once their SHA-256 (or S3 "
        "checksum) matches.",
    )
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("destination", metavar="DST")
    parser.add_argument("-r", "--recursive", action="store_true", help="copy a folder whole")
    parser.add_argument(
        "--policy",
        choices=[policy.value for policy in Policy],
        default=Policy.SKIP.value,
        help="when the destination file exists: skip it if identical (a different one is "
        "an error), overwrite it, or keep both (the copy gets a ' (1)' suffix)",
    )
    parser.add_argument(
        "--streams",
        type=_stream_count,
        default=None,
        help="ssh connections per big file (default: chosen from the file's size and the "
        "host's round trip: 1 for small files, more over a long link)",
    )
    parser.add_argument(
        "--detach",
        action="store_true",
        help="a copy between a host and S3 runs as a job on the host: return once it has "
        "started instead of waiting for its end",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    spec = TransferSpec(
        args.source,
        args.destination,
        recursive=args.recursive,
        policy=Policy(args.policy),
        streams=args.streams,
    )
    line = _ProgressLine() if sys.stderr.isatty() else None
    try:
        # the services' transfer queue refuses, when read-only, a copy to S3 or a host and
        # any overwrite (a download into new files here may run)
        result = services.files.transfers.run(
            spec, on_progress=line, follow_job=not args.detach
        )
    finally:
        if line is not None:
            line.clear()
    if args.json:
        print_json([result])
    else:
        print(result_line(result))
    if result.refused and not args.json:
        print(f"refused: {len(result.refused)} name(s) from the source were not written:")
        print_table(result.refused, [("NAME", _name), ("REASON", lambda r: r.reason)])
    return 1 if result.refused else 0


def result_line(result: TransferResult) -> str:
    """What a finished ``cp`` did, starting with its state in the Files view's words."""
    progress = result.final_progress()
    state = transfer_state_text(progress)
    if result.job_id:
        if result.state is TransferState.RUNNING:
            return (
                f"{state}: {result.source} -> {result.destination} goes on there; "
                f"follow it with `awsconsole logs {result.job_id}`"
            )
        return f"{state}: job {result.job_id} copied {result.source} -> {result.destination}"
    return (
        f"{state}: {result.files_copied} file(s) copied, {result.files_skipped} skipped, "
        f"{_size(result.bytes_total)} in {result.seconds:.1f} s"
        + (f", verified by {result.verified}" if result.verified else "")
        + (f", {result.resumes} resume(s)" if result.resumes else "")
        + (
            f", {_size(result.bytes_resumed)} kept from an interrupted earlier run"
            if result.bytes_resumed
            else ""
        )
    )


def _name(refused: RefusedName) -> str:
    # a name that was not UTF-8 shows its bytes as \xNN (the table shows every control
    # character as an escape too)
    return os.fsencode(refused.name).decode("utf-8", "backslashreplace")


def _stream_count(text: str) -> int:
    """argparse type of --streams: a whole number from 1 to MAX_STREAMS."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--streams takes a whole number, not {text!r}") from None
    if not 1 <= value <= MAX_STREAMS:
        raise argparse.ArgumentTypeError(f"--streams takes 1 to {MAX_STREAMS}, not {value}")
    return value


def _size(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} TiB"


class _ProgressLine:
    """One self-overwriting line on stderr: bytes, rate, ETA."""

    def __call__(self, progress: TransferProgress) -> None:
        eta = f", ETA {progress.eta:.0f} s" if progress.eta is not None else ""
        sys.stderr.write(
            f"\r\033[K{progress.files_done}/{progress.files_total} files, "
            f"{_size(progress.bytes_done)} of {_size(progress.bytes_total)}, "
            f"{_size(progress.rate)}/s{eta}"
        )
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
