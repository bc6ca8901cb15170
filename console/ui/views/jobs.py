"""Jobs: not connected to a backend yet, so it says so instead of showing anything made up."""

from __future__ import annotations

from textual.app import ComposeResult

from console.ui.views.base import ConsoleView, EmptyState


class JobsView(ConsoleView):
    view_id = "jobs"
    title = "Jobs"
    aliases = (
        "job",
        "tmux",
    )

    def compose(self) -> ComposeResult:
        yield EmptyState("No jobs yet.", classes="empty-title")
        yield EmptyState(
            "Training jobs started from this console, on any host, will be listed here.",
            classes="empty-detail",
        )
