"""One line asked of the user on the run screen: the picture to predict on (a path on this
machine), or the hosts a run is relaunched on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input

from console.ui.common.literal import Label


class ImagePathPrompt(ModalScreen[str | None]):
    """Dismisses with the text typed (Enter) or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="runs.image_cancel")]
    DEFAULT_CSS = """
    ImagePathPrompt { align: center middle; }
    ImagePathPrompt > Vertical { width: 90; max-width: 100%; height: auto; border: round $primary; padding: 1; }
    """

    def __init__(self, question: str, *, default: str = "",
                 placeholder: str = "an image on this machine (~/photo.jpg)",
                 detail: str = "", suggester: Suggester | None = None) -> None:  # fmt: skip
        super().__init__()
        self.question = question
        self.default = default
        self.placeholder = placeholder
        self.detail = detail
        #: completes what is typed (a path here, the hosts of a relaunch)
        self.suggester = suggester

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            if self.detail:
                yield Label(self.detail, classes="prompt-detail")
            yield Input(value=self.default, placeholder=self.placeholder,
                        suggester=self.suggester, id="runs-image-input")  # fmt: skip

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
