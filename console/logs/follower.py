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

import codecs
import itertools
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from console.errors import ConsoleError, HostError, RemoteFileError
from console.hosts.argv import tool_path
from console.hosts.base import CommandStream, Host
from console.models import LogChunk

#: a line longer than this is delivered in pieces rather than held back without end
MAX_LINE_BYTES = 1 << 20
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


class LogError(ConsoleError):
    title = "Log"


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


@dataclass(frozen=True, slots=True)
class LogWindow:
    """Whole lines ``[start, end)`` of a file: what a view opened at the tail shows."""

    start: int
    end: int
    data: bytes


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


# --- display helpers ---------------------------------------------------------------------


def collapse_cr(line: str) -> str:
    """A line as a terminal left it after carriage returns: its last non-empty state.

    ``"10%|█  \\r50%|████ \\r100%|█████"`` -> ``"100%|█████"``; a ``"\\r\\n"`` ending is removed.
    """
    if "\r" not in line:
        return line
    for segment in reversed(line.split("\r")):
        if segment:
            return segment
    return ""


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences: what search and filter look at."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def clip(line: str, limit: int = 10_000) -> str:
    """At most ``limit`` characters of ``line``, saying how much was left out."""
    if len(line) <= limit:
        return line
    return f"{line[:limit]}… [{len(line) - limit:,} more characters]"


def wrap(line: str, width: int) -> list[str]:
    """``line`` cut into pieces of ``width`` characters (ANSI-blind; for plain wrapping)."""
    if width <= 0:
        raise ValueError("width must be positive")
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


class LineSplitter:
    """Bytes in, whole decoded lines out; the unfinished last line is carried over."""

    def __init__(self) -> None:
        self._partial = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @property
    def partial(self) -> str:
        return self._partial.decode("utf-8", errors="replace")

    def feed(self, data: bytes) -> list[str]:
        data = self._partial + data
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        if not cut:
            return []
        text = self._decoder.decode(data[:cut])
        return text.split("\n")[:-1]


class LogBuffer:
    """The last ``max_lines`` lines of a log: what a log view holds, however long the job runs.

    Lines are stored CR-collapsed and clipped to ``max_line_chars``; each keeps the byte
    offset it starts at, so older parts can be loaded before ``first_offset``.
    """

    def __init__(self, max_lines: int = 20_000, max_line_chars: int = 10_000):
        self.max_lines = max_lines
        self.max_line_chars = max_line_chars
        self._lines: deque[tuple[int, str]] = deque(maxlen=max_lines)
        self.pending = ""  # the line still being written, collapsed
        self.dropped = 0  # lines that fell out of the front
        self._next_offset: int | None = None

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index: int) -> str:
        return self._lines[index][1]

    def lines(self) -> list[str]:
        return [text for _, text in self._lines]

    def tail(self, count: int) -> list[str]:
        """The newest ``count`` lines, oldest first, without copying the rest."""
        count = min(count, len(self._lines))
        newest = [text for _, text in itertools.islice(reversed(self._lines), count)]
        newest.reverse()
        return newest

    @property
    def first_offset(self) -> int | None:
        """The byte offset where the oldest held line starts (None when empty)."""
        return self._lines[0][0] if self._lines else self._next_offset

    def _prepare(self, raw: bytes) -> str:
        text = raw.decode("utf-8", errors="replace")
        return clip(collapse_cr(text.rstrip("\n")), self.max_line_chars)

    def feed(self, chunk: LogChunk) -> int:
        """Append the lines of ``chunk``; return how many were added."""
        offset = chunk.offset
        added = 0
        for raw in _split_lines(chunk.data):
            if len(self._lines) == self.max_lines:
                self.dropped += 1
            self._lines.append((offset, self._prepare(raw)))
            offset += len(raw)
            added += 1
        self._next_offset = offset
        self.pending = self._prepare(chunk.pending) if chunk.pending else ""
        return added

    def prepend(self, window: LogWindow) -> int:
        """Put older lines (``read_before``) in front, as far as room allows; return how many."""
        raws = _split_lines(window.data)
        room = self.max_lines - len(self._lines)
        offsets = []
        offset = window.start
        for raw in raws:
            offsets.append(offset)
            offset += len(raw)
        taken = list(zip(offsets, raws, strict=True))[-room:] if room > 0 else []
        for line_offset, raw in reversed(taken):
            self._lines.appendleft((line_offset, self._prepare(raw)))
        return len(taken)

    def search(self, pattern: str, *, regex: bool = False, case: bool = False) -> list[int]:
        """Indexes of the lines that match (ANSI codes ignored). Raises LogError on a bad regex."""
        match = _matcher(pattern, regex=regex, case=case)
        return [i for i, (_, text) in enumerate(self._lines) if match(strip_ansi(text))]

    def filtered(self, pattern: str, *, regex: bool = False, case: bool = False) -> list[str]:
        return [self._lines[i][1] for i in self.search(pattern, regex=regex, case=case)]

    def save(self, path: str | Path, lines: list[str] | None = None) -> int:
        """Write ``lines`` (default: all held lines, ANSI removed) to a local file."""
        chosen = self.lines() if lines is None else lines
        Path(path).write_text("".join(strip_ansi(line) + "\n" for line in chosen), encoding="utf-8")
        return len(chosen)


def _split_lines(data: bytes) -> list[bytes]:
    """Lines ending in b"\\n" (kept); not bytes.splitlines, which also cuts at "\\r"."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _matcher(pattern: str, *, regex: bool, case: bool):
    if regex:
        try:
            compiled = re.compile(pattern, 0 if case else re.IGNORECASE)
        except re.error as exc:
            raise LogError(f"Not a valid search pattern {pattern!r}: {exc}") from exc
        return lambda text: compiled.search(text) is not None
    if case:
        return lambda text: pattern in text
    folded = pattern.casefold()
    return lambda text: folded in text.casefold()
