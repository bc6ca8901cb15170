"""The ``:`` prompt: type a view name (completed as you type), Enter jumps, Escape closes."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input


class JumpPrompt(Input):
    BINDINGS = [
        Binding("escape", "close", "Close", id="jump.close"),
        Binding("tab", "complete", "Complete", id="jump.complete", priority=True),
    ]

    class Jump(Message):
        """The user asked to jump to ``word`` (not yet resolved to a view)."""

        def __init__(self, word: str) -> None:
            super().__init__()
            self.word = word

    class Closed(Message):
        """Closed without jumping (Escape)."""

    def __init__(self, words: Iterable[str], **kwargs: object) -> None:
        super().__init__(
            placeholder="view name (Tab completes, Enter jumps, Escape closes)",
            suggester=SuggestFromList(list(words), case_sensitive=False),
            **kwargs,  # type: ignore[arg-type]
        )

    def open(self) -> None:
        self.value = ""
        self.display = True
        self.focus()

    def action_close(self) -> None:
        self._hide()
        self.post_message(self.Closed())

    def _hide(self) -> None:
        self.value = ""
        self.display = False

    def action_complete(self) -> None:
        """Accept the suggestion shown after the cursor."""
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        word = self.value
        self._hide()
        self.post_message(self.Jump(word))
