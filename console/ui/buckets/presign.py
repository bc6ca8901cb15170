"""A presigned URL for one object: its expiry chosen, the URL in a field one can select,
and copied to the clipboard with OSC 52 (the terminal's clipboard, over ssh too; tmux
passes it on with ``set -g set-clipboard on``).

The URL is signed for the default expiry as the dialog opens, and again whenever another
expiry is chosen; each new URL is copied. Signing is local (one HEAD checks the object):
``aws s3 presign s3://B/KEY --expires-in N``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from console.errors import ConsoleError
from console.ui.common.failures import describe
from console.ui.common.literal import Label, Select, TextArea

if TYPE_CHECKING:
    from console.services.protocols import S3Backend

#: the expiries offered, in seconds (S3 allows up to 7 days for a SigV4 URL)
EXPIRIES = (
    ("15 minutes", 15 * 60),
    ("1 hour", 3600),
    ("12 hours", 12 * 3600),
    ("1 day", 24 * 3600),
    ("7 days", 7 * 24 * 3600),
)
DEFAULT_EXPIRY = 3600
CLIPBOARD_NOTE = "copied to the clipboard (OSC 52; in tmux: set -g set-clipboard on)"


class S3PresignScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="s3.presign_close"),
        Binding("c", "copy", "Copy again", id="s3.presign_copy"),
    ]
    DEFAULT_CSS = """
    S3PresignScreen { align: center middle; }
    S3PresignScreen #presign-dialog { width: 90%; max-width: 120; height: auto;
                                      border: thick $accent; background: $surface; padding: 1 2; }
    S3PresignScreen #presign-title { text-style: bold; }
    S3PresignScreen #presign-url { height: 6; }
    S3PresignScreen #presign-note.error { color: $error; }
    S3PresignScreen #presign-buttons { height: auto; margin-top: 1; }
    S3PresignScreen #presign-buttons Button { margin-right: 2; }
    """

    def __init__(
        self, s3: S3Backend, bucket: str, key: str, *, on_signed: Callable[[str], None]
    ) -> None:
        super().__init__()
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        self.on_signed = on_signed
        #: the URL shown (None until signed) and the expiry it was signed for
        self.url: str | None = None
        self.expires: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="presign-dialog"):
            yield Label(f"Presigned URL for s3://{self.bucket}/{self.key}", id="presign-title")
            yield Select(
                [(words, seconds) for words, seconds in EXPIRIES],
                value=DEFAULT_EXPIRY,
                allow_blank=False,
                prompt="valid for",
                id="presign-expiry",
            )
            yield TextArea("", read_only=True, soft_wrap=True, id="presign-url")
            yield Label("Signing…", id="presign-note")
            with Horizontal(id="presign-buttons"):
                yield Button("Copy again", variant="primary", id="presign-copy")
                yield Button("Close", id="presign-close")

    def on_mount(self) -> None:
        self.sign(DEFAULT_EXPIRY)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and event.value != self.expires:
            self.sign(int(event.value))

    def sign(self, expires: int) -> None:
        """Sign in a thread worker (the HEAD request must not block the screen)."""
        s3, bucket, key = self.s3, self.bucket, self.key
        self.note("Signing…")

        def work() -> None:
            try:
                url = s3.presign(bucket, key, expires)
            except ConsoleError as error:
                self.app.call_from_thread(self.note, describe(error).one_line(), error=True)
                return
            self.app.call_from_thread(self.show_url, url, expires)

        self.run_worker(work, name="s3-presign", group="s3-presign", thread=True, exclusive=True)

    def show_url(self, url: str, expires: int) -> None:
        self.url, self.expires = url, expires
        self.query_one("#presign-url", TextArea).load_text(url)
        self.app.copy_to_clipboard(url)
        self.on_signed(url)
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires)
        words = next(w for w, seconds in EXPIRIES if seconds == expires)
        self.note(f"Valid for {words}, until {until:%Y-%m-%d %H:%M} UTC; {CLIPBOARD_NOTE}.")

    def note(self, text: str, *, error: bool = False) -> None:
        label = self.query_one("#presign-note", Label)
        label.set_class(error, "error")
        label.update(text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "presign-copy":
            self.action_copy()
        else:
            self.action_close()

    def action_copy(self) -> None:
        if self.url is not None:
            self.app.copy_to_clipboard(self.url)
            self.notify(CLIPBOARD_NOTE.capitalize() + ".", title="Presigned URL")

    def action_close(self) -> None:
        self.dismiss(None)
