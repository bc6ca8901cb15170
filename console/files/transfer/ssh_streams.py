"""Carrying one big file to or from an ssh host over several OpenSSH streams: the streams'
command line, how many of them, the ranges they carry, and their retries and checks
(the bytes themselves move in ssh_file_copy.py).

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

Resuming: every range knows how many of its bytes reached the destination. When an ``ssh``
process dies (connection killed, network gone), a new one continues the range from that
byte (``run_ranges``, under the stream retry policy). Only a full disk, a missing file or a
refused login end the transfer.

Verifying: both ends hash the bytes as they pass, and each stream compares the two SHA-256
digests of its span when it ends. Spans of a stream that broke are hashed again on both
sides at the end (``_Unchecked``; usually a few MiB). No file is read a second time just to
hash it: on 2 cores that pass cost as much as the copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shlex
import subprocess
import threading
from collections.abc import Callable

from console.errors import HostUnreachableError
from console.files.transfer.control import Control
from console.files.transfer.errors import DiskFullError, TransferCancelled, TransferError
from console.files.transfer.remote import remote_call
from console.files.transfer.retry import RetryPolicy
from console.hosts.base import Host
from console.hosts.interactive import SshOptions
from console.hosts.interactive import ssh_argv as base_ssh_argv
from console.settings.sections import MAX_STREAMS

__all__ = [
    # shared with the modules that carry the bytes (and kept here for their old importers)
    "Control",
    "DiskFullError",
    "TransferCancelled",
    "TransferError",
    "choose_streams",
    "run_ranges",
    "split_ranges",
    "ssh_argv",
]

#: cipher preference for transfer connections: AES-GCM first (hardware AES), then the
#: server's usual defaults
TRANSFER_CIPHERS = "^aes128-gcm@openssh.com,aes256-gcm@openssh.com"
CHUNK = 1 << 20
#: attempts for one range without any progress before the host is declared unreachable
MAX_ATTEMPTS_WITHOUT_PROGRESS = 6
#: first wait before re-opening a stream that failed twice in a row (doubles, up to 4 s)
RETRY_BACKOFF_S = 0.5
MAX_RETRY_WAIT_S = 4.0
#: what one SSH channel keeps in flight before it waits for the window to be refilled
#: (OpenSSH's default channel window): over a round trip of RTT a stream moves at most
#: WINDOW / RTT bytes per second
CHANNEL_WINDOW = 2 * 1024 * 1024
#: the rate one AES-GCM stream reaches when the round trip is no limit (loopback here:
#: 125-240 MiB/s): enough streams to keep this rate over a long link is enough
STREAM_RATE = 200 * 1024 * 1024
#: the least a stream carries: fewer bytes do not pay for its ssh handshake
MIN_STREAM_BYTES = 16 * CHUNK
#: streams on a link whose round trip is no limit (capped by the cores): two streams keep
#: both ends busy while one waits on the disk or the pipe (bench/transfer_bench.py)
LOW_RTT_STREAMS = 2
#: streams when the round trip could not be measured
FALLBACK_STREAMS = 4


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


def stream_retry() -> RetryPolicy:
    """The retry policy of one range: a killed connection is re-opened at once, a host that
    keeps refusing is backed off from RETRY_BACKOFF_S, and MAX_ATTEMPTS_WITHOUT_PROGRESS
    failures in a row without a byte moving end the transfer (read when a copy starts)."""
    return RetryPolicy(
        attempts=MAX_ATTEMPTS_WITHOUT_PROGRESS,
        first_wait=RETRY_BACKOFF_S,
        max_wait=MAX_RETRY_WAIT_S,
        free_retries=1,
        transient=(ConnectionError,),
    )


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
        def give_up(exc: BaseException, failures: int) -> HostUnreachableError:
            return HostUnreachableError(
                f"The connection broke during {describe} and could not be "
                f"re-opened ({failures} tries): {exc}"
            )

        def count_resume(_exc: BaseException, _failures: int) -> None:
            with lock:
                control.resumes += 1

        tries = stream_retry().tries(control.cancel, on_retry=count_resume, give_up=give_up)
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
                    tries.failed(exc, after_progress=sum(p.done for p in pieces) > before)
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
