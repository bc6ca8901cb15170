"""Count the objects under an S3 prefix as if it were a folder: files, "directories", bytes.

``aws s3 ls --recursive --summarize s3://bucket/prefix/`` lists one page of 1,000 keys after
another; here the prefix is first split along ``/`` (``list_objects_v2`` with a delimiter)
and the sub-prefixes are then listed in parallel, each paginated to the end. Each page is
read lean (``console.aws.s3.lean``: key and size only, not botocore's dict per object), so
the listing threads spend their time waiting on S3, not parsing its answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from console.aws.errors import translate_errors
from console.aws.s3.lean import KeyPage, list_page
from console.files.count.engine import DEFAULT_OPTIONS, ProgressCallback
from console.files.remote_helpers.count_tree import extension_of
from console.models import CountOptions, CountProgress, ExtensionCount, FileCount

#: parallel listings (each one a paginated list_objects_v2 over one sub-prefix)
DEFAULT_WORKERS = 8
#: how many levels of ``/`` may be opened up looking for enough sub-prefixes to share out
MAX_SPLIT_DEPTH = 3


class _S3Tally:
    """Totals shared by the listing threads."""

    def __init__(self, label: str, options: CountOptions, on_progress: ProgressCallback | None):
        self.label = label
        self.options = options
        self.on_progress = on_progress
        self.lock = threading.Lock()
        self.files = 0
        self.bytes = 0
        self.dirs: set[str] = set()
        self.by_ext: dict[str, list[int]] = {}
        self.paths: set[str] = set()

    def add_objects(self, objects: list[tuple[str, int]], root: str) -> None:
        """Count (key, size) pairs listed under ``root``."""
        files = bytes_ = 0
        dirs: set[str] = set()
        parents: set[str] = set()
        exts: dict[str, list[int]] = {}
        paths = []
        cut = len(root)
        recursive = self.options.recursive
        for key, size in objects:
            relative = key[cut:]
            if not relative:
                continue  # the folder marker of the root itself
            if relative.endswith("/"):
                # a "create folder" marker object: a directory (with its parents)
                (parents if recursive else dirs).add(relative.rstrip("/"))
                continue
            if recursive:
                # the folder each key lies in; the folders above it are added once below
                parent = relative.rpartition("/")[0]
                if parent:
                    parents.add(parent)
            files += 1
            bytes_ += size
            if self.options.by_ext:
                name = relative.rsplit("/", 1)[-1].encode("utf-8", "surrogateescape")
                ext = extension_of(name).decode("utf-8", "surrogateescape")
                pair = exts.setdefault(ext, [0, 0])
                pair[0] += 1
                pair[1] += size
            if self.options.with_paths:
                paths.append(relative)
        # every folder a key lies in is a directory, listed or not
        for parent in parents:
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = parent.rpartition("/")[0]
        with self.lock:
            self.files += files
            self.bytes += bytes_
            self.dirs |= dirs
            for ext, (n, size) in exts.items():
                pair = self.by_ext.setdefault(ext, [0, 0])
                pair[0] += n
                pair[1] += size
            self.paths.update(paths)
            progress = CountProgress(self.label, self.files, len(self.dirs), 0, 0, self.bytes)
        if self.on_progress is not None:
            self.on_progress(progress)

    def add_dirs(self, prefixes: list[str], root: str) -> None:
        with self.lock:
            self.dirs.update(p[len(root) :].rstrip("/") for p in prefixes)

    def result(self, cancelled: bool) -> FileCount:
        return FileCount(
            location=self.label,
            files=self.files,
            dirs=len(self.dirs),
            symlinks=0,
            other=0,
            bytes=self.bytes,  # listings carry every size: no extra cost
            recursive=self.options.recursive,
            by_extension=tuple(
                ExtensionCount(ext, n, size) for ext, (n, size) in sorted(self.by_ext.items())
            ),
            paths=frozenset(self.paths) if self.options.with_paths else None,
            method="s3",
            cancelled=cancelled,
        )


def count_s3_prefix(
    client: Any,
    bucket: str,
    prefix: str,
    options: CountOptions = DEFAULT_OPTIONS,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    workers: int = DEFAULT_WORKERS,
    page_size: int = 1000,
) -> FileCount:
    """Count ``s3://bucket/prefix`` with the boto3 S3 ``client``.

    The prefix is a folder: ``data`` and ``data/`` both mean the keys under ``data/``.
    Non-recursive counts the keys directly under it and its sub-prefixes (as directories).
    Stands for ``aws s3 ls [--recursive] --summarize s3://bucket/prefix/``. Raises
    NotFoundError (no such bucket), AccessDeniedError, CredentialsError, EndpointError.
    """
    root = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    tally = _S3Tally(f"s3://{bucket}/{root}", options, on_progress)
    stopped = cancel.is_set if cancel is not None else (lambda: False)
    lister = _Lister(client, bucket, page_size, stopped)
    with translate_errors("s3"):
        objects, sub_prefixes = lister.level(root)
        tally.add_objects(objects, root)
        tally.add_dirs(sub_prefixes, root)
        if options.recursive and sub_prefixes:
            _list_in_parallel(lister, root, sub_prefixes, tally, workers)
    return tally.result(cancelled=stopped())


def _list_in_parallel(
    lister: _Lister, root: str, prefixes: list[str], tally: _S3Tally, workers: int
) -> None:
    # Open up a few more levels while there are fewer prefixes than workers: a dataset with
    # one top folder (images/) would otherwise be listed by a single thread.
    depth = 1
    while len(prefixes) < workers and depth < MAX_SPLIT_DEPTH and not lister.stopped():
        deeper: list[str] = []
        for sub in prefixes:
            objects, children = lister.level(sub)
            tally.add_objects(objects, root)
            tally.add_dirs(children, root)
            deeper.extend(children)
        if not deeper:
            return
        prefixes, depth = deeper, depth + 1

    def list_all(sub: str) -> None:
        for page in lister.pages(sub, delimiter=None):
            tally.add_objects(page.keys, root)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3-count") as pool:
        for future in [pool.submit(list_all, sub) for sub in prefixes]:
            future.result()


class _Lister:
    """``list_objects_v2`` pages of one bucket, stopping early when cancelled."""

    def __init__(self, client: Any, bucket: str, page_size: int, stopped: Callable[[], bool]):
        self.client = client
        self.bucket = bucket
        self.page_size = page_size
        self.stopped = stopped

    def level(self, prefix: str) -> tuple[list[tuple[str, int]], list[str]]:
        """The keys directly under ``prefix`` and its sub-prefixes (one ``/`` level)."""
        objects: list[tuple[str, int]] = []
        prefixes: list[str] = []
        for page in self.pages(prefix, delimiter="/"):
            objects.extend(page.keys)
            prefixes.extend(page.prefixes)
        return objects, prefixes

    def pages(self, prefix: str, delimiter: str | None) -> Iterator[KeyPage]:
        token: str | None = None
        while True:
            page = list_page(
                self.client,
                self.bucket,
                prefix,
                delimiter=delimiter,
                token=token,
                max_keys=self.page_size,
            )
            yield page
            token = page.next_token
            if token is None or self.stopped():
                return
