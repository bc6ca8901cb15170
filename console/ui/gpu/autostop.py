"""Autostop in the console: one thread worker of the app runs the backend's autostopper.

The deciding is pure backend logic (``console.gpu.autostop.AutoStopPolicy``) and the
listing, streaming and stopping a backend loop (``console.services.autostop``), reached
through ``services.monitors.autostopper``; this module only starts that loop while the
console is open, turns its reports into notifications and leaves its status for the
header and the GPU view to draw. So the UI holds no autostop logic and no boto3, and the
loop is tested without a screen.

- Off (``[idle] autostop_minutes = 0``, the default): no worker, nothing shown.
- Started ``--read-only``: no worker (nothing could be stopped); the header says
  "autostop off (read-only)". Locked with ctrl+l midway: the worker goes on watching but
  the policy decides nothing and the guard refuses any stop; unlocked, it stops again.
- Quitting cancels the worker: the loop runs in a daemon thread
  (``call_until_cancelled``), so a listing stuck on a dead network never holds up the exit,
  and the cancellation event closes every nvidia-smi stream it opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import get_current_worker

from console.format.autostop import autostop_failed_text, autostop_stopped_text
from console.models import AutoStopReport, AutoStopReportKind
from console.ui.common.background import Abandoned, call_until_cancelled
from console.ui.common.failures import BackendFailed

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import AutoStopHandle, Services

#: the worker's name and group
WORKER = "autostop"


class AutoStopReported(Message):
    """The autostopper stopped an instance, failed to, or cannot list the instances."""

    def __init__(self, report: AutoStopReport) -> None:
        super().__init__()
        self.report = report


def autostop_wanted(services: Services, started_read_only: bool) -> bool:
    """Whether the console should run the autostopper: it is set, and changes are allowed
    at all this session."""
    return services.settings.idle.autostop_minutes > 0 and not started_read_only


def start_autostop(app: Any) -> None:
    """Run the autostopper in a thread worker of ``app`` (which gets ``app.autostop``, the
    handle, once it is built, and ``AutoStopReported`` messages)."""
    app.run_worker(
        lambda: run_autostop(app),
        name=WORKER,
        group=WORKER,
        thread=True,
        exclusive=True,
        exit_on_error=False,
    )


def run_autostop(app: Any) -> None:
    """The worker: build the autostopper and run it until the worker is cancelled."""
    worker = get_current_worker()
    cancelled = worker.cancelled_event
    try:
        handle: AutoStopHandle = app.services.monitors.autostopper(
            cancel=cancelled, on_report=lambda report: app.post_message(AutoStopReported(report))
        )
        app.autostop = handle
        call_until_cancelled(handle.run, cancelled, name="autostop-loop")
    except Abandoned:
        return
    except Exception as error:  # noqa: BLE001 - shown by the app's one failure handler
        app.post_message(BackendFailed(app, error))


def report_notification(report: AutoStopReport) -> tuple[str, str]:
    """(message, severity) of the notification for ``report``; its title is "Autostop"."""
    decision = report.decision
    if report.kind is AutoStopReportKind.STOPPED and decision is not None:
        return autostop_stopped_text(decision), "warning"
    if report.kind is AutoStopReportKind.STOP_FAILED and decision is not None:
        return autostop_failed_text(decision, report.message), "error"
    return (
        f"Cannot list the instances: {report.message} Autostop tries again with the next "
        "listing; no instance is stopped meanwhile.",
        "error",
    )
