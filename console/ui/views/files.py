"""Files: not connected to a backend yet, so it says so instead of showing anything made up."""

from __future__ import annotations

from textual.app import ComposeResult

from console.ui.views.base import ConsoleView, EmptyState


class FilesView(ConsoleView):
    view_id = "files"
    title = "Files"
    aliases = (
        "file",
        "transfers",
        "cp",
    )

    def compose(self) -> ComposeResult:
        yield EmptyState("No transfers or counts yet.", classes="empty-title")
        yield EmptyState(
            "Copies, counts and unpacking between this machine, hosts and S3 will be listed here.",
            classes="empty-detail",
        )
