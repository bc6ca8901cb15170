"""A DataTable described by a list of columns, that keeps its cursor across refreshes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.text import Text

from console.ui.common.literal import DataTable

Item = TypeVar("Item")


@dataclass(frozen=True)
class Column(Generic[Item]):
    """One column: its key, its header and how a cell is drawn from an item."""

    key: str
    label: str
    cell: Callable[[Item], str | Text]
    width: int | None = None


def blank_if_none(value: object) -> str:
    return "" if value is None else str(value)


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
        #: the key and drawn cells of each row (what an unchanged-order refresh diffs against)
        self._keys: list[str] = []
        self._cells: list[tuple[str | Text, ...]] = []

    def on_mount(self) -> None:
        for column in self.columns_spec:
            self.add_column(column.label, key=column.key, width=column.width)

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, items: Sequence[Item]) -> None:
        """Replace every row. The cursor stays on the same item when it is still listed,
        otherwise on the same line number; the scroll position is kept too.

        When the same keys come back in the same order (an auto-refresh where nothing was
        added, removed or re-sorted), only the cells that changed are redrawn: rebuilding
        5,000 rows every ten seconds held the UI thread for a noticeable moment."""
        items = list(items)
        keys = [self.row_key(item) for item in items]
        cells = [tuple(column.cell(item) for column in self.columns_spec) for item in items]
        if keys and keys == self._keys and self.row_count == len(keys):
            for key, old, new in zip(keys, self._cells, cells, strict=True):
                if old == new:
                    continue
                for column, was, now in zip(self.columns_spec, old, new, strict=True):
                    if was != now:
                        self.update_cell(key, column.key, now, update_width=column.width is None)
            self.items, self._cells = items, cells
            return
        previous_key, previous_row = self.cursor_key, self.cursor_row
        scroll_y = self.scroll_y
        self.items, self._keys, self._cells = items, keys, cells
        self.clear(columns=False)
        for key, row in zip(keys, cells, strict=True):
            self.add_row(*row, key=key)
        if not self.row_count:
            return
        row = keys.index(previous_key) if previous_key in keys else min(previous_row, len(keys) - 1)
        self.move_cursor(row=row, animate=False, scroll=False)
        self.scroll_to(y=scroll_y, animate=False)
