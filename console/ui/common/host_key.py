"""The question ssh asks on a first connection, asked in the console.

A host presented a key known_hosts does not hold (``UnknownHostKeyError``). The dialog shows
the host as known_hosts names it, the key type and its SHA256 fingerprint (what
``ssh-keygen -lf`` prints, what cloud-init writes to an instance's console output, and what
the Instances view's detail lists), and where an accepted key goes. Nothing is trusted
unless the user presses the accept button: Escape, "Cancel" and closing the dialog write
nothing. Host names and keys come from outside: they are drawn as text, never as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from console.ui.common.literal import Label
from console.ui.common.text import assemble

if TYPE_CHECKING:
    from console.errors import UnknownHostKeyError


class HostKeyScreen(ModalScreen[bool]):
    """Dismisses with True only when "Trust this key" is pressed."""

    DEFAULT_CSS = """
    HostKeyScreen { align: center middle; }
    #host-key-dialog {
        width: 84; max-width: 100%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    #host-key-title { text-style: bold; }
    #host-key-fingerprint { margin: 1 0; }
    #host-key-buttons { height: auto; margin-top: 1; }
    #host-key-buttons Button { margin-right: 2; }
    """

    BINDINGS = [
        Binding(
            "escape",
            "answer(False)",
            "Cancel",
            id="host_key.cancel",
            tooltip="Close without trusting the key (nothing is written)",
        ),
    ]

    def __init__(self, error: UnknownHostKeyError) -> None:
        super().__init__()
        self.error = error
        #: the widgets whose work stopped on this key, run again once it is trusted
        self.waiting: list[object] = []

    def asks_about(self, error: UnknownHostKeyError) -> bool:
        """Whether this dialog already asks about the key of ``error`` (several views may
        meet the same host at once: one question is enough)."""
        return (error.hostname, error.fingerprint) == (self.error.hostname, self.error.fingerprint)

    def compose(self) -> ComposeResult:
        error = self.error
        with Vertical(id="host-key-dialog"):
            yield Label("Unknown SSH host key", id="host-key-title")
            yield Label(
                assemble(
                    "The host ",
                    (error.hostname, "bold"),
                    " presented a key that is not in known_hosts.",
                ),
                id="host-key-host",
            )
            yield Label(
                assemble(
                    (f"{error.key_type} key fingerprint: ", "dim"),
                    (error.fingerprint, "bold"),
                ),
                id="host-key-fingerprint",
            )
            yield Label(
                "Compare it with the fingerprint the host printed (an EC2 instance writes it "
                "to its console output: see the instance's detail). Trust it only if they "
                "are the same.",
                id="host-key-advice",
            )
            where = error.known_hosts_path or "known_hosts"
            yield Label(
                assemble("Trusting it adds the key to ", (where, "bold"), "."),
                id="host-key-where",
            )
            with Horizontal(id="host-key-buttons"):
                yield Button("Trust this key", variant="warning", id="host-key-accept")
                yield Button("Cancel", variant="primary", id="host-key-decline")

    def on_mount(self) -> None:
        # an Enter pressed out of habit must not trust a key
        self.query_one("#host-key-decline").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "host-key-accept")

    def action_answer(self, trust: bool) -> None:
        self.dismiss(trust)
