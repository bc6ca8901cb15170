"""An S3 prefix or key as a side of a copy (boto3; the bytes of big files go through the
managed transfer in console.files.transfer.s3).

S3 has no folders: a key is a name, ``/`` included, and a "folder" is the prefix of the
keys below it. An object appears under its key only once its upload is complete, so a
copy made with the managed transfer needs no temporary key; ``start``/``write``/``commit``
still offer one (a temporary key copied to the final one on the server), for writers that
check before they publish.
"""

from __future__ import annotations

import base64
import contextlib
import posixpath
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from console.files.transfer import s3 as transfer_s3
from console.files.transfer.endpoints.base import (
    Checksum,
    Endpoint,
    Entry,
    EntryKind,
    ListedFile,
    Pending,
    Refuse,
)
from console.files.transfer.errors import TransferError

#: the mode a file from S3 gets (S3 keeps none)
OBJECT_MODE = 0o644


def folder_prefix(path: str) -> str:
    """The key prefix of the "folder" ``path``: ``a/b`` -> ``a/b/``; the bucket's root -> ""."""
    return path.rstrip("/") + "/" if path.strip("/") else ""

class S3Endpoint(Endpoint):
    """The key or prefix ``path`` in ``bucket``; ``client_factory()`` gives the boto3 client
    (None: there is no AWS session, and using the endpoint says so)."""

    has_folders = False

    def __init__(self, bucket: str, path: str, client_factory: Callable[[], Any] | None):
        self.bucket = bucket
        self.path = path
        self._client_factory = client_factory

    def __repr__(self) -> str:
        return f"S3Endpoint({self.bucket!r}, {self.path!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client. Raises TransferError when there is no AWS session."""
        if self._client_factory is None:
            raise TransferError("No AWS session: S3 locations cannot be copied here.")
        return self._client_factory()

    def label(self, path: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.path if path is None else path}"

    def join(self, *names: str) -> str:
        base = self.path.rstrip("/")
        return "/".join([base, *names]) if base else "/".join(names)

    def child(self, folder: str, name: str) -> str:
        return f"{folder.rstrip('/')}/{name}"

    def beside(self, path: str, name: str) -> str:
        folder = posixpath.split(path)[0]
        return f"{folder}/{name}" if folder else name

    # --- reading -------------------------------------------------------------------------

    def stat(self, path: str) -> Entry | None:
        """``aws s3api head-object`` (a file), else ``aws s3 ls s3://BUCKET/PATH/`` (a
        "folder": keys below it). The bucket's root (``s3://BUCKET/``) is a folder, empty or
        not, once the bucket answers. Raises TransferError."""
        if not path.strip("/"):
            transfer_s3.check_bucket(self.client, self.bucket)
            return Entry(EntryKind.FOLDER, 0, 0o755, 0.0)
        size = transfer_s3.object_size(self.client, self.bucket, path)
        if size is not None:
            return Entry(EntryKind.FILE, size, OBJECT_MODE, 0.0)
        if transfer_s3.list_objects(self.client, self.bucket, folder_prefix(path)):
            return Entry(EntryKind.FOLDER, 0, 0o755, 0.0)
        return None

    def walk(self, root: str, refuse: Refuse) -> list[ListedFile]:
        """``aws s3 ls --recursive s3://BUCKET/ROOT/``, folder markers (keys ending in
        ``/``) left out. Raises TransferError."""
        prefix = folder_prefix(root)
        return [
            ListedFile(key[len(prefix) :], size, OBJECT_MODE, 0.0)
            for key, size in transfer_s3.list_objects(self.client, self.bucket, prefix)
            if not key.endswith("/")
        ]

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """``aws s3api get-object --range bytes=OFFSET-END``. Raises TransferError."""
        if length <= 0:
            return b""
        try:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=path, Range=f"bytes={offset}-{offset + length - 1}"
            )
            return answer["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise transfer_s3.s3_error(exc, f"Cannot read {self.label(path)}") from exc

    def checksum(self, path: str) -> Checksum:
        """``aws s3api head-object --checksum-mode ENABLED``: the size, and the SHA-256 of
        an object uploaded whole with a SHA-256 checksum (None for one uploaded in parts: S3
        keeps a digest of the parts' digests). Raises TransferError."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=path, ChecksumMode="ENABLED")
        except (ClientError, BotoCoreError) as exc:
            raise transfer_s3.s3_error(exc, self.label(path)) from exc
        value = head.get("ChecksumSHA256")
        whole = value and "-" not in value and "-" not in str(head.get("ETag", ""))
        return Checksum(
            int(head["ContentLength"]), base64.b64decode(value).hex() if whole else None
        )

    def matches_file(self, key: str, local_path: str) -> tuple[bool, str]:
        """Whether the object holds the bytes of the file here, and how that was checked
        (``s3-sha256``, ``s3-etag-md5`` or ``size``; see transfer_s3.object_matches).
        Raises TransferError."""
        return transfer_s3.object_matches(self.client, self.bucket, key, local_path)

    # --- names from the other side -------------------------------------------------------

    def check_destination(self) -> None:
        """A key with a ``..`` segment is refused: S3 keys are written as they are typed, and
        such a key would climb out of a folder when someone downloads the bucket later."""
        if ".." in self.path.split("/"):
            raise TransferError(
                f"{self.label()} has a '..' segment: S3 keys are written as they are "
                "typed, and such a key would climb out of a folder when downloaded."
            )

    def _refuse_more(self, root: str, names: Sequence[str]) -> dict[int, str]:
        """An S3 key is UTF-8 text: a name here whose bytes are not cannot become one."""
        refused = {}
        for index, name in enumerate(names):
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                refused[index] = "a name that is not UTF-8 text cannot be an S3 key"
        return refused

    # --- writing -------------------------------------------------------------------------

    def write(self, pending: Pending, data: bytes, offset: int = 0) -> None:
        """``aws s3api put-object --key TEMP --checksum-algorithm SHA256``: an object is
        written whole, so only offset 0 is taken. Raises TransferError."""
        if offset != 0:
            raise TransferError(f"{self.label(pending.final)}: S3 objects are written whole.")
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=pending.temp, Body=data, ChecksumAlgorithm="SHA256"
            )
        except (ClientError, BotoCoreError) as exc:
            raise transfer_s3.s3_error(exc, f"Cannot write {self.label(pending.final)}") from exc

    def commit(self, pending: Pending, *, mode: int, size: int | None, sha256: str | None) -> None:
        """Check the temporary object's size and SHA-256, then ``aws s3api copy-object``
        it to the final key and delete it (S3 has no rename; ``mode`` means nothing here).
        Raises TransferError naming the final key when it does not match."""
        final = self.label(pending.final)
        found = self.checksum(pending.temp)
        if size is not None and found.size != size:
            raise TransferError(f"{final}: the copy has the wrong size.")
        if sha256 is not None and found.sha256 != sha256:
            raise TransferError(f"{final}: the copy does not match {pending.source}.")
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=pending.final,
                CopySource={"Bucket": self.bucket, "Key": pending.temp},
                ChecksumAlgorithm="SHA256",
            )
        except (ClientError, BotoCoreError) as exc:
            raise transfer_s3.s3_error(exc, f"Cannot write {final}") from exc
        self.discard(pending)

    def discard(self, pending: Pending) -> None:
        """``aws s3api delete-object --key TEMP``."""
        with contextlib.suppress(ClientError, BotoCoreError, TransferError):
            self.client.delete_object(Bucket=self.bucket, Key=pending.temp)
