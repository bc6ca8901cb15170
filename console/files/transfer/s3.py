"""This machine <-> S3 with boto3's managed transfer, checked with S3's own checksums.

Uploads ask S3 for a SHA-256 checksum (``ChecksumAlgorithm=SHA256``): for a single-part
object it is the SHA-256 of the file; for a multipart one it is the SHA-256 of the parts'
SHA-256 digests, suffixed ``-N`` (N parts), which is computed here the same way from the
local file. Objects without a checksum fall back to the ETag (the MD5 of a single-part
upload), and to the size when the ETag is a multipart one.

An S3 object only appears under its key when the upload completes (a multipart upload
that is aborted leaves nothing), so no temporary key is needed on that side; downloads go
to a temporary name next to the final file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from console.files.transfer.control import Control
from console.files.transfer.errors import DiskFullError, TransferCancelled, TransferError, cancelled

MIB = 1024 * 1024
#: 16 MiB parts, 10 at a time: bigger parts cost fewer requests (S3 allows 10,000 parts, so
#: this reaches 156 GiB); 10 threads keep a high-latency link busy without many retries.
TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=16 * MIB,
    multipart_chunksize=16 * MIB,
    max_concurrency=10,
    use_threads=True,
)


def _callback(control: Control):
    def progress(amount: int) -> None:
        if control.cancel.is_set():
            raise cancelled()
        control.on_bytes(amount)

    return progress


def s3_error(exc: BaseException, what: str) -> TransferError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchKey", "NotFound"):
            return TransferError(f"{what}: no such object.")
        if code == "NoSuchBucket":
            return TransferError(f"{what}: no such bucket.")
        return TransferError(f"{what}: {code or exc}")
    return TransferError(f"{what}: {exc}")


def local_digests(path: str, part_size: int) -> tuple[str, str, str]:
    """(full SHA-256 base64, composite SHA-256 base64 with ``-N``, MD5 hex) of a file."""
    full, md5 = hashlib.sha256(), hashlib.md5()  # noqa: S324 - matching S3's ETag, not security
    parts: list[bytes] = []
    with open(path, "rb") as handle:
        while True:
            part = hashlib.sha256()
            left = part_size
            while left:
                block = handle.read(min(MIB, left))
                if not block:
                    break
                full.update(block)
                md5.update(block)
                part.update(block)
                left -= len(block)
            if left == part_size:
                break
            parts.append(part.digest())
            if left:
                break
    composite = base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode()
    return base64.b64encode(full.digest()).decode(), f"{composite}-{len(parts)}", md5.hexdigest()


def object_matches(client: Any, bucket: str, key: str, path: str) -> tuple[bool, str]:
    """Whether the object holds the same bytes as the local file, and how that was checked.

    Stands for ``aws s3api head-object --checksum-mode ENABLED``. Raises TransferError.
    """
    what = f"s3://{bucket}/{key}"
    try:
        head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, what) from exc
    size = os.path.getsize(path)
    if head.get("ContentLength") != size:
        return False, "size"
    checksum = head.get("ChecksumSHA256")
    etag = str(head.get("ETag", "")).strip('"')
    part_size = TRANSFER_CONFIG.multipart_chunksize
    if checksum and ("-" in checksum or "-" in etag):
        with contextlib.suppress(ClientError, BotoCoreError):
            part = client.head_object(Bucket=bucket, Key=key, PartNumber=1)
            part_size = int(part.get("ContentLength") or part_size)
    full, composite, md5 = local_digests(path, part_size)
    if checksum:
        # S3 writes a composite checksum as BASE64-N; some S3-compatible stores omit "-N"
        value = checksum.split("-")[0]
        return value in (full, composite.split("-")[0]), "s3-sha256"
    if etag and "-" not in etag:
        return etag == md5, "s3-etag-md5"
    return True, "size"


def upload(client: Any, path: str, bucket: str, key: str, control: Control) -> str:
    """Upload a file with a SHA-256 checksum, then verify it; returns how it was verified.

    Stands for ``aws s3 cp FILE s3://BUCKET/KEY --checksum-algorithm SHA256``.
    Raises TransferError (also on a checksum mismatch), TransferCancelled.
    """
    what = f"s3://{bucket}/{key}"
    try:
        client.upload_file(
            path,
            bucket,
            key,
            ExtraArgs={"ChecksumAlgorithm": "SHA256"},
            Config=TRANSFER_CONFIG,
            Callback=_callback(control),
        )
    except TransferCancelled:
        raise
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, f"Cannot upload {path} to {what}") from exc
    except Exception as exc:
        if control.cancel.is_set():
            raise cancelled() from exc
        raise TransferError(f"Cannot upload {path} to {what}: {exc}") from exc
    same, how = object_matches(client, bucket, key, path)
    if not same:
        raise TransferError(f"{what} does not match {path} after the upload ({how} differs).")
    return how


def download(client: Any, bucket: str, key: str, temp: str, final: str, control: Control) -> str:
    """Download an object to ``temp`` and verify it against S3's checksum or ETag; the
    caller renames it. Stands for ``aws s3 cp s3://BUCKET/KEY FILE``.

    Raises TransferError, DiskFullError (naming ``final``), TransferCancelled.
    """
    what = f"s3://{bucket}/{key}"
    try:
        client.download_file(bucket, key, temp, Config=TRANSFER_CONFIG, Callback=_callback(control))
    except TransferCancelled:
        raise
    except OSError as exc:
        if exc.errno == 28:
            raise DiskFullError(f"The disk holding {final} is full.") from exc
        raise TransferError(f"Cannot write {final}: {exc.strerror or exc}") from exc
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, f"Cannot download {what}") from exc
    except Exception as exc:
        if control.cancel.is_set():
            raise cancelled() from exc
        raise TransferError(f"Cannot download {what}: {exc}") from exc
    if control.cancel.is_set():
        # cancelled while the last parts were in flight: a cancel still means no file
        raise cancelled()
    same, how = object_matches(client, bucket, key, temp)
    if not same:
        raise TransferError(f"{final}: the downloaded bytes do not match {what} ({how}).")
    return how


def list_objects(client: Any, bucket: str, prefix: str) -> list[tuple[str, int]]:
    """(key, size) of every object under ``prefix`` (``aws s3 ls --recursive``)."""
    found: list[tuple[str, int]] = []
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            found += [(item["Key"], item["Size"]) for item in page.get("Contents", [])]
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, f"Cannot list s3://{bucket}/{prefix}") from exc
    return found


def check_bucket(client: Any, bucket: str) -> None:
    """The bucket answers a listing (one key at most). Raises TransferError naming why not."""
    try:
        client.list_objects_v2(Bucket=bucket, MaxKeys=1)
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, f"Cannot list s3://{bucket}/") from exc


def object_size(client: Any, bucket: str, key: str) -> int | None:
    """The object's size, or None when there is no such object."""
    try:
        return int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise s3_error(exc, f"s3://{bucket}/{key}") from exc
    except BotoCoreError as exc:
        raise s3_error(exc, f"s3://{bucket}/{key}") from exc
