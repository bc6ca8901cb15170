"""How the bytes of one file cross from one kind of side to another.

A copier is chosen once per transfer by the pair of endpoint types (console.files.
transfer.routes). ``BlockCopy`` works through the endpoints' own reads and writes (this
machine to this machine); the others take the fastest path their pair allows: boto3's
managed transfer for S3 (host_copiers.py holds the SSH pair). Each one writes a
temporary name and publishes the file only once it verified.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass

from console.files.transfer import s3 as transfer_s3
from console.files.transfer.control import Control
from console.files.transfer.endpoints import Endpoint, Pending, S3Endpoint
from console.files.transfer.endpoints.s3 import OBJECT_MODE
from console.files.transfer.plan import FilePlan
from console.files.transfer.progress import ProgressTracker
from console.files.transfer.retry import POOLED_CALL

#: bytes read and written at a time by BlockCopy
BLOCK = 1 << 20


@dataclass
class CopyContext:
    """What a copier shares with the rest of its transfer."""

    control: Control
    progress: ProgressTracker
    #: the interpreter that runs the helper on a host
    python: str = "python3"
    #: ssh streams per big file (None: chosen per file)
    streams: int | None = None

    def count_resume(self, _error: BaseException, _failures: int) -> None:
        """A retry policy's ``on_retry``: one more resume in the transfer's count."""
        self.control.resumes += 1


class FileCopier(ABC):
    """Copies single files from ``source`` to ``destination``."""

    def __init__(self, source: Endpoint, destination: Endpoint, context: CopyContext):
        self.source = source
        self.destination = destination
        self.context = context

    @abstractmethod
    def copy(self, plan: FilePlan, final: str) -> str:
        """Copy ``plan.source`` to ``final`` (a temporary name first, renamed once it
        verified); returns how it was verified (``sha256``, ``s3-sha256``, …). Raises
        TransferError, DiskFullError, TransferCancelled, HostError subclasses."""

    def same(self, plan: FilePlan) -> bool:
        """Whether ``plan.destination`` already holds the bytes of ``plan.source``, by the
        SHA-256 on each side (``sha256sum`` on both)."""
        ours = self.source.checksum(plan.source).sha256
        theirs = self.destination.checksum(plan.destination).sha256
        return ours is not None and ours == theirs


class BlockCopy(FileCopier):
    """Reads the source in blocks and writes them into the destination's temporary file,
    hashing them on the way; the destination checks size and SHA-256 before the rename.
    A write that fails for a passing reason (a dropped connection) is tried again."""

    #: bytes per read and write (a host takes a whole small file in one call)
    block_size = BLOCK

    def copy(self, plan: FilePlan, final: str) -> str:
        source, destination, context = self.source, self.destination, self.context
        control = context.control
        pending = destination.start(final, source.label(plan.source))
        digest = hashlib.sha256()
        offset = 0
        try:
            while True:
                control.checkpoint()
                block = source.read_range(plan.source, offset, self.block_size)
                if offset and not block:
                    break
                self._write(pending, block, offset)
                digest.update(block)
                context.progress.add(len(block))
                offset += len(block)
                if len(block) < self.block_size:
                    break
            destination.flush(pending)
            destination.commit(pending, mode=plan.mode, size=offset, sha256=digest.hexdigest())
        except BaseException:
            destination.discard(pending)
            raise
        return "sha256"

    def _write(self, pending: Pending, block: bytes, offset: int) -> None:
        control = self.context.control
        POOLED_CALL.call(
            lambda: self.destination.write(pending, block, offset),
            cancel=control.cancel,
            before=control.checkpoint,
            on_retry=self.context.count_resume,
        )


class S3Upload(FileCopier):
    """This machine -> S3: boto3's managed transfer (multipart above 16 MiB) with a SHA-256
    checksum; the object appears only once complete, so no temporary key is needed."""

    destination: S3Endpoint

    def copy(self, plan: FilePlan, final: str) -> str:
        """``aws s3 cp FILE s3://BUCKET/KEY --checksum-algorithm SHA256``, then checked
        against S3's checksum. Raises TransferError, TransferCancelled."""
        s3 = self.destination
        return transfer_s3.upload(s3.client, plan.source, s3.bucket, final, self.context.control)

    def same(self, plan: FilePlan) -> bool:
        return self.destination.matches_file(plan.destination, plan.source)[0]


class S3Download(FileCopier):
    """S3 -> this machine: boto3's managed transfer into a temporary name, checked against
    S3's checksum (or ETag), then renamed."""

    source: S3Endpoint

    def copy(self, plan: FilePlan, final: str) -> str:
        """``aws s3 cp s3://BUCKET/KEY FILE``. Raises TransferError, DiskFullError,
        TransferCancelled."""
        s3, destination = self.source, self.destination
        pending = destination.start(final, s3.label(plan.source))
        try:
            how = transfer_s3.download(
                s3.client, s3.bucket, plan.source, pending.temp, final, self.context.control
            )
            destination.commit(pending, mode=OBJECT_MODE, size=None, sha256=None)
        except BaseException:
            destination.discard(pending)
            raise
        return how

    def same(self, plan: FilePlan) -> bool:
        return self.source.matches_file(plan.source, plan.destination)[0]
