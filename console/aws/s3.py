"""S3 for the console: buckets (objects and transfers come later, on the same session)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from console.aws.session import AwsSession
from console.models import Bucket


class S3Service:
    """The S3 calls the console makes with the credentials of ``aws_session``."""

    def __init__(self, aws_session: AwsSession):
        self._aws = aws_session

    def client(self) -> Any:
        """The shared, thread-safe boto3 S3 client (for transfers and streamed listings).

        Calls made on it raise botocore exceptions: wrap them in ``errors()``.
        """
        return self._aws.client("s3")

    def errors(self) -> AbstractContextManager[None]:
        """``with s3.errors(): ...`` turns botocore failures into ConsoleError subclasses."""
        return self._aws.errors("s3")

    def list_buckets(self) -> list[Bucket]:
        """Every bucket of the account, sorted by name (as AWS itself returns them).

        Shell equivalent: ``aws s3api list-buckets`` (or ``aws s3 ls``).
        Raises CredentialsError, AccessDeniedError (s3:ListAllMyBuckets not allowed),
        EndpointError, ThrottledError.
        """
        with self._aws.errors("s3"):
            client = self._aws.client("s3")
            buckets: list[Bucket] = []
            for page in client.get_paginator("list_buckets").paginate():
                for raw in page.get("Buckets", []):
                    buckets.append(
                        Bucket(
                            name=raw["Name"],
                            created=raw.get("CreationDate"),
                            # newer S3 answers carry the region; None means "not reported"
                            region=raw.get("BucketRegion") or None,
                        )
                    )
            return sorted(buckets, key=lambda b: b.name)
