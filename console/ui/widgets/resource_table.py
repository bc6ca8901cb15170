"""A DataTable described by a list of columns, that keeps its cursor across refreshes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.text import Text
from textual.widgets import DataTable

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
        otherwise on the same line number; the scroll position is kept too."""
        previous_key, previous_row = self.cursor_key, self.cursor_row
        scroll_y = self.scroll_y
        self.items = list(items)
        self.clear(columns=False)
        for item in self.items:
            self.add_row(
                *(column.cell(item) for column in self.columns_spec), key=self.row_key(item)
            )
        if not self.row_count:
            return
        keys = [self.row_key(item) for item in self.items]
        row = keys.index(previous_key) if previous_key in keys else min(previous_row, len(keys) - 1)
        self.move_cursor(row=row, animate=False, scroll=False)
        self.scroll_to(y=scroll_y, animate=False)
