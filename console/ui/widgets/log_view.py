"""The scrolling text of a log: ANSI colours rendered, search matches highlighted.

It only draws the lines it is given (the screen decides which: all, or the filtered ones)
and remembers where each one starts on screen, so a search can jump to a line even when
lines wrap. Its own ``max_lines`` bounds memory like the ``LogBuffer`` behind it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

MATCH_STYLE = "black on yellow"


def render_line(line: str, pattern: str = "") -> Text:
    """One log line as styled text: its ANSI colours, with ``pattern`` (case-blind) marked."""
    text = Text.from_ansi(line, no_wrap=False, end="")
    if pattern:
        text.highlight_regex(re.compile(re.escape(pattern), re.IGNORECASE), MATCH_STYLE)
    return text


class LogView(RichLog):
    """A RichLog that knows the screen row of each line it shows."""

    DEFAULT_CSS = """
    LogView {
        height: 1fr;
        border: none;
    }
    """

    def __init__(self, *, max_lines: int, **kwargs: object) -> None:
        super().__init__(max_lines=max_lines, wrap=False, markup=False, **kwargs)  # type: ignore[arg-type]
        self.highlight_pattern = ""
        #: absolute strip number where each shown line starts, oldest first
        self._starts: deque[int] = deque(maxlen=max_lines)
        self._strips_written = 0
        #: the lines shown, as given (what save writes when nothing is filtered)
        self.shown: deque[str] = deque(maxlen=max_lines)

    def show(self, lines: Iterable[str], *, scroll_end: bool = True) -> None:
        """Replace everything shown with ``lines``."""
        self.clear()
        self._starts.clear()
        self.shown.clear()
        self._strips_written = 0
        self.append(lines, scroll_end=scroll_end)

    def append(self, lines: Iterable[str], *, scroll_end: bool | None = None) -> None:
        """Add ``lines`` at the bottom (following the end when ``scroll_end`` or auto_scroll)."""
        for line in lines:
            before = self._strip_count()
            self._starts.append(before)
            self.shown.append(line)
            self.write(render_line(line, self.highlight_pattern), scroll_end=scroll_end)
            self._strips_written = max(self._strip_count(), before + 1)

    def _strip_count(self) -> int:
        if not self._size_known:  # writes are deferred until the size is known: one row each
            return self._strips_written
        return self._start_line + len(self.lines)

    def scroll_to_line(self, index: int) -> None:
        """Scroll so the ``index``-th shown line is at the top (clamped)."""
        if not self._starts:
            return
        index = max(0, min(index, len(self._starts) - 1))
        self.scroll_to(y=max(0, self._starts[index] - self._start_line), animate=False)

    def line_at_top(self) -> int:
        """The index of the shown line at the top of the view."""
        top = int(self.scroll_y) + self._start_line
        for index, start in enumerate(self._starts):
            if start > top:
                return max(0, index - 1)
        return max(0, len(self._starts) - 1)
