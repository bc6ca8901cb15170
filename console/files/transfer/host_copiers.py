"""This machine <-> a host over SSH.

Small files (up to SMALL_FILE) go through the host's pooled connection, so no file pays
for a handshake: an upload is one helper call with the bytes on stdin and one ``finish``
that checks size and SHA-256 on the host before the rename; a download is one SFTP
``get``, checked against the host's SHA-256 before the rename. A dropped connection is
tried again (the pooled connection reconnects).

Big files go over several OpenSSH streams with AES-GCM (ssh_streams.py, ssh_file_copy.py),
as many as the file's size and the host's measured round trip call for. Their temporary
name ``.NAME.awsc-part-KEY`` is derived from the source's identity, size and mtime, and a
journal beside it records what arrived (resume.py): a copy interrupted by the console
exiting, crashing or losing the host is continued by the next copy of the same source to
the same place, once the arrived bytes are checked on both sides.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import Any

from console.errors import ConsoleError, HostError, HostUnreachableError
from console.files.transfer import resume as transfer_resume
from console.files.transfer import ssh_file_copy
from console.files.transfer.copiers import BlockCopy, CopyContext, FileCopier
from console.files.transfer.endpoints import HostEndpoint, LocalEndpoint, Pending
from console.files.transfer.endpoints.base import PART_MARK
from console.files.transfer.errors import disk_full
from console.files.transfer.plan import FilePlan
from console.files.transfer.remote import remote_call
from console.files.transfer.retry import POOLED_CALL
from console.files.transfer.ssh_streams import choose_streams
from console.hosts.base import Host

#: files up to this size go through the pooled connection: a new ssh process per file
#: would cost a handshake each
SMALL_FILE = 8 * 1024 * 1024


def _streams(context: CopyContext, host: HostEndpoint, size: int) -> int:
    """The transfer's fixed stream count, else one chosen for this file and host."""
    if context.streams:
        return context.streams
    return choose_streams(size, host.round_trip(), os.cpu_count() or 1)


def _span_args(spans: Sequence[tuple[int, int]]) -> list[str]:
    """``START:LENGTH`` arguments of the helper's ``hashranges`` mode."""
    return [f"{start}:{length}" for start, length in spans]


class HostUpload(BlockCopy):
    """This machine -> a host."""

    destination: HostEndpoint
    #: a small file is written in one helper call
    block_size = SMALL_FILE

    def copy(self, plan: FilePlan, final: str) -> str:
        """Small: ``python3 -c HELPER write TEMP 0 < FILE`` then ``finish``; big: see
        ``_copy_big``. Raises TransferError, DiskFullError, RemoteFileError,
        HostUnreachableError, TransferCancelled."""
        if plan.size > SMALL_FILE:
            return self._copy_big(plan, final)
        return super().copy(plan, final)

    def _copy_big(self, plan: FilePlan, final: str) -> str:
        """``ssh HOST 'python3 -c WRITE TEMP OFFSET' < range`` per stream, resumable."""
        remote, context = self.destination, self.context
        host = remote.host
        key = transfer_resume.resume_key("upload", plan.source, plan.size, plan.mtime)
        pending = remote.start(final, plan.source, key=key)
        temp = pending.temp
        store = transfer_resume.HostJournalFile(host, temp + transfer_resume.JOURNAL_SUFFIX)

        def discard() -> None:
            with contextlib.suppress(ConsoleError, OSError):
                host.run(["rm", "-f", "--", temp, store.path], timeout=30)

        def carry(ranges: Any, on_pieces: Callable[[list], None]) -> None:
            ssh_file_copy.upload(
                host, plan.source, plan.size, temp, final, _streams(context, remote, plan.size),
                context.control, context.python, resume=ranges, on_pieces=on_pieces,
            )  # fmt: skip

        carry_resumably(
            context, plan, key=key, store=store, lock=f"{host.name}:{temp}",
            hash_here=lambda spans: transfer_resume.hash_spans(plan.source, spans),
            hash_there=lambda spans: _hash_on_host(context, host, temp, spans),
            discard=discard, carry=carry,
            # every span was compared already: no second pass over the file on the host
            finish=lambda: remote.commit(pending, mode=plan.mode, size=plan.size, sha256=None),
        )  # fmt: skip
        _drop_stale_parts_on_host(host, remote, final)
        return "sha256"


class HostDownload(FileCopier):
    """A host -> this machine."""

    source: HostEndpoint
    destination: LocalEndpoint

    def copy(self, plan: FilePlan, final: str) -> str:
        """Small: ``sftp get`` then ``sha256sum`` on both sides; big: see ``_copy_big``.
        Raises TransferError, DiskFullError, RemoteFileError, HostUnreachableError,
        TransferCancelled."""
        if plan.size > SMALL_FILE:
            return self._copy_big(plan, final)
        remote, here, context = self.source, self.destination, self.context
        control = context.control
        pending = here.start(final, remote.label(plan.source))
        try:
            POOLED_CALL.call(
                lambda: _sftp_get(remote.host, plan.source, pending),
                cancel=control.cancel,
                before=control.checkpoint,
                on_retry=context.count_resume,
            )
            context.progress.add(plan.size)
            expected = remote.checksum(plan.source).sha256
            here.commit(pending, mode=plan.mode, size=plan.size, sha256=expected)
        except BaseException:
            here.discard(pending)
            raise
        return "sha256"

    def _copy_big(self, plan: FilePlan, final: str) -> str:
        """``ssh HOST 'python3 -c READ PATH OFFSET LENGTH' > range`` per stream, resumable."""
        remote, here, context = self.source, self.destination, self.context
        host = remote.host
        key = transfer_resume.resume_key("download", host.name, plan.source, plan.size, plan.mtime)
        pending = here.start(final, remote.label(plan.source), key=key)
        temp = pending.temp
        store = transfer_resume.LocalJournalFile(transfer_resume.local_journal_path(temp))

        def discard() -> None:
            store.remove()
            here.discard(pending)

        def carry(ranges: Any, on_pieces: Callable[[list], None]) -> None:
            ssh_file_copy.download(
                host, plan.source, plan.size, temp, final, _streams(context, remote, plan.size),
                context.control, context.python, resume=ranges, on_pieces=on_pieces,
            )  # fmt: skip

        carry_resumably(
            context, plan, key=key, store=store, lock=temp,
            hash_here=lambda spans: transfer_resume.hash_spans(temp, spans),
            hash_there=lambda spans: _hash_on_host(context, host, plan.source, spans),
            discard=discard, carry=carry,
            finish=lambda: here.commit(pending, mode=plan.mode, size=plan.size, sha256=None),
        )  # fmt: skip
        _drop_stale_parts_here(final)
        return "sha256"


def carry_resumably(
    context: CopyContext,
    plan: FilePlan,
    *,
    key: str,
    store: Any,
    lock: str,
    hash_here: Callable[[Sequence[tuple[int, int]]], list[str]],
    hash_there: Callable[[Sequence[tuple[int, int]]], list[str]],
    discard: Callable[[], None],
    carry: Callable[[Any, Callable[[list], None]], None],
    finish: Callable[[], None],
) -> None:
    """One big file, holding the lock of its partial file: continue what the journal in
    ``store`` vouches for (each arrived prefix checked by ``hash_here``/``hash_there``),
    or start over; ``carry(ranges, on_pieces)`` moves the bytes with the journal kept,
    ``finish`` publishes the file. An interruption that a later run can continue from (a
    host that went away, the console stopped) keeps the partial file and its journal; any
    other failure ``discard``s them. Raises what ``carry`` or ``finish`` raised,
    TransferError when another copy holds the lock, PrivateFolderError."""
    with transfer_resume.exclusive(lock):
        resume = transfer_resume.resumable_ranges(store, key, plan.size, hash_here, hash_there)
        if resume is None:
            discard()  # bytes no journal vouches for (the upload helper never truncates)
        if resume:
            context.progress.add_resumed(sum(done for _, _, done in resume))
        pieces: list = []
        writer = transfer_resume.JournalWriter(
            store, key, plan.size, lambda: [(p.offset, p.length, p.confirmed) for p in pieces]
        ).start()
        try:
            carry(resume, pieces.extend)
        except BaseException as exc:
            keep = isinstance(exc, (HostUnreachableError, KeyboardInterrupt, SystemExit))
            writer.stop(flush=keep)
            if not keep:
                discard()
            raise
        writer.stop(flush=False)
        try:
            finish()
        except BaseException:
            discard()
            raise
        store.remove()


def _hash_on_host(
    context: CopyContext, host: Host, path: str, spans: Sequence[tuple[int, int]]
) -> list[str]:
    """The SHA-256 of each span of ``path`` on the host (the helper's ``hashranges``)."""
    return remote_call(
        host, context.python, "hashranges", path, *_span_args(spans), cancel=context.control.cancel
    ).split()


def _sftp_get(host: Host, source: str, pending: Pending) -> None:
    """``sftp get SOURCE TEMP``; a full disk here is a DiskFullError naming the final name."""
    try:
        host.get(source, pending.temp)
    except HostUnreachableError:
        raise
    except HostError as exc:
        if "No space left" in str(exc):
            raise disk_full(pending.final) from exc
        raise


def _drop_stale_parts_on_host(host: Host, remote: HostEndpoint, final: str) -> None:
    """Remove what interrupted copies of older versions of the source left next to
    ``final`` on the host (their key differs, so they were never resumed), journals
    included, and the temporary names of their journals' writes (``..NAME.awsc-part-KEY.
    ranges.ID.tmp``: a connection that died mid-write could not remove its own). Best
    effort: a failure leaves them for the next copy."""
    folder, name = remote.split(final)
    prefixes = (f".{name}{PART_MARK}", f"..{name}{PART_MARK}")
    with contextlib.suppress(ConsoleError, OSError):
        stale = [entry.path for entry in host.listdir(folder) if entry.name.startswith(prefixes)]
        if stale:
            host.run(["rm", "-f", "--", *stale], timeout=30)


def _drop_stale_parts_here(final: str) -> None:
    """``_drop_stale_parts_on_host`` on this machine (the journals live in the private
    folder)."""
    folder, name = os.path.split(final)
    prefix = f".{name}{PART_MARK}"
    with contextlib.suppress(ConsoleError, OSError):
        for entry in os.listdir(folder):
            if entry.startswith(prefix):
                stale = os.path.join(folder, entry)
                os.remove(stale)
                transfer_resume.LocalJournalFile(transfer_resume.local_journal_path(stale)).remove()
