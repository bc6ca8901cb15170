"""``S3Backend`` as the bundle hands it out: the S3 service of the AWS layer, with counts and
copies of the files layer on the same client (the AWS layer itself knows nothing of files)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from console.aws.s3.service import S3Service
from console.aws.session import AwsSession
from console.files.count.s3 import count_s3_prefix
from console.models import (
    Bucket,
    CountOptions,
    CountProgress,
    FileCount,
    ObjectPreview,
    S3Page,
    TransferProgress,
)


class S3Files:
    """S3 with counts and transfers (``console.files``) on one session's shared client."""

    def __init__(self, s3: S3Service):
        self._s3 = s3

    # -- the S3 service, as it is -------------------------------------------------------------

    def client(self) -> Any:
        return self._s3.client()

    def errors(self) -> AbstractContextManager[None]:
        return self._s3.errors()

    def list_buckets(self) -> list[Bucket]:
        return self._s3.list_buckets()

    def list_page(
        self, bucket: str, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> S3Page:
        return self._s3.list_page(bucket, prefix, token, page_size)

    def iter_objects(
        self, bucket: str, prefix: str = "", *, recursive: bool = False, page_size: int = 1000
    ) -> Iterator[S3Page]:
        return self._s3.iter_objects(bucket, prefix, recursive=recursive, page_size=page_size)

    def delete(self, bucket: str, key: str) -> int:
        return self._s3.delete(bucket, key)

    def presign(self, bucket: str, key: str, expires: int = 3600) -> str:
        return self._s3.presign(bucket, key, expires)

    def preview_text(self, bucket: str, key: str, limit: int = 1024 * 1024) -> str:
        return self._s3.preview_text(bucket, key, limit)

    def preview(self, bucket: str, key: str, head: int = 256 * 1024) -> ObjectPreview:
        return self._s3.preview(bucket, key, head)

    # -- counts and copies --------------------------------------------------------------------

    def count_prefix(
        self,
        bucket: str,
        prefix: str,
        *,
        on_progress: Callable[[CountProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCount:
        """Objects, folders and bytes under ``prefix`` (recursive), listed in parallel over
        its sub-prefixes, with streamed progress.

        Shell equivalent: ``aws s3 ls --recursive --summarize s3://B/P/``.
        Raises NotFoundError, AccessDeniedError, EndpointError, ThrottledError.
        """
        return count_s3_prefix(
            self._s3.client(),
            bucket,
            prefix,
            CountOptions(recursive=True),
            on_progress=on_progress,
            cancel=cancel,
        )

    def transfer(
        self,
        source: str,
        destination: str,
        *,
        recursive: bool = False,
        on_progress: Callable[[TransferProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Any:
        """Copy a file or folder between this machine and S3 with the transfer engine
        (boto3's managed transfer, multipart, verified, temporary names); returns its
        ``TransferResult``.

        Shell equivalent: ``aws s3 cp [--recursive] SRC DST``. Raises TransferError,
        DiskFullError, TransferCancelled.
        """
        # the transfer engine loads the SSH layer: only when a copy is made
        from console.files.transfer.engine import TransferEngine, TransferError, TransferSpec

        def no_hosts(name: str) -> Any:
            raise TransferError(f"{name}: only this machine and S3 take part in this copy.")

        engine = TransferEngine(no_hosts, self._s3.client)
        spec = TransferSpec(source, destination, recursive=recursive)
        return engine.run(spec, on_progress, cancel=cancel)


def s3_with_files(aws: AwsSession) -> S3Files:
    """The bundle's S3 backend for a session."""
    return S3Files(S3Service(aws))
