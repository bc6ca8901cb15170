"""Jupyter opened on a host: its URL with the token (on 127.0.0.1), how it is reached, and
the job that runs it. Escape or q closes it; the server and the forward keep running (the
forward until the console quits). The URL is copied to the clipboard when the dialog opens
(OSC 52: it works in tmux and over ssh) and again with ``c``.

``open_jupyter`` is the one ``j`` of every view that knows a host (Instances, Jobs, GPU).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen

from console.models import JupyterLink
from console.ui.common.guards import require_writable
from console.ui.common.literal import Label, Static
from console.ui.common.text import lines


def open_jupyter(view: Any, target: str, label: str) -> None:
    """``j``: Jupyter on ``target`` (an instance id, ssh alias or "local"; ``label`` is what
    the user calls it): the server running there or one started as a job, its port
    forwarded here (``services.jobs.jupyter``, in a thread worker of ``view``, whose failure
    the view reports); then the dialog. Refused read-only (it may start a job)."""
    if not require_writable(view.app, "Opening Jupyter (it may start a job)"):
        return
    jobs = view.services.jobs
    view.notify(f"Opening Jupyter on {label}…", title="Jupyter")

    def opened(link: JupyterLink) -> None:
        view.last_jupyter = link
        view.app.push_screen(JupyterLinkScreen(link))

    def work() -> None:
        link = jobs.jupyter(target)
        view.app.call_from_thread(opened, replace(link, target=label))

    view.run_worker(work, name="jupyter", group="jupyter", thread=True, exit_on_error=False)


def link_text(link: JupyterLink) -> str:
    how = (f"Forwarded: {link.forward} (ends when the console quits)" if link.forward else
           f"The server runs on this machine, port {link.server_port}.")  # fmt: skip
    started = (f"Started as job {link.job_id} (Jobs view: its log; k ends it)." if link.job_id
               else "It was running already.")  # fmt: skip
    return "\n".join((link.url, "", how, started,
                      "Open the URL in a browser on this machine (copied: c copies again)."))  # fmt: skip


class JupyterLinkScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="jupyter.close"),
        Binding("c", "copy", "Copy URL", id="jupyter.copy"),
    ]
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

    def on_mount(self) -> None:
        self.action_copy()

    def action_copy(self) -> None:
        """The URL to the clipboard of the terminal (OSC 52), as the presigned URL dialog."""
        self.app.copy_to_clipboard(self.link.url)

    def action_close(self) -> None:
        self.dismiss(None)
