"""``?``: every key of the current view and the global ones, as the keymap has them now.

What a key does takes the width the other columns leave and wraps; on a narrow screen the
"Where" column gives way first (the rows keep their order: the view's keys, then the
global ones).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from console.ui.common.bindings_info import BindingEntry
from console.ui.common.literal import Label
from console.ui.common.resource_table import Column, ResourceTable

#: a row: the entry and its place in the list
Row = tuple[int, BindingEntry]

HELP_COLUMNS: tuple[Column[Row], ...] = (
    Column("where", "Where", lambda row: row[1].group, give_way=2),
    Column("keys", "Keys", lambda row: ", ".join(row[1].keys)),
    Column("action", "Action", lambda row: row[1].description),
    Column("help", "What it does", lambda row: row[1].help, give_way=1, fill=True, wrap=True,
           min_width=30),
)  # fmt: skip


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding(
            "question_mark", "close", "Close", id="help.close_again", key_display="?", show=False
        ),
        Binding("q", "close", "Close", id="help.close_q", show=False),
    ]

    def __init__(self, entries: Sequence[BindingEntry]) -> None:
        super().__init__()
        self.entries = list(entries)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Label("Keys  (Escape closes)", id="help-title")
            yield ResourceTable(HELP_COLUMNS, row_key=lambda row: str(row[0]), id="help-table")

    def on_mount(self) -> None:
        self.query_one("#help-table", ResourceTable).show(list(enumerate(self.entries)))

    def action_close(self) -> None:
        self.dismiss(None)
