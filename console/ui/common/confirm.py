"""A yes/no question before something that cannot be undone.

The question usually names what it acts on (an instance's Name tag, a job, an S3 key): it is
shown as written, never read as markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from console.format.terminal import visible
from console.ui.common.literal import Label
from console.ui.common.text import assemble


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes (and the exact text, when one is asked)."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes", show=False),
        Binding("n", "answer(False)", "No", id="confirm.no", show=False),
    ]

    def __init__(self, what: str, *, detail: str = "", typed_confirmation: str | None = None):
        super().__init__()
        self.what = what
        self.detail = detail
        self.typed_confirmation = typed_confirmation

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(f"{self.what}?", id="confirm-question")
            if self.detail:
                yield Label(self.detail, id="confirm-detail")
            if self.typed_confirmation is not None:
                yield Label(
                    assemble("Type ", (self.typed_confirmation, "bold"), " to confirm:"),
                    id="confirm-typed-label",
                )
                yield Input(id="confirm-typed")
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes", variant="error", id="confirm-yes")
                yield Button("No", variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        target = "#confirm-typed" if self.typed_confirmation is not None else "#confirm-no"
        self.query_one(target).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "confirm-yes")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_answer(True)

    def action_answer(self, yes: bool) -> None:
        if yes and self.typed_confirmation is not None:
            typed = self.query_one("#confirm-typed", Input).value
            # a name with control characters is shown with escapes (\x1b…): typing what is
            # shown confirms too, as the name itself cannot be typed
            if typed not in (self.typed_confirmation, visible(self.typed_confirmation)):
                self.notify(
                    f"Type '{visible(self.typed_confirmation)}' exactly to confirm.",
                    title="Not confirmed",
                    severity="warning",
                )
                return
        self.dismiss(yes)
