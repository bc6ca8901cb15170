"""Checkpoint upload to (and download from) an S3 URI, with an endpoint override for tests."""

from __future__ import annotations

from pathlib import Path

from trainer.errors import CheckpointError


def split_uri(uri: str) -> tuple[str, str]:
    """'s3://bucket/a/b' -> ('bucket', 'a/b'); raises CheckpointError for anything else."""
    if not uri.startswith("s3://") or len(uri) <= 5:
        raise CheckpointError(f"not an S3 URI: {uri!r}")
    bucket, _, prefix = uri[5:].partition("/")
    if not bucket:
        raise CheckpointError(f"S3 URI has no bucket: {uri!r}")
    return bucket, prefix.strip("/")


class CheckpointStore:
    """``s3://bucket/prefix``: uploads land at ``prefix/<file name>``."""

    def __init__(self, uri: str, endpoint: str = "") -> None:
        import boto3  # imported here: training without S3 does not need it

        self.uri = uri
        self.bucket, self.prefix = split_uri(uri)
        self._client = boto3.client("s3", endpoint_url=endpoint or None)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def upload(self, path: Path) -> str:
        """Upload one file (``aws s3 cp PATH s3://bucket/prefix/NAME``); returns its URI.

        Raises CheckpointError when the upload fails.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(path.name)
        try:
            self._client.upload_file(str(path), self.bucket, key)
        except (BotoCoreError, ClientError) as exc:
            raise CheckpointError(f"upload of {path} to s3://{self.bucket}/{key} failed: {exc}") from None
        return f"s3://{self.bucket}/{key}"

    def download(self, name: str, dest: Path) -> bool:
        """Fetch ``prefix/NAME`` to dest (atomically); False when it does not exist.

        Stands for ``aws s3 cp s3://bucket/prefix/NAME DEST``. Raises CheckpointError on other failures.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        tmp = dest.with_name(dest.name + ".download.tmp")
        try:
            self._client.download_file(self.bucket, self.key(name), str(tmp))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise CheckpointError(f"download of s3://{self.bucket}/{self.key(name)} failed: {exc}") from None
        except BotoCoreError as exc:
            raise CheckpointError(f"download of s3://{self.bucket}/{self.key(name)} failed: {exc}") from None
        tmp.replace(dest)
        return True
