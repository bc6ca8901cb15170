"""Counts: files, directories, symlinks and bytes under one location, streamed as it walks.

The location is a local path, ``HOST:path`` (``local:``, an instance, an ssh alias) or
``s3://bucket/prefix``. The count runs in a thread worker whose cancellation event goes down
into the walk; progress arrives as messages that merge while the screen is busy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static, Switch
from textual.worker import get_current_worker

from console.files.count import CountOptions, iter_extension_rows, parse_location
from console.models import CountProgress, FileCount
from console.ui.failures import BackendFailed, Failure, ReportsWorkerFailures
from console.ui.widgets.files_backends import counter_for
from console.ui.widgets.files_format import extension_label, human_bytes

if TYPE_CHECKING:
    from console.services import Services

WORKER_GROUP = "files-count"
#: seconds between progress updates while a big tree is walked
PROGRESS_EVERY = 0.25


def describe_progress(progress: CountProgress) -> str:
    return (
        f"Counting {progress.location}… {progress.files:,} files, {progress.dirs:,} dirs, "
        f"{progress.symlinks:,} symlinks, {human_bytes(progress.bytes)} so far"
    )


def describe_count(count: FileCount) -> str:
    text = (
        f"{count.location}: {count.files:,} files, {count.dirs:,} dirs, "
        f"{count.symlinks:,} symlinks, {human_bytes(count.bytes)}"
        + (" (recursive)" if count.recursive else " (this folder only)")
    )
    if count.cancelled:
        text = "Cancelled — partial count. " + text
    if count.error_count:
        text += f"; {count.error_count} entries could not be read"
    return text


class CountPanel(ReportsWorkerFailures, Vertical):
    """One location counted, with its totals and its files by extension."""

    DEFAULT_CSS = """
    CountPanel .files-form { height: auto; }
    CountPanel .files-form Input { width: 1fr; }
    CountPanel .files-form Label { padding: 1 0 0 1; }
    CountPanel #count-totals { height: auto; max-height: 4; }
    CountPanel #count-extensions { height: 1fr; }
    """

    class Progressed(Message):
        """A partial count (posted from the worker; floods merge)."""

        def __init__(self, generation: int, progress: CountProgress) -> None:
            super().__init__()
            self.generation = generation
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CountPanel.Progressed)

    class Counted(Message):
        def __init__(self, generation: int, count: FileCount) -> None:
            super().__init__()
            self.generation = generation
            self.count = count

    def __init__(self, services: Services, **options) -> None:
        super().__init__(**options)
        self.services = services
        self.running = False
        self.last_count: FileCount | None = None
        self.last_progress: CountProgress | None = None
        self.last_failure: Failure | None = None
        #: seconds between progress updates of a long count
        self.progress_every = PROGRESS_EVERY
        #: progress updates drawn during the last count
        self.progress_drawn = 0
        self._generation = 0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="files-form"):
            yield Input(
                placeholder="path, HOST:path or s3://bucket/prefix — Enter counts",
                id="count-location",
            )
            yield Label("recursive")
            yield Switch(value=True, id="count-recursive")
            yield Label("by extension")
            yield Switch(value=True, id="count-by-ext")
        yield Static("Type a location and press Enter.", id="count-status", classes="view-status")
        yield DataTable(id="count-totals", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="count-extensions", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        totals = self.query_one("#count-totals", DataTable)
        totals.add_columns("LOCATION", "FILES", "DIRS", "SYMLINKS", "OTHER", "BYTES")
        self.query_one("#count-extensions", DataTable).add_columns("EXTENSION", "FILES", "BYTES")

    @property
    def status(self) -> Static:
        return self.query_one("#count-status", Static)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.set_class(error, "error")
        self.status.update(text)

    # -- starting and stopping -----------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "count-location":
            event.stop()
            self.start()

    def start(self) -> None:
        """Count the typed location (a count already running is cancelled first)."""
        text = self.query_one("#count-location", Input).value.strip()
        try:
            location = parse_location(text)
        except Exception as error:  # a CountError naming what is wrong with the text
            self.post_message(BackendFailed(self, error))
            return
        options = CountOptions(
            recursive=self.query_one("#count-recursive", Switch).value,
            by_ext=self.query_one("#count-by-ext", Switch).value,
            progress_every=self.progress_every,
        )
        self.workers.cancel_group(self, WORKER_GROUP)
        self._generation += 1
        self.running = True
        self.last_count = None
        self.last_progress = None
        self.progress_drawn = 0
        self.last_failure = None
        self._say(f"Counting {location}…")
        generation = self._generation
        self.run_worker(
            lambda: self._count(generation, text, options),
            name=f"count {text}",
            group=WORKER_GROUP,
            thread=True,
            exit_on_error=False,
        )

    def cancel(self) -> bool:
        """Stop a running count; what was counted so far stays, marked partial."""
        if not self.running:
            return False
        self.workers.cancel_group(self, WORKER_GROUP)
        return True

    def _count(self, generation: int, text: str, options: CountOptions) -> None:
        worker = get_current_worker()
        count = counter_for(self.services).count(
            text,
            options,
            on_progress=lambda progress: self.post_message(self.Progressed(generation, progress)),
            cancel=worker.cancelled_event,
        )
        self.post_message(self.Counted(generation, count))

    # -- what comes back -------------------------------------------------------------------

    def on_count_panel_progressed(self, message: Progressed) -> None:
        message.stop()
        if message.generation == self._generation and self.running:
            self.last_progress = message.progress
            self.progress_drawn += 1
            self._say(describe_progress(message.progress))

    def on_count_panel_counted(self, message: Counted) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self.running = False
        count = message.count
        self.last_count = count
        self._say(describe_count(count))
        totals = self.query_one("#count-totals", DataTable)
        totals.clear()
        totals.add_row(
            count.location,
            f"{count.files:,}",
            f"{count.dirs:,}",
            f"{count.symlinks:,}",
            f"{count.other:,}",
            human_bytes(count.bytes),
        )
        table = self.query_one("#count-extensions", DataTable)
        table.clear()
        for row in iter_extension_rows(count):
            table.add_row(
                extension_label(row.extension),
                f"{row.files:,}",
                human_bytes(row.bytes) if count.bytes is not None else "—",
            )

    def show_failure(self, failure: Failure) -> None:
        """The app's failure handler: the count stopped; say why where it was asked for."""
        self.running = False
        self.last_failure = failure
        self._say(failure.one_line(), error=True)
