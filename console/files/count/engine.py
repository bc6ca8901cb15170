"""Counts of files, directories, symlinks and bytes — on this machine, a host or S3.

The question ``ls -1 DIR | wc -l`` is asked to answer ("did everything arrive?"), answered
without parsing ``ls``: on a host one ``python3`` process walks the tree with
``os.scandir`` (``remote_helpers/count_tree.py``, shipped inside the command) and streams
JSON lines back; where the host has no ``python3`` the count falls back to
``find ROOT -mindepth 1 -printf '%y\\t%s\\t%P\\0'`` (NUL-separated, so a newline in a name is
just a character). S3 prefixes are counted by ``console.files.count.s3``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from console.errors import CountError, HostError
from console.files.remote_helpers import count_tree, python_command
from console.models import (
    CountComparison,
    CountOptions,
    CountProgress,
    ExtensionComparison,
    ExtensionCount,
    FileCount,
)
from console.models.files import FOLDERS_ROW
from console.models.location import Location
from console.models.location import parse_location as parse_any_location

if TYPE_CHECKING:
    # the host layer loads with a host to count on: `count DIR` here never needs it
    from console.hosts.base import Host

ProgressCallback = Callable[[CountProgress], None]

#: exit status of a shell asked to run a program it cannot find
COMMAND_NOT_FOUND = 127


def helper_args(options: CountOptions) -> list[str]:
    """The count_tree helper's flags for ``options``."""
    args = ["--progress-every", str(options.progress_every)]
    if options.recursive:
        args.append("--recursive")
    if options.by_ext:
        args.append("--by-ext")
    if not options.with_bytes:
        args.append("--no-bytes")
    if options.with_paths:
        args.append("--paths")
    return args


#: a plain count: this folder only, with bytes
DEFAULT_OPTIONS = CountOptions()
#: what a comparison counts by default: the whole tree, by extension
COMPARE_OPTIONS = CountOptions(recursive=True, by_ext=True)


# --- locations -------------------------------------------------------------------------


def parse_location(text: str) -> Location:
    """Read ``/local/path``, ``HOST:path`` or ``s3://bucket/prefix`` (console.models.location).

    Raises CountError for an empty location, a missing bucket or an impossible host name.
    """
    return parse_any_location(text, error=CountError)


# --- this machine and hosts ------------------------------------------------------------


def count_local(
    path: str,
    options: CountOptions = DEFAULT_OPTIONS,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    label: str | None = None,
) -> FileCount:
    """Count under ``path`` of this machine, in this process (what ``count_tree`` does remotely).

    Stands for ``find PATH [-maxdepth 1] -mindepth 1 | wc -l`` by kind, plus ``du -b``.
    Raises CountError when ``path`` does not exist or cannot be read.
    """
    label = label or path
    collector = _LineCollector(label, on_progress)
    try:
        result = count_tree.scan(
            os.path.expanduser(path),
            recursive=options.recursive,
            by_ext=options.by_ext,
            with_bytes=options.with_bytes,
            with_paths=options.with_paths,
            emit=collector.feed,
            progress_every=options.progress_every,
            cancelled=cancel.is_set if cancel else None,
        )
    except OSError as exc:
        raise CountError(f"Cannot count {label}: {exc.strerror or exc}.") from exc
    collector.feed(result)
    return collector.finish(options, method="scandir")


def count_on_host(
    host: Host,
    path: str,
    options: CountOptions = DEFAULT_OPTIONS,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    method: str = "auto",
    python: str = "python3",
) -> FileCount:
    """Count under ``path`` on ``host`` with one remote process, streaming progress.

    ``method`` is "scandir" (``python3 -c <count_tree.py> PATH …``), "find"
    (``find -H PATH -mindepth 1 [-maxdepth 1] -printf '%y\\t%s\\t%P\\0'``) or "auto" (python,
    then find when the host has no ``python``). Raises CountError when the path is missing or
    unreadable, HostError subclasses when the host cannot be reached.
    """
    label = f"{host.name}:{path}"
    if not path or "\0" in path:
        raise CountError(f"Cannot count {label}: name a folder.")
    root = expand_home(host, path)
    if method in ("auto", "scandir"):
        argv = python_command("count_tree", *helper_args(options), "--", root, python=python)
        collector = _LineCollector(label, on_progress)
        ended = _stream_lines(host, argv, collector.feed_bytes, cancel)
        if collector.result is not None:
            return collector.finish(options, method="scandir")
        if collector.error is not None:
            raise CountError(f"Cannot count {label}: {collector.error}.")
        if cancel is not None and cancel.is_set():
            return collector.finish(options, method="scandir")
        if method == "scandir" or ended.exit_code != COMMAND_NOT_FOUND:
            raise CountError(
                f"The count on {host.name} ended without a result ({ended.describe()})."
            )
    return _count_with_find(host, root, label, options, on_progress, cancel)


def expand_home(host: Host, path: str) -> str:
    """``~`` and ``~/x`` resolved against the host's home (a sandboxed host has its own)."""
    if path == "~":
        return host.home()
    if path.startswith("~/"):
        return host.home().rstrip("/") + path[1:]
    return path


@dataclass(frozen=True)
class _Ended:
    """How a streamed command ended: its status (None when cancelled) and its stderr tail."""

    exit_code: int | None
    stderr: bytes = b""

    def describe(self) -> str:
        text = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"exit status {self.exit_code}" + (f": {text[-1]}" if text else "")


def _stream_lines(
    host: Host,
    argv: Sequence[str],
    on_chunk: Callable[[bytes], None],
    cancel: threading.Event | None,
) -> _Ended:
    try:
        stream = host.stream(argv, cancel=cancel)
    except HostError as exc:
        # LocalHost says "cannot start" with a plain HostError where a shell would exit 127;
        # the subclasses (unreachable, authentication, host key) are real failures
        if type(exc) is HostError:
            return _Ended(COMMAND_NOT_FOUND, str(exc).encode())
        raise
    with stream:
        for chunk in stream:
            on_chunk(chunk)
        # read before the stream closes: closing a finished stream may forget its status
        return _Ended(stream.exit_code, bytes(getattr(stream, "stderr", b"") or b""))


class _LineCollector:
    """Turns count_tree's JSON lines into progress callbacks and one FileCount."""

    def __init__(self, label: str, on_progress: ProgressCallback | None):
        self.label = label
        self.on_progress = on_progress
        self.paths: set[str] = set()
        self.result: dict | None = None
        self.error: str | None = None
        self.last_progress: dict = {}
        self._buffer = b""

    def feed_bytes(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            if raw.strip():
                self.feed(json.loads(raw))

    def feed(self, line: dict) -> None:
        event = line.get("event")
        if event == "progress":
            self.last_progress = line
            if self.on_progress is not None:
                self.on_progress(_progress(self.label, line))
        elif event == "paths":
            self.paths.update(line["paths"])
        elif event == "result":
            self.result = line
        elif event == "error":
            self.error = line.get("reason") or line.get("message", "unknown error")

    def finish(self, options: CountOptions, method: str) -> FileCount:
        # cancelled: what was counted until then, flagged as partial
        line = self.result or {**self.last_progress, "cancelled": True}
        by_ext = tuple(
            ExtensionCount(ext, files, size)
            for ext, (files, size) in line.get("by_ext", {}).items()
        )
        return FileCount(
            location=self.label,
            files=line.get("files", 0),
            dirs=line.get("dirs", 0),
            symlinks=line.get("symlinks", 0),
            other=line.get("other", 0),
            bytes=line.get("bytes", 0) if options.with_bytes else None,
            recursive=options.recursive,
            by_extension=by_ext,
            paths=frozenset(self.paths) if options.with_paths else None,
            error_count=line.get("error_count", 0),
            errors=tuple(line.get("errors", ())),
            method=method,
            cancelled=bool(line.get("cancelled")),
        )


def _progress(label: str, line: dict) -> CountProgress:
    return CountProgress(
        label, line["files"], line["dirs"], line["symlinks"], line["other"], line["bytes"]
    )


# --- the find fallback -----------------------------------------------------------------

#: find's %y letters for the kinds the count distinguishes (the rest are "other")
_FIND_KINDS = {"f": "files", "d": "dirs", "l": "symlinks"}


def find_command(root: str, recursive: bool) -> list[str]:
    """``find -H ROOT -mindepth 1 [-maxdepth 1] -printf '%y\\t%s\\t%P\\0'``.

    ROOT is made absolute or ``./``-prefixed (``tool_path``): ``find`` takes no ``--``
    before its start points, and a root named ``-delete`` would otherwise be its action.
    """
    argv = ["find", "-H", _start_point(root), "-mindepth", "1"]
    if not recursive:
        argv += ["-maxdepth", "1"]
    return argv + ["-printf", "%y\\t%s\\t%P\\0"]


def _start_point(root: str) -> str:
    """``root`` as ``tool_path`` hands it to a tool (absolute or ``./``-prefixed)."""
    # the host layer loads with a host to count on: `count DIR` here never needs it
    from console.hosts.argv import tool_path

    return tool_path(root)


def _count_with_find(
    host: Host,
    root: str,
    label: str,
    options: CountOptions,
    on_progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> FileCount:
    tally = _FindTally(label, options, on_progress)
    ended = _stream_lines(host, find_command(root, options.recursive), tally.feed, cancel)
    exit_code = ended.exit_code
    if tally.records == 0 and exit_code not in (0, None):
        # nothing listed and a failure: the root itself is missing or unreadable
        result = host.run(["test", "-d", _start_point(root)])
        reason = "no such directory" if not result.ok else f"find exited {exit_code}"
        raise CountError(f"Cannot count {label}: {reason}.")
    errors = ()
    if exit_code not in (0, None):
        errors = (f"find exited {exit_code}: some entries could not be read",)
    count = tally.finish(method="find")
    return replace(
        count,
        error_count=len(errors),
        errors=errors,
        cancelled=exit_code is None,
    )


class _FindTally:
    def __init__(self, label: str, options: CountOptions, on_progress: ProgressCallback | None):
        self.label = label
        self.options = options
        self.on_progress = on_progress
        self.kinds = {"files": 0, "dirs": 0, "symlinks": 0, "other": 0}
        self.bytes = 0
        self.by_ext: dict[str, list[int]] = {}
        self.paths: set[str] = set()
        self.records = 0
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        *records, self._buffer = self._buffer.split(b"\0")
        for record in records:
            self._record(record)
        if self.on_progress is not None and records:
            k = self.kinds
            self.on_progress(
                CountProgress(
                    self.label, k["files"], k["dirs"], k["symlinks"], k["other"], self.bytes
                )
            )

    def _record(self, record: bytes) -> None:
        kind, size, relative = record.split(b"\t", 2)
        self.records += 1
        bucket = _FIND_KINDS.get(kind.decode("ascii", "replace"), "other")
        self.kinds[bucket] += 1
        if bucket != "files":
            return
        self.bytes += int(size)
        name = relative.rsplit(b"/", 1)[-1]
        if self.options.by_ext:
            pair = self.by_ext.setdefault(os.fsdecode(count_tree.extension_of(name)), [0, 0])
            pair[0] += 1
            pair[1] += int(size)
        if self.options.with_paths:
            self.paths.add(relative.decode("utf-8", "surrogateescape"))

    def finish(self, method: str) -> FileCount:
        by_ext = tuple(
            ExtensionCount(ext, files, size) for ext, (files, size) in sorted(self.by_ext.items())
        )
        return FileCount(
            location=self.label,
            bytes=self.bytes if self.options.with_bytes else None,
            recursive=self.options.recursive,
            by_extension=by_ext,
            paths=frozenset(self.paths) if self.options.with_paths else None,
            method=method,
            **self.kinds,
        )


# --- comparing -------------------------------------------------------------------------


def compare_counts(counts: Sequence[FileCount]) -> CountComparison:
    """Put two or three counts side by side; the first is the reference.

    When every count carries its paths, missing and extra are exact sets of relative paths
    (a renamed file shows as one missing and one extra); otherwise they are differences of
    the per-extension file counts. A top-level compare (any count not recursive) also puts
    the folders it saw side by side, as a ``FOLDERS_ROW`` row: trees whose files all lie in
    folders hold no file at the top, and must not read as the same. Raises CountError for
    fewer than two counts.
    """
    if not 2 <= len(counts) <= 3:
        raise CountError(f"Compare two or three locations, not {len(counts)}.")
    comparison = _compare_files(counts)
    if all(count.recursive for count in counts):
        return comparison
    folders = _difference_row(FOLDERS_ROW, tuple(count.dirs for count in counts))
    return replace(comparison, by_extension=(*comparison.by_extension, folders))


def _difference_row(extension: str, files: tuple[int, ...]) -> ExtensionComparison:
    reference = files[0]
    return ExtensionComparison(
        extension,
        files,
        missing=tuple(max(0, reference - n) for n in files),
        extra=tuple(max(0, n - reference) for n in files),
    )


def _compare_files(counts: Sequence[FileCount]) -> CountComparison:
    if all(count.paths is not None for count in counts):
        return _compare_paths(counts)
    if any(count.by_extension for count in counts):
        tables = [{row.extension: row.files for row in count.by_extension} for count in counts]
    else:  # no breakdown was asked for: one row of all files
        tables = [{"*": count.files} for count in counts]
    rows = [
        _difference_row(ext, tuple(table.get(ext, 0) for table in tables))
        for ext in sorted(set().union(*tables))
    ]
    return CountComparison(tuple(counts), tuple(rows), by_path=False)


def _compare_paths(counts: Sequence[FileCount]) -> CountComparison:
    path_sets = [count.paths or frozenset() for count in counts]
    reference = path_sets[0]
    missing = [sorted(reference - paths) for paths in path_sets]
    extra = [sorted(paths - reference) for paths in path_sets]
    rows = []
    extension = _extension_of_path
    for ext in sorted({extension(p) for paths in path_sets for p in paths}):
        rows.append(
            ExtensionComparison(
                ext,
                files=tuple(sum(1 for p in paths if extension(p) == ext) for paths in path_sets),
                missing=tuple(sum(1 for p in m if extension(p) == ext) for m in missing),
                extra=tuple(sum(1 for p in e if extension(p) == ext) for e in extra),
            )
        )
    return CountComparison(
        tuple(counts),
        tuple(rows),
        by_path=True,
        missing_paths=tuple(tuple(m) for m in missing),
        extra_paths=tuple(tuple(e) for e in extra),
    )


def _extension_of_path(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return os.fsdecode(count_tree.extension_of(os.fsencode(name)))


# --- one entry for every kind of location ----------------------------------------------
