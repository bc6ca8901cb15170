"""How a log reads on screen: carriage-return progress bars collapsed to their last state,
long lines clipped, ANSI codes left for the UI to render and removed for search, and the
bounded ring of lines a log view holds (``LogBuffer``: search, filter, save).

Pure text handling, shared by the log viewer and ``awsconsole logs``; following a file on a
host is ``console.logs.follower``.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections import deque
from pathlib import Path

from console.errors import LogError
from console.models import LogChunk, LogWindow

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


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
