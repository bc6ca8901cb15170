"""The text of a small S3 object, read-only (Escape or q closes), its control characters
shown as escapes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

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

    def __init__(self, where: str, text: str) -> None:
        super().__init__()
        self.where = where
        self.text = text

    def compose(self) -> ComposeResult:
        yield Label(
            f"{self.where}  ({len(self.text.splitlines()):,} lines, Esc closes)",
            id="s3-preview-title",
        )
        yield TextArea(self.text, read_only=True, id="s3-preview-text")

    def action_close(self) -> None:
        self.dismiss(None)
