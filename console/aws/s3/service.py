"""S3 for the console: buckets, folder-like listings, previews, deletes and presigned URLs,
all on one session's shared client (counts and transfers are the files layer's, on the same
client: ``console.services.s3_files``).

S3 has no folders: a "folder" is a key prefix ending in ``/``, listed with
``Delimiter="/"`` (its sub-folders come back as common prefixes).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

from console.aws.session import AwsSession
from console.errors import AwsError, NotFoundError
from console.models import Bucket, ObjectPreview, S3Object, S3Page

#: objects larger than this are not previewed (the Anno/*.txt files are a few hundred KiB)
PREVIEW_LIMIT = 1024 * 1024
#: a preview shows this much of the start of any object (bytes)
PREVIEW_HEAD = 256 * 1024
#: a presigned URL is valid this long unless asked otherwise (seconds)
PRESIGN_SECONDS = 3600
#: delete_objects takes at most this many keys per call
DELETE_BATCH = 1000


class PreviewRefused(AwsError):
    """The object is too big or not text: it is not shown in the console."""

    title = "No preview"


def folder_prefix(prefix: str) -> str:
    """``data`` and ``data/`` both mean the folder ``data/``; "" is the bucket's root."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def _s3_object(raw: dict[str, Any]) -> S3Object:
    return S3Object(
        key=raw["Key"],
        size=int(raw.get("Size", 0)),
        modified=raw.get("LastModified"),
        storage_class=raw.get("StorageClass") or "STANDARD",
    )


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
        """Every bucket of the account with its region, sorted by name.

        Shell equivalent: ``aws s3api list-buckets`` (and ``aws s3api get-bucket-location``
        for each bucket whose region the answer leaves out).
        Raises CredentialsError, AccessDeniedError (s3:ListAllMyBuckets not allowed),
        EndpointError, ThrottledError.
        """
        with self._aws.errors("s3"):
            client = self._aws.client("s3")
            raw_buckets: list[dict[str, Any]] = []
            for page in client.get_paginator("list_buckets").paginate():
                raw_buckets.extend(page.get("Buckets", []))
        missing = [raw["Name"] for raw in raw_buckets if not raw.get("BucketRegion")]
        regions: dict[str, str | None] = {}
        if missing:
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-region") as pool:
                regions = dict(zip(missing, pool.map(self._region_of, missing), strict=True))
        buckets = [
            Bucket(
                name=raw["Name"],
                created=raw.get("CreationDate"),
                region=raw.get("BucketRegion") or regions.get(raw["Name"]),
            )
            for raw in raw_buckets
        ]
        return sorted(buckets, key=lambda b: b.name)

    def _region_of(self, bucket: str) -> str | None:
        """The bucket's region; None when it may not be asked (the listing still shows)."""
        try:
            with self._aws.errors("s3"):
                answer = self.client().get_bucket_location(Bucket=bucket)
        except AwsError:
            return None
        # an empty LocationConstraint is S3's way of saying us-east-1
        return answer.get("LocationConstraint") or "us-east-1"

    def list_page(
        self, bucket: str, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> S3Page:
        """One page of the folder ``prefix``: sub-folders and the objects directly in it.

        Pass the previous page's ``next_token`` to get the next one. Shell equivalent:
        ``aws s3api list-objects-v2 --bucket B --prefix P --delimiter / --max-keys N``.
        Raises NotFoundError (no such bucket), AccessDeniedError, EndpointError,
        ThrottledError.
        """
        root = folder_prefix(prefix)
        params: dict[str, Any] = {
            "Bucket": bucket,
            "Prefix": root,
            "Delimiter": "/",
            "MaxKeys": page_size,
        }
        if token:
            params["ContinuationToken"] = token
        try:
            with self._aws.errors("s3"):
                raw = self.client().list_objects_v2(**params)
        except NotFoundError as exc:
            raise NotFoundError(
                f"There is no bucket named {bucket!r} (listing s3://{bucket}/{root}).",
                hint="It may have been deleted: press r on the bucket list to reload it.",
            ) from exc
        return S3Page(
            bucket=bucket,
            prefix=root,
            folders=tuple(p["Prefix"] for p in raw.get("CommonPrefixes", [])),
            # the folder's own marker object ("create folder" in the web console) is not a file
            objects=tuple(_s3_object(o) for o in raw.get("Contents", []) if o["Key"] != root),
            next_token=raw.get("NextContinuationToken") if raw.get("IsTruncated") else None,
        )

    def iter_objects(
        self, bucket: str, prefix: str = "", *, recursive: bool = False, page_size: int = 1000
    ) -> Iterator[S3Page]:
        """Every page under ``prefix``, lazily (one request per page consumed).

        Recursive: every key under the prefix, no folders (``aws s3 ls --recursive``);
        otherwise folder-like pages as ``list_page``. ``prefix`` is used as given (``img/a``
        also lists ``img/ab.jpg``), as ``aws s3 ls`` does. Raises like ``list_page``.
        """
        params: dict[str, Any] = {
            "Bucket": bucket,
            "Prefix": prefix,
            "PaginationConfig": {"PageSize": page_size},
        }
        if not recursive:
            params["Delimiter"] = "/"
        with self._aws.errors("s3"):
            for raw in self.client().get_paginator("list_objects_v2").paginate(**params):
                yield S3Page(
                    bucket=bucket,
                    prefix=prefix,
                    folders=tuple(p["Prefix"] for p in raw.get("CommonPrefixes", [])),
                    objects=tuple(_s3_object(o) for o in raw.get("Contents", [])),
                    next_token=raw.get("NextContinuationToken"),
                )

    def delete(self, bucket: str, key: str) -> int:
        """Delete one object, or with a key ending in ``/`` every object under that folder;
        returns how many objects were deleted.

        Shell equivalent: ``aws s3 rm s3://B/KEY`` (``aws s3 rm --recursive s3://B/P/``).
        Raises NotFoundError, AccessDeniedError, AwsError naming the keys S3 refused.
        """
        if not key.endswith("/"):
            with self._aws.errors("s3"):
                self.client().delete_object(Bucket=bucket, Key=key)
            return 1
        deleted = 0
        batch: list[str] = []
        for page in self.iter_objects(bucket, key, recursive=True):
            batch.extend(obj.key for obj in page.objects)
            while len(batch) >= DELETE_BATCH:
                deleted += self._delete_batch(bucket, batch[:DELETE_BATCH])
                batch = batch[DELETE_BATCH:]
        if batch:
            deleted += self._delete_batch(bucket, batch)
        return deleted

    def _delete_batch(self, bucket: str, keys: list[str]) -> int:
        with self._aws.errors("s3"):
            answer = self.client().delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
            )
        refused = answer.get("Errors", [])
        if refused:
            names = ", ".join(e.get("Key", "?") for e in refused[:5])
            raise AwsError(
                f"S3 refused to delete {len(refused)} object(s) in {bucket}: {names}"
                f" ({refused[0].get('Code', '')})."
            )
        return len(keys)

    def presign(self, bucket: str, key: str, expires: int = PRESIGN_SECONDS) -> str:
        """A URL that downloads the object without credentials for ``expires`` seconds.

        Shell equivalent: ``aws s3 presign s3://B/KEY --expires-in N``. Signing is local;
        raises NotFoundError when there is no such object (checked with one HEAD request).
        """
        with self._aws.errors("s3"):
            self.client().head_object(Bucket=bucket, Key=key)
            return self.client().generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
            )

    def preview(self, bucket: str, key: str, head: int = PREVIEW_HEAD) -> ObjectPreview:
        """The first ``head`` bytes of an object of any size as text, with its size.

        Shell equivalent: ``aws s3api get-object --range bytes=0-N`` (one HEAD for the size,
        one ranged GET). A character cut at the end of the part is left out. Raises
        PreviewRefused for bytes that are not UTF-8 text, NotFoundError, AccessDeniedError.
        """
        where = f"s3://{bucket}/{key}"
        with self._aws.errors("s3"):
            size = int(self.client().head_object(Bucket=bucket, Key=key).get("ContentLength", 0))
            ranged = {"Range": f"bytes=0-{head - 1}"} if size > head else {}
            data = self.client().get_object(Bucket=bucket, Key=key, **ranged)["Body"].read(head)
        if len(data) < size:
            # the part may end inside a character of up to four bytes: leave its start out
            for cut in range(4):
                try:
                    data[: len(data) - cut].decode("utf-8")
                except UnicodeDecodeError:
                    continue
                data = data[: len(data) - cut]
                break
        try:
            if b"\x00" in data[:8192]:
                raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "NUL byte")
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PreviewRefused(
                f"{where} is binary, not UTF-8 text ({size:,} bytes).",
                hint="Download it instead (d).",
            ) from exc
        return ObjectPreview(bucket, key, text, size, len(data))

    def preview_text(self, bucket: str, key: str, limit: int = PREVIEW_LIMIT) -> str:
        """The text of a small object (UTF-8).

        Shell equivalent: ``aws s3 cp s3://B/KEY -``. Raises PreviewRefused for an object
        over ``limit`` bytes or one that is not UTF-8 text, NotFoundError, AccessDeniedError.
        """
        where = f"s3://{bucket}/{key}"
        with self._aws.errors("s3"):
            head = self.client().head_object(Bucket=bucket, Key=key)
            size = int(head.get("ContentLength", 0))
            if size > limit:
                raise PreviewRefused(
                    f"{where} is {size:,} bytes; only objects up to {limit:,} bytes are previewed.",
                    hint="Download it instead (d).",
                )
            data = self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        # a NUL byte or bytes that are not UTF-8: an image, an archive, a checkpoint
        try:
            if b"\x00" in data[:8192]:
                raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "NUL byte")
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PreviewRefused(
                f"{where} is binary, not UTF-8 text.", hint="Download it instead (d)."
            ) from exc
