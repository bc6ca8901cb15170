"""Moving one big file to or from an ssh host over several OpenSSH streams.

Why OpenSSH and not paramiko's SFTP: on this machine (2 cores, loopback) paramiko's
``get`` reached 45 MiB/s and ``scp`` 61-73 MiB/s, while ``ssh -c aes128-gcm@openssh.com``
carrying the bytes of a plain ``read``/``write`` helper reached 125-240 MiB/s: AES-GCM runs
on the CPU's AES instructions, scp's default chacha20-poly1305 does not, and the data never
passes through a Python SSH implementation. Over a long round trip one SSH channel is
limited by its window (2 MiB in flight), so the file is split into ranges, each carried by
its own ``ssh`` process on its own TCP connection (figures: bench/transfer_bench.py).

The same ssh config, identity, known_hosts and ProxyJump apply as for an interactive shell
(``console.hosts.interactive``): ``BatchMode`` so nothing ever prompts, and
``StrictHostKeyChecking yes`` so an unknown key is refused, never added.

Downloads: ``ssh`` writes straight into the temporary file at the range's offset (its
stdout is that file), so the bytes never pass through this process; the file offset it
advances, shared with our descriptor, says how far it got. Uploads feed ``ssh``'s stdin
from the file through a 1 MiB pipe.

Resuming: every range knows how many of its bytes reached the destination — the file
offset ssh reached for a download, the bytes the remote helper acknowledged for an upload.
When an ``ssh`` process dies (connection killed, network gone), a new one continues the
range from that byte. Only a full disk, a missing file or a refused login end the transfer.
Pausing a download stops its streams; resuming re-opens them where they stopped.

Verifying: both ends hash the bytes as they pass (the remote helper what it reads or
writes; this side what it sends, or what ssh wrote, read back right behind it from the
page cache), and each stream compares the two SHA-256 digests of its span when it ends.
Spans of a stream that broke are hashed again on both sides at the end (usually a few
MiB). No file is read a second time just to hash it: on 2 cores that pass cost as much
as the copy.
"""

from __future__ import annotations

import contextlib
import errno as errno_module
import fcntl
import hashlib
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from console.errors import ConsoleError, HostUnreachableError, RemoteFileError
from console.files.transfer.remote import helper_argv
from console.hosts.base import Host
from console.hosts.interactive import SshOptions
from console.hosts.interactive import ssh_argv as base_ssh_argv

#: cipher preference for transfer connections: AES-GCM first (hardware AES), then the
#: server's usual defaults
TRANSFER_CIPHERS = "^aes128-gcm@openssh.com,aes256-gcm@openssh.com"
CHUNK = 1 << 20
#: attempts for one range without any progress before the host is declared unreachable
MAX_ATTEMPTS_WITHOUT_PROGRESS = 6
#: first wait before re-opening a stream that failed twice in a row (doubles, up to 4 s)
RETRY_BACKOFF_S = 0.5
#: what one SSH channel keeps in flight before it waits for the window to be refilled
#: (OpenSSH's default channel window): over a round trip of RTT a stream moves at most
#: WINDOW / RTT bytes per second
CHANNEL_WINDOW = 2 * 1024 * 1024
#: the rate one AES-GCM stream reaches when the round trip is no limit (loopback here:
#: 125-240 MiB/s): enough streams to keep this rate over a long link is enough
STREAM_RATE = 200 * 1024 * 1024
#: the least a stream carries: fewer bytes do not pay for its ssh handshake
MIN_STREAM_BYTES = 16 * CHUNK
MAX_STREAMS = 16
#: streams on a link whose round trip is no limit (capped by the cores): two streams keep
#: both ends busy while one waits on the disk or the pipe (bench/transfer_bench.py)
LOW_RTT_STREAMS = 2
#: streams when the round trip could not be measured
FALLBACK_STREAMS = 4


class TransferError(ConsoleError):
    title = "Transfer"


class DiskFullError(TransferError):
    title = "Disk full"


class TransferCancelled(TransferError):
    title = "Transfer cancelled"


@dataclass
class Control:
    """Shared by every stream of a transfer: cancel, pause, progress, resume count."""

    cancel: threading.Event
    resume: threading.Event  # set while running, cleared while paused
    on_bytes: Callable[[int], None]
    resumes: int = 0

    def checkpoint(self) -> None:
        """Block while paused; raise TransferCancelled once cancelled."""
        while not self.resume.is_set():
            if self.cancel.wait(0.1):
                break
        if self.cancel.is_set():
            raise TransferCancelled("The transfer was cancelled.")


def ssh_argv(host: Host, remote: list[str]) -> list[str]:
    """``ssh [-F CONFIG] [-o UserKnownHostsFile=…] -o BatchMode=yes … -- DEST 'ARGV…'``."""
    options = SshOptions.for_host(host)
    extra = [
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"Ciphers={TRANSFER_CIPHERS}",
        "-o", "Compression=no",
        "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=3",
        "-o", "ConnectTimeout=15",
        "-o", "LogLevel=ERROR",
        # a stream of file bytes carries nothing else: none of the config's forwardings (a
        # LocalForward would clash with the next stream's), no agent or X11 for the host to
        # use, no terminal to mangle the bytes
        "-o", "ClearAllForwardings=yes",
        "-o", "ForwardAgent=no",
        "-o", "ForwardX11=no",
        "-o", "RequestTTY=no",
    ]  # fmt: skip
    return [*base_ssh_argv(options, tty=False, extra=extra), shlex.join(remote)]


def split_ranges(size: int, streams: int, minimum: int = MIN_STREAM_BYTES) -> list[tuple[int, int]]:
    """(offset, length) pieces covering ``size`` bytes: at most ``streams``, none smaller
    than ``minimum`` except when the file itself is; an empty file is one empty range."""
    count = max(1, min(streams, size // minimum))
    step = -(-size // count)
    step = max(CHUNK, -(-step // CHUNK) * CHUNK)  # whole MiB per range
    ranges = [(offset, min(step, size - offset)) for offset in range(0, size, step)]
    return ranges or [(0, 0)]


def choose_streams(size: int, rtt: float | None, cores: int) -> int:
    """How many ssh streams to carry a ``size``-byte file over a link of round trip ``rtt``
    seconds, from a machine with ``cores`` CPUs.

    - Each stream carries at least MIN_STREAM_BYTES (one handshake per stream).
    - The round trip: one stream moves CHANNEL_WINDOW per RTT, so keeping STREAM_RATE
      going over a long link takes ``STREAM_RATE * RTT / CHANNEL_WINDOW`` streams
      (5 at 50 ms).
    - The CPU: where the round trip is no limit (same rack, loopback) the streams share
      the cores; each needs about half a core here (ssh encrypting, this side reading), so
      more than ``cores`` streams only queue for them (LOW_RTT_STREAMS at most).

    ``rtt`` None (not measured) gives FALLBACK_STREAMS within the same bounds.
    """
    by_size = max(1, size // MIN_STREAM_BYTES)
    if rtt is None:
        wanted = FALLBACK_STREAMS
    else:
        for_window = -(-int(STREAM_RATE * max(rtt, 0.0)) // CHANNEL_WINDOW)
        for_cpu = max(1, min(cores, LOW_RTT_STREAMS))
        wanted = max(for_window, for_cpu)
    return max(1, min(wanted, by_size, MAX_STREAMS))


def _marked(text: str, marker: str) -> str | None:
    """The value after ``marker`` on one of ``text``'s lines."""
    for line in text.splitlines():
        if line.startswith(marker):
            return line[len(marker) :].strip()
    return None


class _Unchecked:
    """Spans whose stream broke before both sides' SHA-256 of them could be compared.

    Every byte is covered by exactly one checked span: a stream that completes compares the
    digest of everything it carried with the one the other side computed; bytes carried by
    a stream that broke are re-hashed on both sides at the end (usually a few MiB).
    """

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def add(self, span: tuple[int, int]) -> None:
        if span[1] > 0:
            with self.lock:
                self.spans.append(span)

    def check(self, host: Host, python: str, remote: str, local: str, label: str) -> None:
        """Compare the spans' SHA-256 on both sides. Raises TransferError on a mismatch."""
        if not self.spans:
            return
        args = [f"{start}:{length}" for start, length in self.spans]
        theirs = remote_call(host, python, "hashranges", remote, *args).split()
        with open(local, "rb") as handle:
            for (start, length), remote_hex in zip(self.spans, theirs, strict=True):
                handle.seek(start)
                if hashlib.sha256(handle.read(length)).hexdigest() != remote_hex:
                    raise TransferError(
                        f"Bytes {start}-{start + length} of {label} differ after a "
                        "reconnect (SHA-256)."
                    )


def _big_pipe(pipe: object) -> None:
    """Grow a pipe to 1 MiB (Linux ``F_SETPIPE_SZ``): 16x fewer wake-ups than 64 KiB."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, CHUNK)


def _stderr_text(process: subprocess.Popen) -> str:
    with contextlib.suppress(Exception):
        return process.stderr.read().decode("utf-8", "replace").strip()
    return ""


class _Range:
    """One piece of the file and how much of it is safely at the destination.

    ``done`` moves when a stream ends (uploads) or as bytes land (downloads); ``pending`` is
    what the far side has acknowledged of the running upload stream beyond ``done``.
    """

    def __init__(self, offset: int, length: int, done: int = 0):
        self.offset = offset
        self.length = length
        self.done = done
        self.pending = 0

    @property
    def finished(self) -> bool:
        return self.done >= self.length

    @property
    def confirmed(self) -> int:
        """Bytes from the range's start known to be at the destination (for the journal)."""
        return min(self.length, self.done + self.pending)


#: what a caller hands in to start from: (offset, length) or (offset, length, done)
RangeSpec = tuple[int, int] | tuple[int, int, int]


def run_ranges(
    ranges: list[RangeSpec],
    attempt: Callable[[_Range], None],
    control: Control,
    describe: str,
    on_pieces: Callable[[list[_Range]], None] | None = None,
) -> None:
    """Carry every range in its own thread, retrying a range whose stream died.

    ``attempt(range)`` moves bytes from ``range.done`` on and raises ConnectionError when
    the stream died (it is then retried from the new ``range.done``). The first other error
    cancels the rest and is raised. A range given with a third number (bytes already at
    the destination, from an earlier run) starts there. ``on_pieces`` sees the ranges'
    live state before they start (the resume journal reads it).
    """
    pieces = [_Range(*spec) for spec in ranges]
    if on_pieces is not None:
        on_pieces(pieces)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def carry(piece: _Range) -> None:
        failures = 0
        try:
            while not piece.finished:
                control.checkpoint()
                # a try counts as failed only when no stream moved on meanwhile: one
                # killed connection kills them all, and any of them may be the one that
                # got some bytes through
                before = sum(p.done for p in pieces)
                try:
                    attempt(piece)
                except ConnectionError as exc:
                    progressed = sum(p.done for p in pieces) > before
                    failures = 0 if progressed else failures + 1
                    if failures >= MAX_ATTEMPTS_WITHOUT_PROGRESS:
                        raise HostUnreachableError(
                            f"The connection broke during {describe} and could not be "
                            f"re-opened ({failures} tries): {exc}"
                        ) from exc
                    with lock:
                        control.resumes += 1
                    # a dead host: back off; a killed connection: reconnect at once
                    if failures > 1:
                        control.cancel.wait(min(RETRY_BACKOFF_S * 2 ** (failures - 2), 4.0))
                    continue
                if piece.finished:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            with lock:
                errors.append(exc)
            control.cancel.set()

    threads = [
        threading.Thread(target=carry, args=(piece,), name=f"transfer-range-{i}", daemon=True)
        for i, piece in enumerate(pieces)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        # the first real error, not the cancellations it caused in the other streams
        real = [e for e in errors if not isinstance(e, TransferCancelled)]
        raise (real or errors)[0]


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
            raise DiskFullError(
                f"The disk holding {local_final} is full: the copy stopped at byte "
                f"{piece.offset + piece.done}.",
                hint="Free some space there (or choose another destination) and copy again.",
            )
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
        argv = ssh_argv(host, helper_argv(python, "write", remote_temp, start))
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
            number, _, text = str(state["error"]).partition(" ")
            if number in (str(errno_module.ENOSPC), str(errno_module.EDQUOT)):
                raise DiskFullError(
                    f"The disk holding {remote_final} on {host.name} is full: the copy "
                    f"stopped at byte {piece.offset + piece.done}.",
                    hint="Free some space there (or choose another destination) and copy again.",
                )
            raise RemoteFileError(f"Cannot write {remote_final} on {host.name}: {text}")
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
        ranges = resume or split_ranges(size, streams)
        run_ranges(ranges, attempt, control, describe, on_pieces)
        spans.check(host, python, remote_temp, local_path, f"{host.name}:{remote_final}")
    finally:
        os.close(source)


def remote_call(host: Host, python: str, mode: str, *args: object, timeout: float = 600) -> str:
    """Run the helper through the host's pooled connection; retries once after a drop.

    Raises RemoteFileError with the helper's message, DiskFullError for ENOSPC.
    """
    for attempt in (1, 2, 3):
        try:
            result = host.run(helper_argv(python, mode, *args), timeout=timeout)
            break
        except HostUnreachableError:
            if attempt == 3:
                raise
            time.sleep(0.2 * attempt)
    output = result.stdout.decode("utf-8", "replace").strip()
    if result.exit_code == 0:
        return output
    if output.startswith(f"error {errno_module.ENOSPC} "):
        raise DiskFullError(f"The disk of {host.name} is full: {output[6:]}")
    detail = output or result.stderr.decode("utf-8", "replace").strip()
    raise RemoteFileError(f"{mode} failed on {host.name}: {detail}")
