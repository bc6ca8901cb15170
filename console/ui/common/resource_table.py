"""A DataTable described by a list of columns, that keeps its cursor across refreshes and
fits its width.

Nothing wide is hidden: when the columns are wider than the table, the less important ones
give way (``fit_columns``, the one column-priority policy of every list). A column with
``give_way=0`` (the default) is a key column and always shown; of the others, the highest
``give_way`` leaves first. A ``fill`` column takes the width the others leave, down to its
``min_width``: a longer cell wraps onto more lines (``wrap``) or ends with "…". Only when
the key columns alone are wider than the table does it scroll sideways. The rows keep every
column's cells (``cells``), shown or not; the table is laid out again when it is resized or
its contents change width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import events

from console.format.terminal import visible
from console.ui.common.literal import DataTable, shown_line

Item = TypeVar("Item")


@dataclass(frozen=True)
class Column(Generic[Item]):
    """One column: its key, its header, how a cell is drawn from an item, and how it gives
    way when the table is too narrow for every column."""

    key: str
    label: str
    cell: Callable[[Item], str | Text]
    width: int | None = None
    #: 0: a key column, always shown; otherwise the highest number leaves first (of equal
    #: ones, the rightmost)
    give_way: int = 0
    #: takes the width the other columns leave, down to ``min_width``
    fill: bool = False
    #: a fill column's longer cells wrap onto more lines (otherwise they end with "…")
    wrap: bool = False
    min_width: int = 12


def blank_if_none(value: object) -> str:
    return "" if value is None else str(value)


def text_width(value: object) -> int:
    """The width of the widest line ``value`` shows in a cell (as ``shown_line`` shows it:
    a str on one line, its control characters as escapes; a Text with its newlines)."""
    if isinstance(value, Text):
        plain = value.plain
        if not plain.isprintable():
            plain = visible(plain, newlines=True)
            return max((cell_len(line) for line in plain.split("\n")), default=0)
        return cell_len(plain)
    plain = str(value)
    return cell_len(plain if plain.isprintable() else visible(plain))


#: a layout: the columns shown, left to right, each with its width (None: as wide as its
#: widest cell)
Layout = tuple[tuple[str, int | None], ...]


def fit_columns(
    columns: Sequence[Column[Any]], natural: dict[str, int], available: int, padding: int = 1
) -> Layout:
    """Which columns fit in ``available`` cells, and how wide the fill ones are.

    ``natural`` is each column's content width (its widest cell or label). Columns give way
    by ``give_way`` until the rest fit (a key column whole, any other fill column at its
    ``min_width``: a key column is not squeezed to keep a less important one); the fill
    columns then share what is left, each up to its natural width, in proportion to it."""

    def wanted(column: Column[Any]) -> int:
        width = natural.get(column.key, 0) if column.width is None else column.width
        if column.fill and column.give_way:
            width = min(width, column.min_width)
        return width + 2 * padding

    shown = list(columns)
    if available > 0:
        while sum(wanted(c) for c in shown) > available:
            candidates = [c for c in shown if c.give_way > 0]
            if not candidates:
                break
            shown.remove(max(candidates, key=lambda c: (c.give_way, shown.index(c))))
    fills = [c for c in shown if c.fill and c.width is None]
    widths: dict[str, int | None] = {c.key: c.width for c in shown}
    if fills and available > 0:
        spare = available - sum(wanted(c) for c in shown if c not in fills)
        spare -= 2 * padding * len(fills)
        total = sum(natural.get(c.key, 0) for c in fills)
        if total > spare:  # the fill columns are cut to share what is left
            given = 0
            for index, column in enumerate(fills):
                own = natural.get(column.key, 0)
                if index == len(fills) - 1:
                    share = spare - given
                else:
                    share = spare * own // total if total else 0
                share = max(min(own, column.min_width), min(own, share))
                widths[column.key] = share
                given += share
    return tuple((c.key, widths[c.key]) for c in shown)


class ResourceTable(DataTable, Generic[Item]):
    """Rows keyed by ``row_key(item)``; ``show`` replaces them and keeps the cursor on its row."""

    def __init__(
        self,
        columns: Sequence[Column[Item]],
        row_key: Callable[[Item], str],
        **kwargs: object,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.columns_spec = tuple(columns)
        self.row_key = row_key
        self.items: list[Item] = []
        #: the key and drawn cells of each row, every column's (what a refresh diffs against)
        self._keys: list[str] = []
        self._cells: list[tuple[str | Text, ...]] = []
        #: the header of each column (a view may change one: a sort mark)
        self._labels: dict[str, str | Text] = {c.key: c.label for c in self.columns_spec}
        #: each column's widest cell
        self._cell_widths: dict[str, int] = {c.key: 0 for c in self.columns_spec}
        #: the columns in the table now, with their widths
        self.column_layout: Layout = ()

    # -- what is shown ----------------------------------------------------------------------

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The keys of the columns on screen, left to right."""
        return tuple(key for key, _ in self.column_layout)

    def cells(self, row_key: str) -> dict[str, str | Text]:
        """Every column's cell of a row (shown or given way), by column key."""
        row = self._cells[self._keys.index(row_key)]
        return {c.key: cell for c, cell in zip(self.columns_spec, row, strict=True)}

    def set_label(self, key: str, label: str | Text) -> None:
        """Change a column's header (shown at once when the column is)."""
        if self._labels.get(key) == label:
            return
        self._labels[key] = label
        if not self._relayout() and key in self.columns:
            self.columns[key].label = shown_line(label)
            self._clear_caches()
            self.refresh()

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    # -- laying out --------------------------------------------------------------------------

    def _natural(self) -> dict[str, int]:
        return {
            c.key: max(text_width(self._labels[c.key]), self._cell_widths[c.key])
            for c in self.columns_spec
        }

    def _fit(self, cells: Sequence[tuple[str | Text, ...]] | None = None) -> Layout:
        """The layout for the table's width and ``cells`` (the rows shown, by default). The
        vertical scrollbar takes its width when the rows are more than the height; rows
        that wrap are measured at the width they would get without it, with a line to spare
        for each wrapped cell (words break early), and the scrollbar counted when those are
        more than the height."""
        cells = self._cells if cells is None else cells
        natural = self._natural()
        width = self.size.width
        if width <= 0:
            return fit_columns(self.columns_spec, natural, 0, self.cell_padding)
        scrollbar = self.styles.scrollbar_size_vertical
        height = self.size.height - self.header_height
        if len(cells) > height:
            width -= scrollbar
        elif any(c.wrap for c in self.columns_spec):
            layout = fit_columns(self.columns_spec, natural, width, self.cell_padding)
            if self._lines(layout, cells) > height:
                width -= scrollbar
        return fit_columns(self.columns_spec, natural, width, self.cell_padding)

    def _lines(self, layout: Layout, cells: Sequence[tuple[str | Text, ...]]) -> int:
        """How many lines ``cells`` take in ``layout``, at most (see ``_fit``)."""
        index = {c.key: n for n, c in enumerate(self.columns_spec)}
        wrapped = [
            (index[key], width)
            for key, width in layout
            if width and self.columns_spec[index[key]].wrap
        ]
        total = 0
        for row in cells:
            lines = 1
            for n, width in wrapped:
                cell = text_width(row[n])
                if cell > width:
                    lines = max(lines, -(-cell // width) + 1)
            total += lines
        return total

    def _wraps(self, layout: Layout) -> bool:
        by_key = {c.key: c for c in self.columns_spec}
        return any(by_key[key].wrap and width is not None for key, width in layout)

    def _shown_cell(self, column: Column[Item], width: int | None, cell: str | Text) -> Any:
        """A cell as drawn in a column that may be narrower than it: wrapped or ended with …"""
        if width is None or not column.fill:
            return cell
        text = shown_line(cell)
        if not isinstance(text, Text):
            return text
        text = text.copy()
        if column.wrap:
            text.no_wrap, text.overflow = False, "fold"
        else:
            text.no_wrap, text.overflow = True, "ellipsis"
        return text

    def _row_cells(self, layout: Layout, row: tuple[str | Text, ...]) -> list[Any]:
        index = {c.key: n for n, c in enumerate(self.columns_spec)}
        return [
            self._shown_cell(self.columns_spec[index[key]], width, row[index[key]])
            for key, width in layout
        ]

    def _apply(self, layout: Layout) -> None:
        """Draw every row in ``layout``; the cursor stays on its item, the scroll in place."""
        previous_key, previous_row = self.cursor_key, self.cursor_row
        scroll_y = self.scroll_y
        if layout != self.column_layout:
            self.clear(columns=True)
            self.column_layout = layout
            for key, width in layout:
                self.add_column(self._labels[key], key=key, width=width)
        else:
            self.clear(columns=False)
        height = None if self._wraps(layout) else 1
        for key, row in zip(self._keys, self._cells, strict=True):
            self.add_row(*self._row_cells(layout, row), key=key, height=height)
        if not self.row_count:
            return
        keys = self._keys
        row = keys.index(previous_key) if previous_key in keys else min(previous_row, len(keys) - 1)
        self.move_cursor(row=row, animate=False, scroll=False)
        self.scroll_to(y=scroll_y, animate=False)

    def _relayout(self) -> bool:
        """Lay the columns out again for the present width; whether anything changed."""
        layout = self._fit()
        if layout == self.column_layout:
            return False
        self._apply(layout)
        return True

    def on_mount(self) -> None:
        self._apply(self._fit())

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    # -- rows ----------------------------------------------------------------------------

    def show(self, items: Sequence[Item]) -> None:
        """Replace every row. The cursor stays on the same item when it is still listed,
        otherwise on the same line number; the scroll position is kept too.

        When the same keys come back in the same order (an auto-refresh where nothing was
        added, removed or re-sorted) and the columns still fit as they are, only the cells
        that changed are redrawn: rebuilding 5,000 rows every ten seconds held the UI thread
        for a noticeable moment."""
        items = list(items)
        keys = [self.row_key(item) for item in items]
        cells = [tuple(column.cell(item) for column in self.columns_spec) for item in items]
        self._cell_widths = {
            column.key: max((text_width(row[n]) for row in cells), default=0)
            for n, column in enumerate(self.columns_spec)
        }
        layout = self._fit(cells)
        same_rows = bool(keys) and keys == self._keys and self.row_count == len(keys)
        if same_rows and layout == self.column_layout and not self._wraps(layout):
            index = {c.key: n for n, c in enumerate(self.columns_spec)}
            for key, old, new in zip(keys, self._cells, cells, strict=True):
                if old == new:
                    continue
                for column_key, width in layout:
                    n = index[column_key]
                    if old[n] != new[n]:
                        column = self.columns_spec[n]
                        self.update_cell(
                            key,
                            column_key,
                            self._shown_cell(column, width, new[n]),
                            update_width=width is None,
                        )
            self.items, self._cells = items, cells
            return
        self.items, self._keys, self._cells = items, keys, cells
        self._apply(layout)
