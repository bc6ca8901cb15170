"""``awsconsole count``: files, directories and bytes under a path — the Counts view's twin.

    awsconsole count PATH [-r] [--by-ext] [--bytes] [--json]
    awsconsole count --compare A B [C] [--top-level] [--by-path] [--bytes] [--json]

PATH is a local path, ``HOST:path`` or ``s3://bucket/prefix``. Sizes cost one ``stat`` per
file, several times the directory listing itself on a big flat folder, so they are only
summed with ``--bytes`` (S3 listings carry sizes: an S3 count always has them). With
``--compare`` the first location is the reference and the exit status is 1 when another one
differs from it; a compare descends into folders unless ``--top-level`` is given, and a
top-level compare puts the folders it sees side by side with the files.
"""

from __future__ import annotations

import sys
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.errors import CountError
from console.format.files import extension_label, extension_rows
from console.format.terminal import visible
from console.models import CountComparison, CountOptions, CountProgress, FileCount

#: paths listed per location under a comparison table (the JSON output has them all)
MAX_LISTED_PATHS = 20


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "count",
        help="count files, directories and bytes (like `ls -1 DIR | wc -l`, but right)",
        description="Count what lies under a local path, HOST:path or s3://bucket/prefix; "
        "with --compare, put two or three locations side by side.",
    )
    parser.add_argument("locations", nargs="+", metavar="PATH")
    parser.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="descend into folders (--compare always does)",
    )
    parser.add_argument(
        "--top-level",
        action="store_true",
        help="with --compare: compare only the top level (its files and folders)",
    )
    parser.add_argument("--by-ext", action="store_true", help="break files down by extension")
    parser.add_argument(
        "--bytes",
        action="store_true",
        help="also sum file sizes (one stat per file: slower on huge folders)",
    )
    parser.add_argument(
        "--compare", action="store_true", help="compare 2 or 3 locations, the first as reference"
    )
    parser.add_argument(
        "--by-path",
        action="store_true",
        help="with --compare: match files by relative path and list the missing and extra ones",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run, without_backends=this_machine_only)


class _ThisMachineCounts:
    """All a count of this machine's paths needs of the services: a counter without hosts
    or an AWS session (the bundle, boto3 and the host layer are never loaded for it)."""

    def __init__(self) -> None:
        # the counter loads when a count runs, not with the parser
        from console.files.count.counter import FileCounter

        self.files = FileCounter()

    def close(self) -> None:
        """Nothing was opened."""


def this_machine_only(args: Any, settings: Any) -> _ThisMachineCounts | None:
    """Services for a count whose every location is on this machine (outside the demo,
    whose bucket a script may wait for); None sends the command through the whole bundle,
    which also reports a location it cannot read."""
    # loads when a count runs, not with the parser
    from console.models.location import LocationError, parse_location

    if settings.demo:
        return None
    try:
        kinds = {parse_location(text).kind for text in args.locations}
    except LocationError:
        return None
    return _ThisMachineCounts() if kinds == {"local"} else None


def counter_for(services: Any) -> Any:
    """The services' counts: their files backend (a FileCounter on the bundle's hosts and
    S3 session), with ``count`` and ``compare``."""
    return services.files


def run(args: Any, services: Any) -> int:
    counter = counter_for(services)
    if args.compare:
        return _run_compare(args, counter)
    if len(args.locations) != 1:
        raise CountError(
            f"count takes one PATH ({len(args.locations)} given); "
            "use --compare to put several side by side."
        )
    options = CountOptions(recursive=args.recursive, by_ext=args.by_ext, with_bytes=args.bytes)
    progress = _ProgressLine() if not args.json and sys.stderr.isatty() else None
    try:
        count = counter.count(args.locations[0], options, on_progress=progress)
    finally:
        if progress is not None:
            progress.clear()
    if args.json:
        print_json([count_record(count)])
        return 0
    print_table([count], COUNT_COLUMNS)
    if count.by_extension:
        print()
        columns = EXTENSION_COLUMNS if count.bytes is not None else EXTENSION_COLUMNS[:2]
        print_table(list(extension_rows(count)), columns)
    if count.error_count:
        print(f"\n{count.error_count} entries could not be read:", file=sys.stderr)
        for message in count.errors:
            print(visible(f"  {message}"), file=sys.stderr)
    return 0


def _run_compare(args: Any, counter: Any) -> int:
    if not 2 <= len(args.locations) <= 3:
        raise CountError(f"--compare takes two or three locations, not {len(args.locations)}.")
    options = CountOptions(
        recursive=not args.top_level,
        by_ext=True,
        with_bytes=args.bytes,
        with_paths=args.by_path,
    )
    comparison = counter.compare(args.locations, options)
    if args.json:
        print_json([comparison_record(comparison)])
    else:
        _print_comparison(comparison)
    return 0 if comparison.matches else 1


COUNT_COLUMNS = (
    ("LOCATION", lambda c: c.location),
    ("FILES", lambda c: c.files),
    ("DIRS", lambda c: c.dirs),
    ("SYMLINKS", lambda c: c.symlinks),
    ("OTHER", lambda c: c.other),
    ("BYTES", lambda c: c.bytes),
)

EXTENSION_COLUMNS = (
    ("EXTENSION", lambda row: row.extension or "(none)"),
    ("FILES", lambda row: row.files),
    ("BYTES", lambda row: row.bytes),
)


def count_record(count: FileCount) -> dict[str, Any]:
    """The stable JSON shape of one count."""
    record: dict[str, Any] = {
        "location": count.location,
        "files": count.files,
        "dirs": count.dirs,
        "symlinks": count.symlinks,
        "other": count.other,
        "bytes": count.bytes,
        "recursive": count.recursive,
        "by_extension": [
            {
                "extension": row.extension,
                "files": row.files,
                # sizes were not measured without --bytes: unknown, not zero
                "bytes": row.bytes if count.bytes is not None else None,
            }
            for row in count.by_extension
        ],
        "error_count": count.error_count,
        "errors": list(count.errors),
        "method": count.method,
    }
    return record


def comparison_record(comparison: CountComparison) -> dict[str, Any]:
    """The stable JSON shape of a comparison (locations in the order given)."""
    record: dict[str, Any] = {
        "matches": comparison.matches,
        "by_path": comparison.by_path,
        "locations": [count_record(c) for c in comparison.counts],
        "by_extension": [
            {
                "extension": row.extension,
                "files": list(row.files),
                "missing": list(row.missing),
                "extra": list(row.extra),
            }
            for row in comparison.by_extension
        ],
    }
    if comparison.by_path:
        record["missing_paths"] = [list(p) for p in comparison.missing_paths]
        record["extra_paths"] = [list(p) for p in comparison.extra_paths]
    return record


def _print_comparison(comparison: CountComparison) -> None:
    counts = comparison.counts
    for index, count in enumerate(counts):
        print(f"[{index + 1}] {count.location}")
    print()
    columns: list[tuple[str, Any]] = [("EXTENSION", lambda row: extension_label(row.extension))]
    for index in range(len(counts)):
        columns.append((f"[{index + 1}] FILES", lambda row, i=index: row.files[i]))
        if index:
            columns.append((f"[{index + 1}] MISSING", lambda row, i=index: row.missing[i]))
            columns.append((f"[{index + 1}] EXTRA", lambda row, i=index: row.extra[i]))
    print_table(comparison.by_extension, columns)
    if comparison.by_path:
        for index in range(1, len(counts)):
            for word, paths in (
                ("missing from", comparison.missing_paths[index]),
                ("extra in", comparison.extra_paths[index]),
            ):
                if not paths:
                    continue
                print(f"\n{len(paths)} files {word} [{index + 1}]:")
                for path in paths[:MAX_LISTED_PATHS]:
                    print(f"  {path!r}" if "\n" in path else f"  {path}")
                if len(paths) > MAX_LISTED_PATHS:
                    print(f"  … {len(paths) - MAX_LISTED_PATHS} more (--json lists them all)")
    if not comparison.matches:
        print("\nThe locations differ.")
    elif all(count.recursive for count in counts):
        print("\nSame files everywhere.")
    else:
        print("\nSame files and folders at the top level (--top-level: folders not looked into).")


class _ProgressLine:
    """One self-overwriting line on stderr while a long count runs."""

    def __call__(self, progress: CountProgress) -> None:
        entries = progress.files + progress.dirs + progress.symlinks + progress.other
        sys.stderr.write(f"\r{progress.location}: {entries:,} entries so far…")
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
