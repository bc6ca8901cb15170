"""One path from a failed worker to what the user sees.

Every widget that runs blocking work in thread workers mixes in ``ReportsWorkerFailures``.
When one of its workers raises, the widget posts ``BackendFailed``; the app has the single
handler that turns it into a notification and, when the widget can show one, an error line
in the widget itself. A backend failure therefore never ends the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.worker import Worker, WorkerState

from console.errors import ConsoleError, UnknownHostKeyError
from console.ui.common.host_key import HostKeyScreen


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


# --- an unknown host key: ssh's first-connection question ----------------------------------

#: what a widget may offer to run its failed work again, first found wins: ``retry()``, a
#: view's ``action_reload()``, a Files panel's ``start()`` (it reads its form again)
RETRY_METHODS = ("retry", "action_reload", "start")


def offer_to_trust_host_key(app: Any, event: BackendFailed) -> bool:
    """For an unknown host key the user may accept, ask (``HostKeyScreen``) instead of only
    reporting it; True when the failure was taken care of here.

    The widget still shows the failure in its own line. On "trust", the key is added to the
    known_hosts file that was checked (``services.hosts.trust_host_key``, in a thread) and
    every widget that stopped on it runs its work again; on "cancel" nothing is written.
    """
    error = event.error
    if not isinstance(error, UnknownHostKeyError) or not error.acceptable:
        return False
    show_failure = getattr(event.origin_widget, "show_failure", None)
    if callable(show_failure):
        show_failure(event.failure)
    for screen in app.screen_stack:
        if isinstance(screen, HostKeyScreen) and screen.asks_about(error):
            screen.waiting.append(event.origin_widget)
            return True
    dialog = HostKeyScreen(error)
    dialog.waiting.append(event.origin_widget)
    app.push_screen(dialog, callback=lambda trust: _answered(app, dialog, bool(trust)))
    return True


def _answered(app: Any, dialog: Any, trust: bool) -> None:
    error: UnknownHostKeyError = dialog.error
    if not trust:
        app.notify(
            f"The key of {error.hostname} was not trusted: nothing was written.",
            title="SSH host key",
            severity="warning",
        )
        return

    def work() -> None:
        try:
            app.services.hosts.trust_host_key(error)
        except Exception as exc:  # noqa: BLE001 - shown by the one failure handler
            app.post_message(BackendFailed(app, exc))
            return
        app.call_from_thread(_trusted, app, error, list(dialog.waiting))

    app.run_worker(work, name="trust-host-key", group="host-key", thread=True)


def _trusted(app: Any, error: UnknownHostKeyError, waiting: list[object]) -> None:
    where = error.known_hosts_path or "known_hosts"
    app.notify(
        f"{error.hostname} ({error.fingerprint}) is trusted: its key was added to {where}.",
        title="SSH host key",
    )
    for widget in waiting:
        if not getattr(widget, "is_mounted", True):
            continue  # its screen was closed meanwhile
        for name in RETRY_METHODS:
            retry = getattr(widget, name, None)
            if callable(retry):
                retry()
                break
