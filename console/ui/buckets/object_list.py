"""A virtual list of an S3 folder's rows: only the lines on screen are ever drawn.

A DataTable builds a row object per line added; at 100,000 objects that is slow to fill
and large in memory. This widget draws each visible line from an ``S3RowStore`` on demand
(``render_line``), so its cost does not grow with the listing, and asks for the next page
(``NearEnd``) when the cursor or the scroll position comes close to the last loaded row.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.format.files import human_bytes
from console.format.terminal import visible
from console.ui.buckets.rows import S3Row, S3RowStore

#: ask for the next page when fewer than this many rows lie below the visible ones
LOAD_AHEAD = 50
#: the name column is at least this wide while there is room (folders line up alike)
NAME_WIDTH = 48
#: and never narrower than this: a longer name is shortened in its middle
MIN_NAME_WIDTH = 16
SIZE_WIDTH = 10
MODIFIED_WIDTH = 16
CLASS_WIDTH = 12


@dataclass(frozen=True)
class RowLayout:
    """The columns of the list: the name's width, and whether the modified time and the
    storage class show (they give way, the class first, before a name is shortened)."""

    name: int = NAME_WIDTH
    modified: bool = True
    storage_class: bool = True

    @property
    def width(self) -> int:
        """The cells a line takes."""
        return (
            2 + self.name + 1 + SIZE_WIDTH
            + (2 + MODIFIED_WIDTH if self.modified else 0)
            + (2 + CLASS_WIDTH if self.storage_class else 0)
        )  # fmt: skip


def row_layout(width: int, longest_name: int) -> RowLayout:
    """The layout of a list ``width`` cells wide whose longest name is ``longest_name``:
    the name and size always show; the storage class, then the modified time, give way
    while the name would not fit whole."""
    for modified, storage_class in ((True, True), (True, False), (False, False)):
        room = width - RowLayout(0, modified, storage_class).width
        if room >= longest_name or not modified:
            break
    name = min(room, max(longest_name, NAME_WIDTH))
    return RowLayout(max(name, MIN_NAME_WIDTH), modified, storage_class)


def fit_name(name: str, width: int) -> str:
    """``name`` in ``width`` cells: whole when it fits, else its start and end around "…"
    (the end keeps the extension)."""
    if cell_len(name) <= width:
        return name + " " * (width - cell_len(name))
    tail = (width - 1) // 2
    head = width - 1 - tail
    return set_cell_size(name, head) + "…" + _last_cells(name, tail)


def _last_cells(text: str, width: int) -> str:
    taken = ""
    for char in reversed(text):
        if cell_len(char + taken) > width:
            break
        taken = char + taken
    return " " * (width - cell_len(taken)) + taken


def format_row(row: S3Row, layout: RowLayout | None = None) -> str:
    """One line: name, size, modified time (UTC) and storage class in their columns. The
    line is drawn as segments, with no Text in between: the key (anyone's name) has its
    control characters shown as escapes here."""
    layout = layout or RowLayout()
    name = fit_name(visible(row.name), layout.name)
    if row.is_folder:
        line = f"▸ {name} {'':>{SIZE_WIDTH}}"
        if layout.modified:
            line += f"  {'':{MODIFIED_WIDTH}}"
        return line + ("  folder" if layout.storage_class else "")
    line = f"  {name} {human_bytes(row.size):>{SIZE_WIDTH}}"
    if layout.modified:
        modified = row.modified.strftime("%Y-%m-%d %H:%M") if row.modified else ""
        line += f"  {modified:{MODIFIED_WIDTH}}"
    return line + (f"  {visible(row.storage_class)}" if layout.storage_class else "")


def header_line(layout: RowLayout | None = None) -> str:
    """The column headings over the rows of ``layout``."""
    layout = layout or RowLayout()
    line = f"  {'Name':<{layout.name}} {'Size':>{SIZE_WIDTH}}"
    if layout.modified:
        line += f"  {'Modified (UTC)':{MODIFIED_WIDTH}}"
    return line + ("  Class" if layout.storage_class else "")


HEADER = header_line()


class S3ObjectList(ScrollView, can_focus=True):
    """The rows of one ``S3RowStore`` with a cursor; folders first."""

    BINDINGS = [
        Binding("down,j", "cursor(1)", "Down", show=False, id="s3.down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="s3.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="s3.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="s3.page_up"),
        Binding("home,g", "home", "First", show=False, id="s3.first"),
        Binding("end,G", "end", "Last", show=False, id="s3.last"),
    ]

    DEFAULT_CSS = """
    S3ObjectList { height: 1fr; }
    """

    cursor = reactive(0, always_update=True)

    class NearEnd(Message):
        """The view is within LOAD_AHEAD rows of the last loaded one: load more."""

    class LayoutChanged(Message):
        """The columns changed (the width, or a longer name): the heading follows."""

        def __init__(self, layout: RowLayout) -> None:
            super().__init__()
            self.layout = layout

    def __init__(self, store: S3RowStore | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.store = store or S3RowStore("", "")
        self.layout_now = RowLayout()
        #: the longest name among the first ``_measured`` rows of the store
        self._longest = 0
        self._measured = 0

    # -- content --

    def show_store(self, store: S3RowStore) -> None:
        """Show another listing from its top."""
        self.store = store
        self._longest = self._measured = 0
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.rows_changed()

    def rows_changed(self) -> None:
        """The store grew or its filter changed: lay out, resize and redraw."""
        self._fit()
        if self.cursor >= len(self.store):
            self.cursor = max(0, len(self.store) - 1)
        self.refresh()

    def _fit(self) -> None:
        """The columns for the present width and names (only rows not yet measured are)."""
        total = len(self.store)
        if total < self._measured:  # a filter: measure again what is listed
            self._longest = self._measured = 0
        for index in range(self._measured, total):
            self._longest = max(self._longest, cell_len(visible(self.store.row(index).name)))
        self._measured = total
        width = self.size.width
        if total > self.size.height:  # the vertical scrollbar takes its share
            width -= self.styles.scrollbar_size_vertical
        layout = row_layout(width, self._longest)
        self.virtual_size = Size(layout.width, total)
        if layout != self.layout_now:
            self.layout_now = layout
            self.post_message(self.LayoutChanged(layout))

    def on_resize(self) -> None:
        self._fit()

    @property
    def current(self) -> S3Row | None:
        """The row under the cursor."""
        if not len(self.store):
            return None
        return self.store.row(self.cursor)

    def render_line(self, y: int) -> Strip:
        position = round(self.scroll_offset.y) + y
        width = self.size.width
        if position >= len(self.store):
            return Strip.blank(width)
        text = set_cell_size(format_row(self.store.row(position), self.layout_now), width)
        selected = position == self.cursor and self.has_focus
        style = Style(reverse=True) if position == self.cursor else Style()
        if selected:
            style = Style(reverse=True, bold=True)
        return Strip([Segment(text, style)], width)

    # -- moving --

    def watch_cursor(self, old: int, new: int) -> None:
        height = max(1, self.size.height)
        top = round(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self._maybe_near_end()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._maybe_near_end()

    def needs_more(self) -> bool:
        """Whether fewer than LOAD_AHEAD loaded rows lie below the cursor or the view."""
        bottom = max(self.cursor, round(self.scroll_offset.y) + self.size.height)
        return len(self.store) - bottom < LOAD_AHEAD

    def _maybe_near_end(self) -> None:
        if self.needs_more():
            self.post_message(self.NearEnd())

    def action_cursor(self, step: int) -> None:
        if len(self.store):
            self.cursor = min(max(0, self.cursor + step), len(self.store) - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_home(self) -> None:
        self.cursor = 0

    def action_end(self) -> None:
        self.cursor = max(0, len(self.store) - 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
