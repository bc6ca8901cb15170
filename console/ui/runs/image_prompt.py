"""Ask for the picture to predict on: a path on this machine."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from console.ui.common.literal import Label


class ImagePathPrompt(ModalScreen[str | None]):
    """Dismisses with the path typed (Enter) or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="runs.image_cancel")]
    DEFAULT_CSS = """
    ImagePathPrompt { align: center middle; }
    ImagePathPrompt > Vertical { width: 90; max-width: 100%; height: auto; border: round $primary; padding: 1; }
    """

    def __init__(self, question: str, *, default: str = "") -> None:
        super().__init__()
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Input(value=self.default, placeholder="an image on this machine (~/photo.jpg)",
                        id="runs-image-input")  # fmt: skip

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
