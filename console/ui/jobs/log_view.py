"""The scrolling text of a log: ANSI colours rendered, search matches highlighted.

It holds the lines it is given (the screen decides which: all, or the filtered ones) as
strings and renders only the rows on screen, through a small cache: appending ten thousand
lines costs what storing them costs, and a redraw after a search or filter is instant.
Long lines are clipped (scroll sideways) or wrapped at the view's width.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict, deque
from collections.abc import Iterable

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.ui.common.text import ansi_line, ansi_plain

MATCH_STYLE = "black on yellow"
#: rendered lines kept for redrawing (the rows on screen and a little around them)
CACHE_LINES = 512


def render_line(line: str, pattern: str = "") -> Text:
    """One log line as styled text: its ANSI colours, with ``pattern`` (case-blind) marked.
    Nothing in it drives the terminal: other escapes and controls show as text
    (``console.ui.common.text.ansi_line``)."""
    text = ansi_line(line)
    if pattern:
        text.highlight_regex(re.compile(re.escape(pattern), re.IGNORECASE), MATCH_STYLE)
    return text


def _cells(line: str) -> int:
    # Most log lines are plain printable ASCII, one cell per character: counting them with
    # len() instead of rich's per-character table is what keeps a 50,000 lines/s flood cheap.
    if line.isascii() and line.isprintable():
        return len(line)
    return cell_len(ansi_plain(line))


class LogView(ScrollView, can_focus=True):
    """Lines of a log, drawn on demand; knows which row each line starts on."""

    DEFAULT_CSS = """
    LogView {
        height: 1fr;
        background: $surface;
        overflow: auto auto;
    }
    """

    class ReachedTop(Message):
        """The user scrolled up to the first shown line (older lines may be wanted)."""

    def __init__(self, *, max_lines: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max_lines
        #: the lines shown, as given (ANSI codes kept), oldest first
        self.shown: deque[str] = deque(maxlen=max_lines)
        self._widths: deque[int] = deque(maxlen=max_lines)
        #: absolute number of ``shown[0]`` (grows as old lines fall out): the cache key base
        self._first = 0
        self._cache: OrderedDict[tuple[int, int], Strip] = OrderedDict()
        self._row_starts: list[int] | None = None  # wrap mode: first row of each line
        #: the widest line seen since the last ``show``: the sideways scroll range. It may
        #: outlive its line by a few thousand appends; rescanning every append would not pay.
        self._widest = 0
        self.highlight_pattern = ""
        self.wrap = False
        self.auto_scroll = True

    # -- content -----------------------------------------------------------------------------

    def show(self, lines: Iterable[str], *, scroll_end: bool = True) -> None:
        """Replace everything shown with ``lines``."""
        self.shown.clear()
        self._widths.clear()
        self._first = 0
        self._widest = 0
        self._cache.clear()
        self.append(lines, scroll_end=scroll_end)

    def append(self, lines: Iterable[str], *, scroll_end: bool | None = None) -> None:
        """Add ``lines`` at the bottom; follow the end when ``scroll_end`` (or auto_scroll)."""
        if not isinstance(lines, list):
            lines = list(lines)
        if len(lines) > self.max_lines:
            # only the newest max_lines can stay: the rest would be measured and dropped at once
            self._first += len(lines) - self.max_lines
            lines = lines[-self.max_lines :]
        added = len(lines)
        overflow = max(0, len(self.shown) + added - self.max_lines)
        self._first += min(overflow, len(self.shown))
        widths = [_cells(line) for line in lines]
        self.shown.extend(lines)
        self._widths.extend(widths)
        if widths:
            self._widest = max(self._widest, max(widths))
        if not added and scroll_end is None:
            return
        self._relayout()
        if scroll_end if scroll_end is not None else self.auto_scroll:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def clear(self) -> None:
        self.show([], scroll_end=False)

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._cache.clear()
        self._relayout()

    def set_highlight(self, pattern: str) -> None:
        self.highlight_pattern = pattern
        self._cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        if self.wrap:
            self._cache.clear()
            self._relayout()

    def _wrap_width(self) -> int:
        return max(1, self.scrollable_content_region.width or self.size.width or 80)

    def _relayout(self) -> None:
        if self.wrap:
            width = self._wrap_width()
            starts, row = [], 0
            for cells in self._widths:
                starts.append(row)
                row += max(1, -(-cells // width))
            self._row_starts = starts
            self.virtual_size = Size(width, row)
        else:
            self._row_starts = None
            self.virtual_size = Size(self._widest, len(self.shown))
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value == 0 and old_value > 0:
            self.post_message(self.ReachedTop())

    # -- positions -----------------------------------------------------------------------------

    def row_of(self, index: int) -> int:
        """The first row of the ``index``-th shown line."""
        if self._row_starts is not None and index < len(self._row_starts):
            return self._row_starts[index]
        return index

    def _line_at_row(self, row: int) -> tuple[int, int]:
        """(line index, piece of it) drawn on ``row``."""
        if self._row_starts is None:
            return row, 0
        index = bisect.bisect_right(self._row_starts, row) - 1
        return index, row - self._row_starts[index]

    def scroll_to_line(self, index: int) -> None:
        """Scroll so the ``index``-th shown line is at the top (as far as the end allows)."""
        if not self.shown:
            return
        index = max(0, min(index, len(self.shown) - 1))
        self.scroll_to(y=self.row_of(index), animate=False, immediate=True)

    def line_at_top(self) -> int:
        """The index of the shown line at the top of the view."""
        if not self.shown:
            return 0
        return min(self._line_at_row(int(self.scroll_y))[0], len(self.shown) - 1)

    # -- drawing -----------------------------------------------------------------------------

    def _strip(self, index: int) -> Strip:
        key = (self._first + index, 0)
        strip = self._cache.get(key)
        if strip is None:
            text = render_line(self.shown[index], self.highlight_pattern)
            strip = Strip(list(text.render(self.app.console)))
            self._cache[key] = strip
            if len(self._cache) > CACHE_LINES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        style = self.rich_style
        index, piece = self._line_at_row(scroll_y + y)
        if not 0 <= index < len(self.shown):
            return Strip([Segment(" " * width, style)], width)
        strip = self._strip(index)
        if self.wrap:
            wrap_width = self._wrap_width()
            strip = strip.crop(piece * wrap_width, (piece + 1) * wrap_width)
        else:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width).apply_style(style).simplify()

    def rendered(self, index: int) -> Strip:
        """The ``index``-th shown line as drawn (its colours), for tests and screenshots."""
        return self._strip(index)
