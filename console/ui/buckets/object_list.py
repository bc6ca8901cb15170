"""A virtual list of an S3 folder's rows: only the lines on screen are ever drawn.

A DataTable builds a row object per line added; at 100,000 objects that is slow to fill
and large in memory. This widget draws each visible line from an ``S3RowStore`` on demand
(``render_line``), so its cost does not grow with the listing, and asks for the next page
(``NearEnd``) when the cursor or the scroll position comes close to the last loaded row.
"""

from __future__ import annotations

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
NAME_WIDTH = 48


def format_row(row: S3Row) -> str:
    """One line: name, size, modified time (UTC) and storage class in fixed columns. The
    line is drawn as segments, with no Text in between: the key (anyone's name) has its
    control characters shown as escapes here."""
    name = visible(row.name)
    if row.is_folder:
        return f"▸ {name:<{NAME_WIDTH}} {'':>10}  {'':16}  {'folder'}"
    modified = row.modified.strftime("%Y-%m-%d %H:%M") if row.modified else ""
    return (
        f"  {name:<{NAME_WIDTH}} {human_bytes(row.size):>10}  {modified:16}  "
        f"{visible(row.storage_class)}"
    )


HEADER = f"  {'Name':<{NAME_WIDTH}} {'Size':>10}  {'Modified (UTC)':16}  Class"


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

    def __init__(self, store: S3RowStore | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.store = store or S3RowStore("", "")

    # -- content --

    def show_store(self, store: S3RowStore) -> None:
        """Show another listing from its top."""
        self.store = store
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.rows_changed()

    def rows_changed(self) -> None:
        """The store grew or its filter changed: resize and redraw."""
        self.virtual_size = Size(NAME_WIDTH + 48, len(self.store))
        if self.cursor >= len(self.store):
            self.cursor = max(0, len(self.store) - 1)
        self.refresh()

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
        text = format_row(self.store.row(position))[:width].ljust(width)
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
