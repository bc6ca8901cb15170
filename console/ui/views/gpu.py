"""GPU: not connected to a backend yet, so it says so instead of showing anything made up."""

from __future__ import annotations

from textual.app import ComposeResult

from console.ui.views.base import ConsoleView, EmptyState


class GpuView(ConsoleView):
    view_id = "gpu"
    title = "GPU"
    aliases = (
        "gpus",
        "nvidia-smi",
        "smi",
    )

    def compose(self) -> ComposeResult:
        yield EmptyState("No GPU readings yet.", classes="empty-title")
        yield EmptyState(
            "Utilisation, memory and processes of the GPUs on a host will show here.",
            classes="empty-detail",
        )
