"""Follow a log on a host by byte offset, and keep a bounded window of it for display.

``LogFollower`` runs ``tail -c +N -F FILE`` through ``Host.stream`` and yields ``LogChunk``s
whose ``data`` ends on a line boundary. It only advances its offset past lines it has
delivered whole, so when the connection drops it restarts ``tail`` from that offset:
nothing is lost, nothing repeated. The unfinished last line (a tqdm bar still drawing) rides
along as ``pending``, for display only.

The pure helpers turn bytes into what a screen shows: ``collapse_cr`` keeps a progress
bar's latest state, ``clip`` keeps a 50 MB line from hanging the view, ``LogBuffer`` is the
bounded ring of lines (with search, filter and save), and ``read_tail`` / ``read_before``
open a big file at its end and load older parts on demand. ANSI colour codes are kept (the
UI renders them); ``strip_ansi`` gives the text to search in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from console.errors import HostError, LogError, RemoteFileError
from console.hosts.argv import tool_path
from console.hosts.base import CommandStream, Host
from console.models import LogChunk, LogWindow

#: a line longer than this is delivered in pieces rather than held back without end
MAX_LINE_BYTES = 1 << 20


# --- following ---------------------------------------------------------------------------


class LogFollower:
    """Iterate to follow ``path`` on ``host`` from byte ``offset`` until ``cancel`` is set.

    Stands for ``tail -c +OFFSET+1 -F PATH``, restarted from the last delivered line
    boundary whenever the stream ends or the host raises HostError (a dropped connection).
    A file that does not exist yet is waited for, and followed once it holds ``offset``
    bytes. Raises LogError when a file the follower has seen at ``offset`` bytes or more is
    later smaller (truncated or replaced), and after ``max_failures`` consecutive restarts
    that delivered nothing (None: keep trying until cancelled). ``close()`` stops it from
    another thread.
    """

    def __init__(
        self,
        host: Host,
        path: str,
        offset: int = 0,
        *,
        cancel: threading.Event | None = None,
        retry_delay: float = 0.2,
        max_retry_delay: float = 5.0,
        max_failures: int | None = None,
    ):
        self.host = host
        self.path = path
        self.offset = offset  # everything before it was delivered whole
        self.pending = b""
        self.cancel = cancel or threading.Event()
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.max_failures = max_failures
        self.reconnects = 0
        # Whether the file has been seen holding ``offset`` bytes: until then a smaller file
        # is one still being written (it appeared after we started), not a truncated one.
        self._reached_offset: bool | None = None
        self._stream: CommandStream | None = None
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        """Bytes of the file seen so far, the pending partial line included."""
        return self.offset + len(self.pending)

    def close(self) -> None:
        self.cancel.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def __iter__(self) -> Iterator[LogChunk]:
        failures = 0
        delay = self.retry_delay
        while not self.cancel.is_set():
            delivered = False
            try:
                for chunk in self._follow_once():
                    delivered = delivered or bool(chunk.data)
                    yield chunk
            except HostError as exc:
                last_error: Exception | None = exc
            else:
                last_error = None
            if self.cancel.is_set():
                return
            # The stream ended without being cancelled: the connection dropped or tail died.
            self.pending = b""
            self.reconnects += 1
            failures = 0 if delivered else failures + 1
            delay = self.retry_delay if delivered else min(delay * 2, self.max_retry_delay)
            if self.max_failures is not None and failures > self.max_failures:
                raise LogError(
                    f"Lost the log {self.path} on {self.host.name} after {failures} tries"
                    + (f": {last_error}" if last_error else ".")
                )
            self.cancel.wait(delay)

    def _follow_once(self) -> Iterator[LogChunk]:
        # tail -F reads a file that appears later from its start, whatever +N says: so wait
        # until the file exists, and holds the offset, before asking tail for it.
        if not self._wait_for_file():
            return  # cancelled while waiting
        argv = ["tail", "-c", f"+{self.offset + 1}", "-F", "--", tool_path(self.path)]
        stream = self.host.stream(argv, cancel=self.cancel)
        with self._lock:
            self._stream = stream
        if self.cancel.is_set():  # close() ran before the stream was registered
            stream.close()
        buffer = b""
        try:
            for data in stream:
                if not data:
                    continue
                buffer += data
                cut = buffer.rfind(b"\n") + 1
                if not cut and len(buffer) >= MAX_LINE_BYTES:
                    cut = len(buffer)  # an endless line: deliver it in pieces
                chunk = LogChunk(self.offset, buffer[:cut], buffer[cut:])
                buffer = buffer[cut:]
                self.offset += cut
                self.pending = buffer
                yield chunk
        finally:
            with self._lock:
                self._stream = None
            stream.close()

    def _wait_for_file(self) -> bool:
        """True once the file exists and holds ``offset`` bytes; False when cancelled.

        A file that was missing when the follower started is created empty (``open``) and
        written afterwards: it is waited for until it reaches the offset. A file the
        follower has already seen at the offset (or that existed from the start) and that
        is now smaller was truncated or replaced: LogError.
        """
        while True:
            size = self._size()
            if self._reached_offset is None:  # first look: a file there now owns the offset
                self._reached_offset = size is not None
            if size is not None and size >= self.offset:
                self._reached_offset = True
                return True
            if size is not None and self._reached_offset:
                raise LogError(
                    f"The log {self.path} on {self.host.name} shrank below the "
                    f"{self.offset:,} bytes already shown: it was truncated or replaced."
                )
            if self.cancel.wait(self.retry_delay):
                return False

    def _size(self) -> int | None:
        try:
            return self.host.stat(self.path).size
        except RemoteFileError:
            return None


class HostLog:
    """One log file on a host, read by byte offset: what a log viewer asks for."""

    def __init__(self, host: Host, path: str):
        self.host = host
        self.path = path

    def tail(self, max_bytes: int = 256 * 1024) -> LogWindow:
        return read_tail(self.host, self.path, max_bytes)

    def before(self, offset: int, max_bytes: int = 256 * 1024) -> LogWindow:
        return read_before(self.host, self.path, offset, max_bytes)

    def follow(self, offset: int, cancel: threading.Event) -> Iterator[LogChunk]:
        follower = LogFollower(self.host, self.path, offset, cancel=cancel)
        try:
            yield from follower
        finally:
            follower.close()


def read_chunks(host: Host, path: str, offset: int = 0, size: int = 1 << 20) -> Iterator[LogChunk]:
    """The file from ``offset`` to its current end, ``size`` bytes per read (no follow).

    Stands for ``tail -c +OFFSET+1 PATH`` done with ranged reads. Raises HostError subclasses.
    """
    while True:
        data = host.read_range(path, offset, size)
        if not data:
            return
        yield LogChunk(offset, data)
        offset += len(data)


# --- opening big files -------------------------------------------------------------------


def read_tail(host: Host, path: str, max_bytes: int = 256 * 1024) -> LogWindow:
    """The last whole lines of ``path`` within ``max_bytes``, in one ranged read.

    A 1 GB log opens at once: only its tail is read. Raises HostError subclasses.
    """
    size = host.stat(path).size
    start = max(0, size - max_bytes)
    data = host.read_range(path, start, size - start)
    if start > 0:
        cut = data.find(b"\n") + 1
        if cut:  # drop the partial line the window starts in
            start, data = start + cut, data[cut:]
    cut = data.rfind(b"\n") + 1  # and the line still being written at the end
    return LogWindow(start, start + cut, data[:cut])


def read_before(host: Host, path: str, offset: int, max_bytes: int = 256 * 1024) -> LogWindow:
    """The whole lines that end at ``offset`` (a line boundary), up to ``max_bytes`` of them.

    Loads older parts of a log on demand, backwards from what is shown. Empty when
    ``offset`` is 0. A single line longer than ``max_bytes`` comes back as its last part.
    """
    start = max(0, offset - max_bytes)
    data = host.read_range(path, start, offset - start)
    if start > 0:
        cut = data.find(b"\n") + 1
        if cut and cut < len(data):
            start, data = start + cut, data[cut:]
    return LogWindow(start, offset, data)


