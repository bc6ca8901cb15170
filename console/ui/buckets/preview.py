"""The start of an S3 object as text, read-only (Escape or q closes), its control characters
shown as escapes; the title gives the object's size and, for a large one, how much of its
start is shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from console.format.files import human_bytes
from console.ui.common.literal import Label, TextArea


class S3PreviewScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="s3.preview_close"),
    ]
    DEFAULT_CSS = """
    S3PreviewScreen { background: $background 60%; }
    S3PreviewScreen #s3-preview-title { height: 1; text-style: bold; }
    S3PreviewScreen TextArea { height: 1fr; }
    """

    def __init__(
        self, where: str, text: str, *, size: int | None = None, shown: int | None = None
    ) -> None:
        super().__init__()
        self.where = where
        self.text = text
        #: the object's size in bytes and how many of them ``text`` holds (None: all)
        self.object_size = size
        self.shown_bytes = shown

    def title_text(self) -> str:
        lines = f"{len(self.text.splitlines()):,} lines"
        if self.object_size is None:
            return f"{self.where}  ({lines}, Esc closes)"
        size = human_bytes(self.object_size)
        if self.shown_bytes is not None and self.shown_bytes < self.object_size:
            first = human_bytes(self.shown_bytes)
            return f"{self.where}  ({size}: its first {first} shown, {lines}; Esc closes)"
        return f"{self.where}  ({size}, {lines}, Esc closes)"

    def compose(self) -> ComposeResult:
        yield Label(self.title_text(), id="s3-preview-title")
        yield TextArea(self.text, read_only=True, id="s3-preview-text")

    def action_close(self) -> None:
        self.dismiss(None)
