"""Counts: files, directories, symlinks and bytes under one location, streamed as it walks.

The location is a local path, ``HOST:path`` (``local:``, an instance, an ssh alias) or
``s3://bucket/prefix``. The count runs in the panel's thread worker (``FilesPanel``) whose
cancellation event goes down into the walk; progress arrives as messages that merge while the
screen is busy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Switch
from textual.worker import get_current_worker

from console.errors import CountError
from console.format.files import extension_label, extension_rows, human_bytes
from console.models import CountOptions, CountProgress, FileCount
from console.models.location import parse_location
from console.ui.common.completion import PathSuggester
from console.ui.common.literal import DataTable, Label, Static
from console.ui.files.backends import counter_for
from console.ui.files.panel import FilesPanel

if TYPE_CHECKING:
    from console.services import Services

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


class CountPanel(FilesPanel):
    """One location counted, with its totals and its files by extension."""

    DEFAULT_CSS = """
    CountPanel #count-totals { height: auto; max-height: 4; }
    CountPanel #count-extensions { height: 1fr; }
    """
    WORKER_GROUP = "files-count"
    STATUS_ID = "count-status"
    SUBMIT_INPUTS = ("count-location",)
    FORM_NAME = "files-count"
    REMEMBERED = ("count-location", "count-recursive", "count-by-ext")
    ON_QUIT = "stops; what was counted so far is not kept"

    def __init__(self, services: Services, **options) -> None:
        super().__init__(services, **options)
        self.last_count: FileCount | None = None
        self.last_progress: CountProgress | None = None
        #: seconds between progress updates of a long count
        self.progress_every = PROGRESS_EVERY
        #: progress updates drawn during the last count
        self.progress_drawn = 0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="files-form"):
            yield Input(
                self.initial("count-location"),
                placeholder="path, HOST:path or s3://bucket/prefix",
                tooltip="A folder here, HOST:path on a host, or s3://bucket/prefix — Enter counts",
                suggester=PathSuggester(self.services, locations=True),
                id="count-location",
            )
            yield Label("recursive")
            yield Switch(value=self.initial_switch("count-recursive", True), id="count-recursive")
            yield Label("by ext")
            yield Switch(value=self.initial_switch("count-by-ext", True), id="count-by-ext")
        yield self.status_line("Type a location and press Enter.")
        yield DataTable(id="count-totals", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="count-extensions", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        totals = self.query_one("#count-totals", DataTable)
        totals.add_columns("LOCATION", "FILES", "DIRS", "SYMLINKS", "OTHER", "BYTES")
        self.query_one("#count-extensions", DataTable).add_columns("EXTENSION", "FILES", "BYTES")

    @property
    def status(self) -> Static:
        return self.query_one("#count-status", Static)

    # -- starting and stopping -----------------------------------------------------------

    def start(self) -> None:
        """Count the typed location (a count already running is cancelled first)."""
        self.remember_fields()
        text = self.value_of("count-location")
        try:
            location = parse_location(text, error=CountError)
        except Exception as error:  # a CountError naming what is wrong with the text
            self.refuse(error)
            return
        options = CountOptions(
            recursive=self.query_one("#count-recursive", Switch).value,
            by_ext=self.query_one("#count-by-ext", Switch).value,
            progress_every=self.progress_every,
        )
        self.last_count = None
        self.last_progress = None
        self.progress_drawn = 0
        self.begin(
            f"Counting {location}…",
            lambda generation: self._count(generation, text, options),
            name=f"count {text}",
        )

    def cancel(self) -> bool:
        """Stop a running count; what was counted so far stays, marked partial (the walk
        returns it), so the run's number stays current."""
        if not self.running:
            return False
        self.workers.cancel_group(self, self.WORKER_GROUP)
        return True

    def _count(self, generation: int, text: str, options: CountOptions) -> None:
        worker = get_current_worker()
        count = counter_for(self.services).count(
            text, options, on_progress=self.reporter(generation), cancel=worker.cancelled_event
        )
        self.post_message(self.Finished(generation, count))

    # -- what comes back -------------------------------------------------------------------

    def show_progress(self, progress: CountProgress, key: object) -> None:
        self.last_progress = progress
        self.progress_drawn += 1
        self.say(describe_progress(progress))

    def show_result(self, count: FileCount) -> None:
        self.last_count = count
        self.say(describe_count(count))
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
        for row in extension_rows(count):
            table.add_row(
                extension_label(row.extension),
                f"{row.files:,}",
                human_bytes(row.bytes) if count.bytes is not None else "—",
            )
