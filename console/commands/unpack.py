"""``awsconsole unpack HOST:DIR [-P N] [--dest D] [--json]``: the Unpack view's twin.

Replaces ``find DIR -name '*.zip' -print0 | xargs -0 -I {} -P N unzip -q -o {} -d DEST``:
every zip, tar, tar.gz/tgz, tar.bz2 and tar.xz under DIR is unpacked on the host by N
workers (default: the host's cores). Exit status 1 when an archive was corrupt or an entry
was refused (they are listed), 0 when everything unpacked.
"""

from __future__ import annotations

import sys
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.errors import UnpackError
from console.files.count.engine import parse_location
from console.models import UnpackProgress, UnpackResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "unpack",
        help="unpack every archive of a host folder in parallel (like find | xargs -P unzip)",
        description="Unpack the zip and tar archives under HOST:DIR (local:DIR for this "
        "machine) with N parallel workers, reporting corrupt archives and refusing entries "
        "that would land outside the destination.",
    )
    parser.add_argument("location", metavar="HOST:DIR")
    parser.add_argument(
        "-P", "--parallel", type=int, metavar="N", help="workers (default: the host's cores)"
    )
    parser.add_argument("--dest", metavar="D", help="unpack into D on the host (default: DIR)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: Any, services: Any) -> int:
    where = parse_location(args.location)
    if where.kind != "host":
        raise UnpackError(
            f"{args.location!r} names no host: write HOST:DIR (local:DIR for this machine)."
        )
    if args.parallel is not None and args.parallel < 1:
        raise UnpackError(f"-P must be at least 1, not {args.parallel}.")
    progress = _ProgressLine() if not args.json and sys.stderr.isatty() else None
    try:
        # refused by the services' files backend when the console is read-only
        result = services.files.unpack(
            where.host, where.path, dest=args.dest, parallel=args.parallel, on_progress=progress
        )
    finally:
        if progress is not None:
            progress.clear()
    if args.json:
        print_json([result_record(result)])
    else:
        _print_result(result)
    return 0 if not result.failures else 1


def result_record(result: UnpackResult) -> dict[str, Any]:
    """The stable JSON shape of an unpack."""
    return {
        "directory": result.directory,
        "destination": result.destination,
        "parallel": result.parallel,
        "archives_total": result.archives_total,
        "archives_ok": result.archives_ok,
        "files_written": result.files_written,
        "written_bytes": result.written_bytes,
        "seconds": result.seconds,
        "failures": [
            {"archive": f.archive, "kind": f.kind.value, "reason": f.reason, "entry": f.entry}
            for f in result.failures
        ],
    }


def _print_result(result: UnpackResult) -> None:
    print(
        f"{result.archives_ok} of {result.archives_total} archives unpacked cleanly into "
        f"{result.destination}: {result.files_written:,} files, {result.written_bytes:,} bytes, "
        f"{result.seconds:.1f} s with {result.parallel} workers."
    )
    if not result.failures:
        return
    by_kind: dict[str, set[str]] = {}
    for failure in result.failures:
        by_kind.setdefault(failure.kind.value, set()).add(failure.archive)
    summary = ", ".join(f"{kind} in {len(names)}" for kind, names in sorted(by_kind.items()))
    print(f"Archives with problems: {summary} (entries refused are skipped, the rest unpacked).")
    print()
    print_table(
        result.failures,
        (
            ("ARCHIVE", lambda f: f.archive),
            ("PROBLEM", lambda f: f.kind),
            ("ENTRY", lambda f: f.entry),
            ("REASON", lambda f: f.reason),
        ),
    )


class _ProgressLine:
    def __call__(self, progress: UnpackProgress) -> None:
        sys.stderr.write(
            f"\r{progress.archives_done}/{progress.archives_total} archives, "
            f"{progress.bytes_done:,}/{progress.bytes_total:,} bytes, {progress.failed} failed"
        )
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
