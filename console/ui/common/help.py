"""``?``: every key of the current view and the global ones, as the keymap has them now."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from console.ui.common.bindings_info import BindingEntry
from console.ui.common.literal import DataTable, Label


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
            table: DataTable = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("Where", "Keys", "Action", "What it does")
            for entry in self.entries:
                table.add_row(entry.group, ", ".join(entry.keys), entry.description, entry.help)
            yield table

    def action_close(self) -> None:
        self.dismiss(None)
