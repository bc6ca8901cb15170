"""One counter for any location: this machine, ``HOST:path`` or ``s3://bucket/prefix``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from console.errors import CountError
from console.files.count.engine import (
    COMPARE_OPTIONS,
    DEFAULT_OPTIONS,
    ProgressCallback,
    compare_counts,
    count_local,
    count_on_host,
    parse_location,
)
from console.models import CountComparison, CountOptions, FileCount
from console.models.location import Location

if TYPE_CHECKING:
    # the host layer loads with a host to count on: `count DIR` here never needs it
    from console.hosts.base import Host


class FileCounter:
    """Counts any location text; hosts come from ``host_for``, S3 clients from ``s3_client``.

    ``host_for(name)`` returns a Host (``services.hosts.host_for``); ``s3_client()`` returns
    a boto3 S3 client. Both are only called when a location needs them.
    """

    def __init__(
        self,
        host_for: Callable[[str], Host] | None = None,
        s3_client: Callable[[], object] | None = None,
    ):
        self._host_for = host_for
        self._s3_client = s3_client

    def count(
        self,
        location: str | Location,
        options: CountOptions = DEFAULT_OPTIONS,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCount:
        """Count one location. Raises CountError, HostError or AwsError subclasses."""
        where = parse_location(location) if isinstance(location, str) else location
        if where.kind == "local":
            return count_local(where.path, options, on_progress=on_progress, cancel=cancel)
        if where.kind == "host":
            if self._host_for is None:
                raise CountError(f"No hosts are configured to count {where}.")
            host = self._host_for(where.host or "")
            return count_on_host(host, where.path, options, on_progress=on_progress, cancel=cancel)
        if self._s3_client is None:
            raise CountError(f"No AWS session is configured to count {where}.")
        # botocore loads for an S3 count only: a local or host count never needs it
        from console.files.count.s3 import count_s3_prefix

        return count_s3_prefix(
            self._s3_client(),
            where.bucket or "",
            where.path,
            options,
            on_progress=on_progress,
            cancel=cancel,
        )

    def compare(
        self,
        locations: Iterable[str | Location],
        options: CountOptions = COMPARE_OPTIONS,
        *,
        cancel: threading.Event | None = None,
    ) -> CountComparison:
        """Count every location at the same time, then compare them (see compare_counts)."""
        targets = list(locations)
        if not 2 <= len(targets) <= 3:
            raise CountError(f"Compare two or three locations, not {len(targets)}.")
        results: list[FileCount | BaseException | None] = [None] * len(targets)

        def run(index: int) -> None:
            try:
                results[index] = self.count(targets[index], options, cancel=cancel)
            except BaseException as exc:  # re-raised in the caller's thread below
                results[index] = exc

        threads = [
            threading.Thread(target=run, args=(i,), name=f"count-compare-{i}", daemon=True)
            for i in range(len(targets))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for outcome in results:
            if isinstance(outcome, BaseException):
                raise outcome
        return compare_counts([r for r in results if isinstance(r, FileCount)])
