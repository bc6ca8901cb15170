"""Ask for a local path (the other side of a download or an upload)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input

from console.ui.common.literal import Label


class S3PathPrompt(ModalScreen[str | None]):
    """Dismisses with the path typed (Enter) or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="s3.path_cancel")]
    DEFAULT_CSS = """
    S3PathPrompt { align: center middle; }
    S3PathPrompt > Vertical { width: 80; max-width: 100%; height: auto; border: round $primary; padding: 1; }
    """

    def __init__(
        self, question: str, *, default: str = "", suggester: Suggester | None = None
    ) -> None:
        super().__init__()
        self.question = question
        self.default = default
        #: completes the path typed (the folders of this machine)
        self.suggester = suggester

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Input(value=self.default, placeholder="path on this machine",
                        suggester=self.suggester, id="s3-path-input")  # fmt: skip

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
