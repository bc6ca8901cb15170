"""One path from a failed worker to what the user sees.

Every widget that runs blocking work in thread workers mixes in ``ReportsWorkerFailures``.
When one of its workers raises, the widget posts ``BackendFailed``; the app has the single
handler that turns it into a notification and, when the widget can show one, an error line
in the widget itself. A backend failure therefore never ends the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.worker import Worker, WorkerState

from console.errors import ConsoleError


@dataclass(frozen=True, slots=True)
class Failure:
    """What a person needs to read about an error: a title, what happened, what to do."""

    title: str
    message: str
    hint: str | None = None

    def one_line(self) -> str:
        text = f"{self.title}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


def describe(error: BaseException) -> Failure:
    """A ConsoleError keeps its own words; anything else is shown by its text and type."""
    if isinstance(error, ConsoleError):
        return Failure(title=error.title, message=error.message, hint=error.hint)
    text = str(error).strip() or type(error).__name__
    return Failure(title=f"Unexpected {type(error).__name__}", message=text)


class BackendFailed(Message):
    """A worker of ``origin_widget`` raised ``error`` (bubbles up to the app)."""

    def __init__(self, origin_widget: object, error: BaseException) -> None:
        super().__init__()
        self.origin_widget = origin_widget
        self.error = error
        self.failure = describe(error)


class ReportsWorkerFailures:
    """Mixin for widgets and screens: forward every failed worker as ``BackendFailed``."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.post_message(BackendFailed(self, event.worker.error))  # type: ignore[attr-defined]
