"""Destructive actions ask first and are refused in read-only mode.

Views call ``run_destructive`` for anything that cannot be undone (terminate, delete, kill);
it refuses with a notification while the console is read-only, otherwise asks with
``ConfirmScreen`` and runs ``action`` only after a yes.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from console.ui.common.confirm import ConfirmScreen


def require_writable(app: App, what: str) -> bool:
    """True when ``what`` may run; in read-only mode, say it was refused and return False."""
    if getattr(app, "read_only", False):
        app.notify(
            f"{what} was refused: the console is read-only.",
            title="Read-only",
            severity="warning",
        )
        return False
    return True


def run_destructive(
    app: App,
    what: str,
    action: Callable[[], object],
    *,
    detail: str = "",
    typed_confirmation: str | None = None,
) -> None:
    """Ask before ``action``; refuse in read-only mode.

    ``typed_confirmation`` (e.g. an instance's name) must be typed exactly to confirm, for
    actions whose consequences are large (terminate).
    """
    if not require_writable(app, what):
        return

    def on_answer(confirmed: bool | None) -> None:
        if confirmed:
            action()

    app.push_screen(
        ConfirmScreen(what, detail=detail, typed_confirmation=typed_confirmation),
        callback=on_answer,
    )
