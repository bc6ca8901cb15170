"""Jupyter opened on a host: its URL with the token (on 127.0.0.1), how it is reached, and
the job that runs it. Escape or q closes it; the server and the forward keep running (the
forward until the console quits)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen

from console.models import JupyterLink
from console.ui.common.literal import Label, Static
from console.ui.common.text import lines


def link_text(link: JupyterLink) -> str:
    how = (f"Forwarded: {link.forward} (ends when the console quits)" if link.forward else
           f"The server runs on this machine, port {link.server_port}.")  # fmt: skip
    started = (f"Started as job {link.job_id} (Jobs view: its log; k ends it)." if link.job_id
               else "It was running already.")  # fmt: skip
    return "\n".join((link.url, "", how, started, "Open the URL in a browser on this machine."))


class JupyterLinkScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="jupyter.close")]
    DEFAULT_CSS = """
    JupyterLinkScreen { align: center middle; }
    JupyterLinkScreen > Vertical { width: 100; max-width: 100%; height: auto;
        border: round $accent; padding: 1 2; background: $surface; }
    JupyterLinkScreen #jupyter-title { text-style: bold; }
    """

    def __init__(self, link: JupyterLink) -> None:
        super().__init__()
        self.link = link

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(lines((f"Jupyter on {self.link.target}", "bold")), id="jupyter-title")
            yield Static(link_text(self.link), id="jupyter-link")

    def action_close(self) -> None:
        self.dismiss(None)
