"""Transfers: the copy queue of ``awsconsole cp`` — add SRC → DST, watch, pause, cancel.

The engine (``console.files.transfer.engine.TransferEngine``) runs the copies in its own threads;
this panel only submits specs (from a thread worker: resolving a host may block) and, on a
timer while something is queued or running, reads each handle's progress and redraws.

Every row says its state in the words of ``console.format.files`` (queued, running, paused,
done, skipped, failed: REASON, cancelled; "done, 2 refused" for a folder whose refused names
were left out), and its bar shows the bytes really moved: a failed copy never shows a full
bar. A copy between a host and S3 runs as a job there and stays running until the job ends.
The line above the queue counts the rows apart by state. A failed transfer is reported once
through the app's failure handler, and stays — in its row and, with its whole reason, in the
box under the queue — until it is dismissed (``d`` on its row: any finished row goes away).

Names inside a copied folder that the containment rule refused (an S3 key with ``..``, a
link on the way that leads out) are counted in the STATE column and listed, name and
reason, under the queue for the selected transfer: as plain text, whatever they hold.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, ProgressBar, Switch
from textual.worker import get_current_worker

from console.errors import ConsoleError
from console.format.files import (
    human_bytes,
    human_eta,
    human_rate,
    transfer_bar,
    transfer_state_text,
    transfer_style,
    transfer_totals_text,
)
from console.models import Policy, TransferProgress, TransferResult, TransferSpec, TransferState
from console.models.files import TransferTotals
from console.ui.common.completion import PathSuggester
from console.ui.common.failures import BackendFailed, Failure
from console.ui.common.guards import require_writable, run_destructive
from console.ui.common.literal import DataTable, Label, Select, Static
from console.ui.common.quit import ActiveWork
from console.ui.common.text import assemble, lines, literal
from console.ui.files.backends import transfer_engine_for
from console.ui.files.panel import FilesPanel

if TYPE_CHECKING:
    from console.services import Services

REDRAW_SECONDS = 0.25
#: the engine's existing-file policies (``console.files.transfer.engine.Policy`` values)
POLICIES = (
    ("skip identical", "skip"),
    ("overwrite", "overwrite"),
    ("keep both", "keep-both"),
)
#: refused names listed under the queue (the CLI's --json has them all)
MAX_REFUSED_SHOWN = 20
#: characters of a state (with its reason) in the STATE column; the box under the queue
#: has the whole reason
MAX_STATE_CELL = 60
COLUMNS = ("ID", "SOURCE", "DESTINATION", "STATE", "PROGRESS", "BYTES", "RATE", "ETA")


class TransferFailed(ConsoleError):
    title = "Transfer"


def state_cell(progress: TransferProgress) -> Text:
    """The STATE cell: the state's words (cut to ``MAX_STATE_CELL``) in its colour."""
    words = transfer_state_text(progress)
    if len(words) > MAX_STATE_CELL:
        words = words[: MAX_STATE_CELL - 1] + "…"
    return literal(words, transfer_style(progress))


def failures_text(results: list[TransferResult]) -> Any:
    """The failed transfers still shown, each with its whole reason (and what to do)."""
    rows: list[Any] = []
    for result in results:
        reason = (result.error or "no reason given").splitlines()
        rows.append(
            assemble(
                (f"Transfer {result.transfer_id} failed: ", "bold red"),
                result.source,
                " → ",
                result.destination,
            )
        )
        rows += [assemble("  ", line) for line in reason]
    rows.append(assemble("d on a row dismisses it.", style="dim"))
    return lines(*rows)


def refused_text(result: TransferResult) -> Any:
    """The refused names of a finished transfer, one per line with its reason, as text
    (a name is shown as it is written: no markup, control characters as escapes)."""
    shown = result.refused[:MAX_REFUSED_SHOWN]
    rows = [
        assemble(
            f"Transfer {result.transfer_id}: {len(result.refused)} name(s) refused, "
            "not written (the rest was copied):",
            style="bold",
        )
    ]
    rows += [assemble("  ", refused.name, ("  — ", "dim"), refused.reason) for refused in shown]
    if len(result.refused) > len(shown):
        rows.append(assemble(f"  … and {len(result.refused) - len(shown)} more", style="dim"))
    return lines(*rows)


def bytes_cell(progress: TransferProgress) -> str:
    """Bytes done of the total; a copy run as a job on its host (``aws s3 cp`` there)
    reports no bytes here, and its row says so instead of "0 B / 0 B"."""
    if progress.job_id and not progress.bytes_total:
        return "in job's log"
    return f"{human_bytes(progress.bytes_done)} / {human_bytes(progress.bytes_total)}"


class TransferPanel(FilesPanel):
    DEFAULT_CSS = """
    TransferPanel #transfer-policy { width: 24; }
    TransferPanel #transfer-overall-bar { padding: 0 1; }
    TransferPanel #transfer-queue { height: 1fr; }
    TransferPanel #transfer-refused { max-height: 12; overflow-y: auto; padding: 0 1; }
    TransferPanel #transfer-failures {
        height: auto; max-height: 10; overflow-y: auto; padding: 0 1; color: $error;
    }
    """
    WORKER_GROUP = "files-transfer-submit"
    STATUS_ID = "transfer-status"
    SUBMIT_INPUTS = ("transfer-source", "transfer-destination")
    FORM_NAME = "files-transfer"
    REMEMBERED = ("transfer-source", "transfer-destination", "transfer-recursive",
                  "transfer-policy")  # fmt: skip

    class Submitted(Message):
        def __init__(self, handle: Any) -> None:
            super().__init__()
            self.handle = handle

    def __init__(self, services: Services, **options) -> None:
        super().__init__(services, **options)
        self.engine: Any = None
        #: the transfers shown (a dismissed one leaves this list)
        self.handles: list[Any] = []
        self._reported: set[int] = set()
        #: the failures of transfers reported to the app (they come back to show_failure)
        self._transfer_failures: set[Failure] = set()
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="files-form"):
            yield Input(
                self.initial("transfer-source"),
                placeholder="SRC: path, HOST:path, s3://…",
                tooltip="What to copy: a path here, HOST:path on a host, or s3://bucket/key",
                suggester=PathSuggester(self.services, locations=True),
                id="transfer-source",
            )
            yield Input(self.initial("transfer-destination"),
                        placeholder="DST — Enter adds to the queue", id="transfer-destination",
                        suggester=PathSuggester(self.services, locations=True))  # fmt: skip
        with Horizontal(classes="files-form"):
            yield Label("folder (recursive)")
            yield Switch(value=self.initial_switch("transfer-recursive", True),
                         id="transfer-recursive")  # fmt: skip
            policy = self.initial_choice("transfer-policy", (v for _, v in POLICIES), "skip")
            yield Select(POLICIES, value=policy, allow_blank=False, id="transfer-policy")
        yield self.status_line("No transfers yet.")
        yield ProgressBar(id="transfer-overall-bar", show_eta=False)
        yield DataTable(id="transfer-queue", cursor_type="row", zebra_stripes=True)
        failures = Static("", id="transfer-failures")
        failures.display = False
        yield failures
        refused = Static("", id="transfer-refused")
        refused.display = False
        yield refused

    def on_mount(self) -> None:
        table = self.query_one("#transfer-queue", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self._timer = self.set_interval(REDRAW_SECONDS, self.redraw, pause=True)

    def on_unmount(self) -> None:
        # the engine's threads are daemons: stop their copies cleanly (temporary names go);
        # a copy running as a job on a host goes on there
        for handle in self.handles:
            handle.detach()

    # -- adding ----------------------------------------------------------------------------

    def start(self) -> None:
        self.add()

    def add(self) -> None:
        """Queue SRC → DST (overwriting asks first; nothing is written in read-only mode)."""
        self.remember_fields()
        source = self.value_of("transfer-source")
        destination = self.value_of("transfer-destination")
        if not source or not destination:
            missing = "SRC" if not source else "DST"
            self.refuse(TransferFailed(f"Type both SRC and DST: {missing} is empty."))
            return
        recursive = self.query_one("#transfer-recursive", Switch).value
        policy = str(self.query_one("#transfer-policy", Select).value)
        what = f"Copy {source} → {destination}"
        submit = partial(self._start_submit, source, destination, recursive, policy)
        if policy == "overwrite":
            run_destructive(
                self.app, what, submit, detail="Existing files at DST will be overwritten."
            )
        elif require_writable(self.app, what):
            submit()

    def _start_submit(self, source: str, destination: str, recursive: bool, policy: str) -> None:
        self.run_worker(
            partial(self._submit, source, destination, recursive, policy),
            name=f"transfer {source}",
            group=self.WORKER_GROUP,
            thread=True,
            exit_on_error=False,
        )

    def _submit(self, source: str, destination: str, recursive: bool, policy: str) -> None:
        if self.engine is None:
            self.engine = transfer_engine_for(self.services)
        if get_current_worker().is_cancelled:
            return
        spec = TransferSpec(source, destination, recursive=recursive, policy=Policy(policy))
        self.post_message(self.Submitted(self.engine.submit(spec)))

    def on_transfer_panel_submitted(self, message: Submitted) -> None:
        message.stop()
        handle = message.handle
        self.handles.append(handle)
        self.query_one("#transfer-queue", DataTable).add_row(
            *self._cells(handle), key=str(handle.id)
        )
        self.query_one("#transfer-source", Input).value = ""
        self.query_one("#transfer-destination", Input).value = ""
        if self._timer is not None:
            self._timer.resume()
        self.redraw()

    # -- keys --------------------------------------------------------------------------------

    def selected(self) -> Any | None:
        table = self.query_one("#transfer-queue", DataTable)
        if not self.handles or table.row_count == 0:
            return None
        row = table.cursor_row if 0 <= table.cursor_row < table.row_count else 0
        key = table.coordinate_to_cell_key((row, 0)).row_key.value
        return next((h for h in self.handles if str(h.id) == key), None)

    def toggle_pause(self) -> None:
        handle = self.selected()
        if handle is None:
            self.notify("No transfer to pause: add one first.", title="Transfers")
            return
        state = handle.progress().state
        if state is TransferState.PAUSED:
            handle.resume()
        elif state.active and not handle.pausable:
            self.notify(
                f"Transfer {handle.id} runs as a job on the host: it cannot be paused "
                "(x cancels it).",
                title="Transfers",
            )
        elif state.active:
            handle.pause()
        else:
            self.notify(
                f"Transfer {handle.id} is {state.value}: nothing to pause.", title="Transfers"
            )
        self.redraw()

    def active_work(self) -> list[ActiveWork]:
        """The transfers still queued, running or paused, and what quitting does to each:
        a copy running as a job on a host goes on there; any other stops, and copying the
        same again resumes it (finished files are skipped, a big file over SSH goes on
        from where it stopped)."""
        work = []
        for handle in self.handles:
            progress = handle.progress()
            if not progress.state.active:
                continue
            what = (
                f"Transfer {handle.id} {progress.source} → {progress.destination} "
                f"({progress.state.value})"
            )
            if progress.job_id:
                on_quit = f"goes on as job {progress.job_id} on {progress.job_host or 'its host'}"
            else:
                on_quit = "stops; copying the same again resumes it"
            work.append(ActiveWork(what, on_quit))
        return work

    def cancel_selected(self) -> bool:
        handle = self.selected()
        if handle is None or not handle.progress().state.active:
            return False
        handle.cancel()
        self.redraw()
        return True

    def dismiss_selected(self) -> bool:
        """Take the selected finished transfer off the list (False when there is none or
        it is still active: those are cancelled first)."""
        handle = self.selected()
        if handle is None:
            return False
        state = handle.progress().state
        if state.active:
            self.notify(
                f"Transfer {handle.id} is {state.value}: cancel it (x) before dismissing it.",
                title="Transfers",
            )
            return False
        self.handles.remove(handle)
        self.query_one("#transfer-queue", DataTable).remove_row(str(handle.id))
        self.redraw()
        return True

    # -- drawing (reads the handles only) --------------------------------------------------

    def _result(self, handle: Any) -> TransferResult | None:
        return handle.future.result() if handle.future.done() else None

    def _cells(self, handle: Any) -> tuple:
        progress: TransferProgress = handle.progress()
        running = progress.state is TransferState.RUNNING
        return (
            str(handle.id),
            progress.source,
            progress.destination,
            state_cell(progress),
            transfer_bar(progress),
            bytes_cell(progress),
            human_rate(progress.rate) if running else "—",
            human_eta(progress.eta) if running else "—",
        )

    def totals(self) -> TransferTotals:
        """The transfers shown, counted apart by state."""
        return TransferTotals.of(handle.progress() for handle in self.handles)

    def redraw(self) -> None:
        table = self.query_one("#transfer-queue", DataTable)
        for handle in self.handles:
            for column, value in zip(COLUMNS, self._cells(handle), strict=True):
                table.update_cell(str(handle.id), column, value, update_width=True)
            self._report_failure(handle)
        totals = self.totals()
        bar = self.query_one("#transfer-overall-bar", ProgressBar)
        bar.update(total=max(totals.bytes_total, 1), progress=totals.bytes_done)
        self.say(transfer_totals_text(totals) if totals.count else "No transfers.")
        if totals.active == 0 and self._timer is not None:
            self._timer.pause()
        self._show_failures()
        self._show_refused()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self._show_refused()

    def _show_failures(self) -> None:
        """Every failed transfer still listed, with its whole reason, until dismissed."""
        box = self.query_one("#transfer-failures", Static)
        failed = [
            result
            for result in map(self._result, self.handles)
            if result is not None and result.state is TransferState.FAILED
        ]
        box.display = bool(failed)
        if failed:
            box.update(failures_text(failed))

    def _show_refused(self) -> None:
        """The refused names of the selected transfer (once it has finished), if any."""
        box = self.query_one("#transfer-refused", Static)
        handle = self.selected()
        result = self._result(handle) if handle is not None else None
        if result is None or not result.refused:
            box.display = False
            return
        box.update(refused_text(result))
        box.display = True

    def _report_failure(self, handle: Any) -> None:
        result = self._result(handle)
        if result is None or handle.id in self._reported:
            return
        if result.state is TransferState.FAILED:
            self._reported.add(handle.id)
            message = f"{result.source} → {result.destination}: {result.error}"
            failed = BackendFailed(self, TransferFailed(message))
            self._transfer_failures.add(failed.failure)
            self.post_message(failed)

    def show_failure(self, failure: Failure) -> None:
        """A transfer's failure stays in its row and the box under the queue (the status
        line keeps counting the queue); anything else (what was typed) is said there."""
        if failure in self._transfer_failures:
            self.last_failure = failure
            self.redraw()
            return
        super().show_failure(failure)
