"""Is this host ready to train? The checks of ``awsconsole doctor HOST`` in a panel.

The checks run in a thread worker (importing torch on a host takes a while); each row is a
pass/fail mark, the check, what was found and how to fix a failure. What was found and the
fix share the width the mark and the check leave, and wrap onto more lines: a fix is read
whole at any width, never cut at the dialog's edge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.worker import get_current_worker

from console.models import DoctorCheck
from console.ui.common.background import Abandoned, call_until_cancelled
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.literal import Label
from console.ui.common.resource_table import Column, ResourceTable

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services

PASS = Text("✓ pass", style="bold green")
FAIL = Text("✗ FAIL", style="bold red")

#: a row: the check and its place in the list (two checks may share a name)
Row = tuple[int, DoctorCheck]

DOCTOR_COLUMNS: tuple[Column[Row], ...] = (
    Column("mark", "", lambda row: PASS if row[1].ok else FAIL),
    Column("check", "Check", lambda row: row[1].name),
    Column("found", "Found", lambda row: row[1].found, fill=True, wrap=True),
    Column("fix", "Fix", lambda row: row[1].hint, fill=True, wrap=True),
)


class DoctorScreen(ReportsWorkerFailures, ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss_doctor", "Close", id="doctor.close"),
        Binding("r", "rerun", "Check again", id="doctor.rerun"),
    ]

    DEFAULT_CSS = """
    DoctorScreen {
        align: center middle;
    }
    #doctor-dialog {
        width: 95%;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    #doctor-title {
        text-style: bold;
    }
    #doctor-status.error {
        color: $error;
    }
    #doctor-table {
        height: 1fr;
    }
    """

    class Checked(Message):
        def __init__(self, checks: list[DoctorCheck]) -> None:
            super().__init__()
            self.checks = checks

    def __init__(self, services: Services, target: str) -> None:
        super().__init__()
        self.services = services
        self.target = target
        #: the checks shown (None until they came back)
        self.checks: list[DoctorCheck] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="doctor-dialog"):
            yield Label(f"Doctor: is {self.target} ready to train?", id="doctor-title")
            yield Label("", id="doctor-status")
            yield ResourceTable(DOCTOR_COLUMNS, row_key=lambda row: str(row[0]), id="doctor-table")

    def on_mount(self) -> None:
        self.action_rerun()

    def action_rerun(self) -> None:
        self.query_one("#doctor-status", Label).update(f"Checking {self.target}…")
        self.query_one("#doctor-status", Label).set_class(False, "error")
        self._check()

    @work(thread=True, group="doctor", exclusive=True, exit_on_error=False)
    def _check(self) -> None:
        worker = get_current_worker()

        def checks() -> list[DoctorCheck]:
            return self.services.monitors.doctor(self.target)

        try:
            result = call_until_cancelled(checks, worker.cancelled_event, name="doctor")
        except Abandoned:
            return
        if not worker.is_cancelled:
            self.post_message(self.Checked(result))

    def on_doctor_screen_checked(self, message: Checked) -> None:
        self.checks = message.checks
        self.query_one("#doctor-table", ResourceTable).show(list(enumerate(message.checks)))
        failed = sum(1 for c in message.checks if not c.ok)
        status = self.query_one("#doctor-status", Label)
        status.set_class(bool(failed), "error")
        status.update(
            f"{len(message.checks)} checks, all passed."
            if not failed
            else f"{failed} of {len(message.checks)} checks failed: see Fix."
        )

    def show_failure(self, failure: Failure) -> None:
        """The host could not be checked at all (unreachable): say so in the panel."""
        status = self.query_one("#doctor-status", Label)
        status.set_class(True, "error")
        status.update(f"{failure.one_line()}  (press r to try again)")

    def action_dismiss_doctor(self) -> None:
        self.workers.cancel_group(self, "doctor")
        self.dismiss(None)
