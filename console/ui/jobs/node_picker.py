"""Pick one node of a multi-node job group (whose log to open)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen

from console.format.jobs import status_text
from console.models import Job, JobGroup
from console.ui.common.literal import Label, Option, OptionList


class NodePickerScreen(ModalScreen[Job | None]):
    """Dismisses with the chosen member job, None on Escape. The cursor starts on rank 0."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="nodepicker.cancel")]

    DEFAULT_CSS = """
    NodePickerScreen { align: center middle; }
    #nodepicker-dialog {
        width: 80; max-width: 100%; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #nodepicker-list { height: auto; max-height: 20; }
    """

    def __init__(self, group: JobGroup, *, purpose: str = "Log of which node?") -> None:
        super().__init__()
        self.group = group
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        with Vertical(id="nodepicker-dialog"):
            yield Label(f"{self.purpose}  ({self.group.name}, {self.group.nodes} nodes)")
            yield OptionList(
                *(
                    Option(f"node {job.spec.node_rank}  {job.host}  {status_text(job)}", id=job.id)
                    for job in self.group.members
                ),
                id="nodepicker-list",
            )

    def on_mount(self) -> None:
        options = self.query_one("#nodepicker-list", OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = next(job for job in self.group.members if job.id == event.option.id)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
