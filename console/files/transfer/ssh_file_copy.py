"""The bytes of one big file between this machine and an ssh host, over several OpenSSH
streams (ssh_streams.py chooses them, carries the ranges and retries them).

Downloads: ``ssh`` writes straight into the temporary file at the range's offset (its
stdout is that file), so the bytes never pass through this process; the file offset it
advances, shared with our descriptor, says how far it got, and the bytes are hashed right
behind it from the page cache. Pausing a download stops its streams; resuming re-opens
them where they stopped.

Uploads feed ``ssh``'s stdin from the file through a 1 MiB pipe; the remote helper
acknowledges every MiB that reached the file, so a stream that breaks is continued from
the last acknowledged byte.
"""

from __future__ import annotations

import contextlib
import errno as errno_module
import fcntl
import hashlib
import os
import subprocess
import threading
from collections.abc import Callable

from console.errors import RemoteFileError
from console.files.transfer.control import Control
from console.files.transfer.errors import TransferError, disk_full
from console.files.transfer.remote import helper_argv
from console.files.transfer.retry import HELPER_CALL
from console.files.transfer.ssh_streams import (
    CHUNK,
    RangeSpec,
    _Range,
    _Unchecked,
    run_ranges,
    split_ranges,
    ssh_argv,
)
from console.hosts.base import Host


def _marked(text: str, marker: str) -> str | None:
    """The value after ``marker`` on one of ``text``'s lines."""
    for line in text.splitlines():
        if line.startswith(marker):
            return line[len(marker) :].strip()
    return None


def _big_pipe(pipe: object) -> None:
    """Grow a pipe to 1 MiB (Linux ``F_SETPIPE_SZ``): 16x fewer wake-ups than 64 KiB."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, CHUNK)


def _stderr_text(process: subprocess.Popen) -> str:
    with contextlib.suppress(Exception):
        return process.stderr.read().decode("utf-8", "replace").strip()
    return ""


# --- download: host -> local file ----------------------------------------------------------


def download(
    host: Host,
    remote_path: str,
    size: int,
    local_temp: str,
    local_final: str,
    streams: int,
    control: Control,
    python: str = "python3",
    *,
    resume: list[RangeSpec] | None = None,
    on_pieces: Callable[[list[_Range]], None] | None = None,
) -> None:
    """Fill ``local_temp`` with ``remote_path``'s ``size`` bytes: from scratch (the file is
    created or emptied), or continuing the ``resume`` ranges of an earlier run (their
    arrived bytes checked already) in the file as it is.

    Stands for ``ssh HOST 'python3 -c READ PATH OFFSET LENGTH' > range`` per range.
    Raises DiskFullError (naming ``local_final``), RemoteFileError, HostUnreachableError,
    TransferCancelled.
    """
    # the partial file's name is predictable: a link planted under it is refused (ELOOP),
    # never written through
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (0 if resume else os.O_TRUNC)
    fd = os.open(local_temp, flags, 0o600)
    reader = os.open(local_temp, os.O_RDONLY | os.O_NOFOLLOW)
    describe = f"the download of {host.name}:{remote_path}"
    spans = _Unchecked()

    def attempt(piece: _Range) -> None:
        start = piece.offset + piece.done
        remaining = piece.length - piece.done
        argv = ssh_argv(host, helper_argv(python, "read", remote_path, start, remaining))
        # ssh writes straight into the file at the range's offset: no copy through this
        # process. The file offset it advances is shared with ``out`` (same open file
        # description), which tells how far it got; the bytes are hashed right behind it.
        out = os.open(local_temp, os.O_WRONLY | os.O_NOFOLLOW)
        os.lseek(out, start, os.SEEK_SET)
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE
        )
        digest = hashlib.sha256()
        first = piece.done
        hashed = start

        def catch_up() -> None:
            nonlocal hashed
            position = os.lseek(out, 0, os.SEEK_CUR)
            while hashed < position:
                block = os.pread(reader, min(CHUNK, position - hashed), hashed)
                if not block:
                    break
                digest.update(block)
                hashed += len(block)
            moved = hashed - start - (piece.done - first)
            if moved:
                piece.done += moved
                control.on_bytes(moved)

        try:
            while process.poll() is None:
                if control.cancel.is_set() or not control.resume.is_set():
                    # cancel, or pause: stop this stream; resuming re-opens it from here
                    process.kill()
                    process.wait()
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(0.05)
                catch_up()
            code = process.wait()
            catch_up()
        finally:
            if process.poll() is None:
                with contextlib.suppress(OSError):
                    process.kill()
                process.wait()
            os.close(out)
            message = _stderr_text(process)
        remote_digest = _marked(message, "awsc-sha256 ")
        span = (piece.offset + first, piece.done - first)
        if piece.finished and code == 0 and remote_digest is not None:
            if remote_digest != digest.hexdigest():
                raise TransferError(
                    f"Bytes {span[0]}-{span[0] + span[1]} of {host.name}:{remote_path} "
                    "arrived damaged (SHA-256 differs)."
                )
            return
        spans.add(span)
        if piece.finished:
            return
        control.checkpoint()  # a pause waits here; a cancel ends the transfer
        if _disk_full(local_temp, message):
            raise disk_full(local_final, f"the copy stopped at byte {piece.offset + piece.done}")
        if code == 255 or code < 0:
            raise ConnectionError(message or f"ssh exited with status {code}")
        if code == 3 or "error" in message:
            raise RemoteFileError(f"Cannot read {remote_path} on {host.name}: {message}")
        raise ConnectionError(message or f"the stream ended after {piece.done} bytes")

    try:
        ranges = resume or split_ranges(size, streams)
        run_ranges(ranges, attempt, control, describe, on_pieces)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.close(reader)
    spans.check(host, python, remote_path, local_temp, f"{host.name}:{remote_path}")


def _disk_full(path: str, message: str) -> bool:
    """Whether a stream stopped because the local disk filled up (ssh says ``write: No
    space left on device``; the free space is checked too, whatever its words)."""
    if "No space left" in message or "Disk quota" in message:
        return True
    try:
        stats = os.statvfs(os.path.dirname(path) or ".")
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < CHUNK


# --- upload: local file -> host ------------------------------------------------------------


def _write_error(error: str, host: Host, remote_final: str, detail: str = "") -> Exception:
    """The helper's ``ERRNO TEXT`` as the error naming the final name: a full disk (or quota)
    is a DiskFullError, anything else a RemoteFileError."""
    number, _, text = error.partition(" ")
    if number in (str(errno_module.ENOSPC), str(errno_module.EDQUOT)):
        return disk_full(f"{remote_final} on {host.name}", detail)
    return RemoteFileError(f"Cannot write {remote_final} on {host.name}: {text}")


def _make_partial_file(
    host: Host, python: str, remote_temp: str, remote_final: str, control: Control
) -> None:
    """The helper's ``create`` through the pooled connection (a dropped connection is tried
    again). Raises DiskFullError, RemoteFileError naming the final name, TransferCancelled,
    HostUnreachableError."""
    argv = helper_argv(python, "create", remote_temp)
    result = HELPER_CALL.call(lambda: host.run(argv, timeout=60), cancel=control.cancel)
    if result.exit_code == 0:
        return
    output = result.stdout.decode("utf-8", "replace").strip()
    if output.startswith("error "):
        raise _write_error(output[6:], host, remote_final)
    detail = output or result.stderr.decode("utf-8", "replace").strip() or result.exit_code
    raise RemoteFileError(f"Cannot write {remote_final} on {host.name}: {detail}")


def upload(
    host: Host,
    local_path: str,
    size: int,
    remote_temp: str,
    remote_final: str,
    streams: int,
    control: Control,
    python: str = "python3",
    *,
    resume: list[RangeSpec] | None = None,
    on_pieces: Callable[[list[_Range]], None] | None = None,
) -> None:
    """Fill ``remote_temp`` with the ``size`` bytes of ``local_path`` (continuing the
    ``resume`` ranges of an earlier run, when given; the file is never truncated here).

    Stands for ``ssh HOST 'python3 -c WRITE TEMP OFFSET' < range`` per range.
    Raises DiskFullError (naming ``remote_final``), RemoteFileError, HostUnreachableError,
    TransferCancelled.
    """
    describe = f"the upload to {host.name}:{remote_final}"
    source = os.open(local_path, os.O_RDONLY)
    spans = _Unchecked()

    def attempt(piece: _Range) -> None:
        start = piece.offset + piece.done
        argv = ssh_argv(host, helper_argv(python, "write", remote_temp, start, "existing"))
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        _big_pipe(process.stdin)
        state = {"acked": 0, "done": False, "error": "", "sha256": None}
        digest = hashlib.sha256()

        def read_acks() -> None:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("ack "):
                    state["acked"] = int(line[4:])
                    piece.pending = state["acked"]
                elif line.startswith("sha256 "):
                    state["sha256"] = line[7:]
                elif line == "done":
                    state["done"] = True
                elif line.startswith("error "):
                    state["error"] = line[6:]

        reader = threading.Thread(target=read_acks, name="transfer-acks", daemon=True)
        reader.start()
        sent = 0
        try:
            while sent < piece.length - piece.done:
                control.checkpoint()
                want = min(CHUNK, piece.length - piece.done - sent)
                data = os.pread(source, want, start + sent)
                if not data:
                    raise TransferError(f"{local_path} became shorter while it was copied.")
                digest.update(data)
                process.stdin.write(data)
                sent += len(data)
                control.on_bytes(len(data))
            process.stdin.close()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            pass
        except BaseException:
            with contextlib.suppress(OSError):
                process.kill()
            raise
        finally:
            with contextlib.suppress(OSError, ValueError):
                process.stdin.close()
            code = process.wait()
            reader.join()
            message = _stderr_text(process)
            acked = state["acked"]
            # bytes counted as sent but never acknowledged will be sent again
            control.on_bytes(acked - sent)
            # pending first: the journal may look in between, and must never see more
            piece.pending = 0
            piece.done += acked
        if state["error"]:
            raise _write_error(
                str(state["error"]), host, remote_final,
                f"the copy stopped at byte {piece.offset + piece.done}",
            )  # fmt: skip
        if piece.finished and state["done"] and code == 0 and acked == sent:
            if state["sha256"] != digest.hexdigest():
                raise TransferError(
                    f"Bytes {start}-{start + sent} of {remote_final} on {host.name} arrived "
                    "damaged (SHA-256 differs)."
                )
            return
        spans.add((start, acked))
        raise ConnectionError(message or f"ssh exited with status {code}")

    try:
        # the partial file is made once, here; the streams only write into it, so a stream
        # whose remote end starts after a cancel removed the file cannot leave it behind
        _make_partial_file(host, python, remote_temp, remote_final, control)
        ranges = resume or split_ranges(size, streams)
        run_ranges(ranges, attempt, control, describe, on_pieces)
        spans.check(host, python, remote_temp, local_path, f"{host.name}:{remote_final}")
    finally:
        os.close(source)
