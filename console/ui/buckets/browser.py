"""Browse a bucket like a file manager: folders first, then objects; pages load as you go.

Listing: the first page (``FIRST_PAGE_SIZE`` keys: small, so S3 answers and the list draws
it at once, even at 100,000 objects) is asked for when a folder opens, before anything else
is redrawn, and drawn as soon as it arrives; later pages take ``page_size`` keys. The next page is asked for only when the list says the view came near
its end (``S3ObjectList.NearEnd``), one page at a time, each in a thread worker of the
group ``s3-list``. Opening another folder cancels the pending page and bumps ``generation``
so a late answer for the old folder is dropped. Rows live in a compact ``S3RowStore``.

Actions on the row under the cursor (or the folder shown): count (``c``), download
(``d``), upload into this folder (``u``), delete (``x``/``delete``, asks first, refused
read-only), presigned URL (``p``: a dialog with the expiry to choose, the URL selectable
and copied to the clipboard), preview (``v`` or Enter on an object: the start of any object,
with its size); ``s`` stops a running count or transfer, ``r`` reloads the folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input
from textual.worker import get_current_worker

from console.errors import ConsoleError
from console.format.files import human_bytes
from console.models import (
    CountProgress,
    FileCount,
    ObjectPreview,
    S3Page,
    TransferProgress,
    TransferResult,
    TransferState,
)
from console.ui.buckets.activity import S3Activity
from console.ui.buckets.object_list import HEADER, S3ObjectList, header_line
from console.ui.buckets.path_prompt import S3PathPrompt
from console.ui.buckets.presign import S3PresignScreen
from console.ui.buckets.preview import S3PreviewScreen
from console.ui.buckets.rows import S3Row, S3RowStore
from console.ui.common.completion import PathSuggester
from console.ui.common.failures import BackendFailed, Failure, ReportsWorkerFailures, describe
from console.ui.common.literal import Static

if TYPE_CHECKING:
    from console.services import Services

DEFAULT_PAGE_SIZE = 1000
#: keys in a folder's first page: a screenful and a margin, answered and parsed in a fraction
#: of a full page's time; the pages after it are full ones (fewer round trips while scrolling)
FIRST_PAGE_SIZE = 200


class S3Browser(ReportsWorkerFailures, Vertical):
    """The folder ``prefix`` of ``bucket``; ``open(bucket, prefix)`` shows another one."""

    BINDINGS = [
        Binding("enter", "open_row", "Open", id="s3.open"),
        Binding("backspace,h", "up", "Up", id="s3.parent"),
        Binding("r", "reload", "Reload", id="s3.reload"),
        Binding("slash", "filter", "Filter", key_display="/", id="s3.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="s3.clear_filter"),
        Binding("c", "count", "Count", id="s3.count"),
        Binding("d", "download", "Download", id="s3.download"),
        Binding("u", "upload", "Upload", id="s3.upload"),
        Binding("x,delete", "delete", "Delete", id="s3.delete"),
        Binding("p", "presign", "Presign", id="s3.presign"),
        Binding("v", "preview", "Preview", id="s3.preview"),
        Binding("s", "stop", "Stop", id="s3.stop", tooltip="Stop the running count or transfer"),
    ]

    DEFAULT_CSS = """
    S3Browser { height: 1fr; }
    S3Browser #s3-path { height: 1; }
    S3Browser #s3-header { height: 1; text-style: bold; }
    S3Browser #s3-filter { display: none; }
    S3Browser #s3-filter.shown { display: block; }
    """

    class PageLoaded(Message):
        def __init__(self, generation: int, page: S3Page) -> None:
            super().__init__()
            self.generation = generation
            self.page = page

    class LeaveBucket(Message):
        """Up from the bucket's root: back to the bucket list."""

    class Counted(Message):
        def __init__(self, progress: CountProgress | FileCount, done: bool) -> None:
            super().__init__()
            self.progress = progress
            self.done = done

    class Transferred(Message):
        def __init__(self, progress: TransferProgress | TransferResult, done: bool) -> None:
            super().__init__()
            self.progress = progress
            self.done = done

    class TransferFailed(Message):
        def __init__(self, error: ConsoleError) -> None:
            super().__init__()
            self.error = error

    class TransferStopped(Message):
        """The running copy was cancelled (``s``)."""

    class Presigned(Message):
        def __init__(self, key: str, url: str) -> None:
            super().__init__()
            self.key = key
            self.url = url

    class Previewed(Message):
        def __init__(self, preview: ObjectPreview) -> None:
            super().__init__()
            self.preview = preview

    class Deleted(Message):
        def __init__(self, key: str, count: int) -> None:
            super().__init__()
            self.key = key
            self.count = count

    def __init__(self, services: Services, *, page_size: int = DEFAULT_PAGE_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.services = services
        self.page_size = page_size
        self.store = S3RowStore("", "")
        self.generation = 0
        self.next_token: str | None = None
        self.loading = False
        self.complete = False
        self.pages_loaded = 0
        self.last_count: FileCount | None = None
        self.last_presigned: str | None = None
        self.last_failure: Failure | None = None
        #: the generation whose page request failed (None: none failed)
        self.page_failed: int | None = None
        #: a copy's failure the activity line shows already (the app's handler calls back)
        self._transfer_failure: Failure | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="s3-path")
        yield Input(placeholder="filter names…", id="s3-filter")
        yield Static(HEADER, id="s3-header")
        yield S3ObjectList(self.store, id="s3-list")
        yield S3Activity(id="s3-activity")

    @property
    def object_list(self) -> S3ObjectList:
        return self.query_one(S3ObjectList)

    @property
    def activity(self) -> S3Activity:
        return self.query_one(S3Activity)

    @property
    def location(self) -> str:
        return f"s3://{self.store.bucket}/{self.store.prefix}"

    # -- listing --

    def open(self, bucket: str, prefix: str = "") -> None:
        """Show the folder ``prefix`` of ``bucket`` from its first page."""
        self.workers.cancel_group(self, "s3-list")
        self.generation += 1
        self.store = S3RowStore(bucket, prefix)
        self.next_token = None
        self.complete = False
        self.loading = False
        self.pages_loaded = 0
        self.last_failure = None
        # the request first: it is under way while the list and the footer redraw
        self._load_next_page()
        filter_input = self.query_one("#s3-filter", Input)
        filter_input.value = ""
        filter_input.set_class(False, "shown")
        self.object_list.show_store(self.store)
        self.object_list.focus()
        self._update_path()

    def _load_next_page(self) -> None:
        if self.loading or self.complete or not self.store.bucket:
            return
        self.loading = True
        self._update_path()
        generation, store, token = self.generation, self.store, self.next_token
        size = self.page_size if self.pages_loaded else min(self.page_size, FIRST_PAGE_SIZE)

        def fetch() -> None:
            try:
                page = self.services.s3.list_page(store.bucket, store.prefix, token, size)
            except Exception:
                self.page_failed = generation  # show_failure then stops the paging
                raise
            if not get_current_worker().is_cancelled:
                self.post_message(self.PageLoaded(generation, page))

        self.run_worker(fetch, name="s3-page", group="s3-list", thread=True, exit_on_error=False)

    def on_s3browser_page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # an answer for a folder no longer shown
        self.loading = False
        self.pages_loaded += 1
        self.store.add_page(message.page)
        self.next_token = message.page.next_token
        self.complete = self.next_token is None
        self.object_list.rows_changed()
        if not self.complete and self.object_list.needs_more():
            self._load_next_page()  # at once: the first screenful must fill without a key
        self._update_path()

    def on_s3object_list_layout_changed(self, message: S3ObjectList.LayoutChanged) -> None:
        message.stop()
        self.query_one("#s3-header", Static).update(header_line(message.layout))

    def on_s3object_list_near_end(self, message: S3ObjectList.NearEnd) -> None:
        message.stop()
        if self.last_failure is None:
            self._load_next_page()

    def show_failure(self, failure: Failure) -> None:
        """A page, count or action failed: say so (``r`` reloads the folder)."""
        if failure == self._transfer_failure:
            self._transfer_failure = None
            return  # the activity line already says how the copy failed
        if self.page_failed == self.generation:
            # no more pages are asked for until the folder is opened again (r)
            self.loading = False
            self.last_failure = failure
        self.activity.say(failure.one_line(), error=True)

    def _update_path(self) -> None:
        shown = len(self.store)
        loaded = f"{self.store.total:,} rows" + ("" if self.complete else "+")
        state = " (loading…)" if self.loading else ""
        filtered = f", {shown:,} match /{self.store.filter_text}" if self.store.filter_text else ""
        self.query_one("#s3-path", Static).update(f"{self.location}  {loaded}{filtered}{state}")

    # -- moving around --

    @property
    def current(self) -> S3Row | None:
        return self.object_list.current

    def action_open_row(self) -> None:
        row = self.current
        if row is None:
            return
        if row.is_folder:
            self.open(self.store.bucket, row.key)
        else:
            self.action_preview()

    def action_reload(self) -> None:
        self.open(self.store.bucket, self.store.prefix)

    def action_up(self) -> None:
        prefix = self.store.prefix
        if not prefix:
            self.post_message(self.LeaveBucket())
            return
        parent = prefix.rstrip("/").rpartition("/")[0]
        self.open(self.store.bucket, parent + "/" if parent else "")

    def action_filter(self) -> None:
        filter_input = self.query_one("#s3-filter", Input)
        filter_input.set_class(True, "shown")
        filter_input.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "s3-filter":
            return
        event.stop()
        self.store.set_filter(event.value)
        self.object_list.cursor = 0
        self.object_list.rows_changed()
        self._update_path()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "s3-filter":
            event.stop()
            self.object_list.focus()

    def action_clear_filter(self) -> None:
        filter_input = self.query_one("#s3-filter", Input)
        filter_input.value = ""
        filter_input.set_class(False, "shown")
        self.object_list.focus()

    # -- actions --

    def _target(self) -> S3Row:
        """The row under the cursor, or the folder shown when the list is empty."""
        row = self.current
        if row is not None:
            return row
        return S3Row(name=self.store.prefix, key=self.store.prefix, is_folder=True)

    def _run(self, work, name: str) -> None:
        self.run_worker(work, name=name, group="s3-action", thread=True, exit_on_error=False)

    def action_count(self) -> None:
        row = self._target()
        prefix = row.key if row.is_folder else self.store.prefix
        bucket = self.store.bucket
        self.activity.say(f"Counting s3://{bucket}/{prefix} …")

        def count() -> None:
            worker = get_current_worker()
            result = self.services.s3.count_prefix(
                bucket,
                prefix,
                on_progress=lambda p: self.post_message(self.Counted(p, done=False)),
                cancel=worker.cancelled_event,
            )
            if not worker.is_cancelled:
                self.post_message(self.Counted(result, done=True))

        self._run(count, "s3-count")

    def on_s3browser_counted(self, message: Counted) -> None:
        message.stop()
        p = message.progress
        text = f"{p.files:,} objects, {human_bytes(p.bytes)}, {p.dirs:,} folders"
        if message.done:
            self.last_count = p  # type: ignore[assignment]
            self.activity.say(f"{p.location}: {text}")
        else:
            self.activity.say(f"{p.location}: counting… {text}")

    def action_stop(self) -> None:
        """Cancel the running counts and transfers (a transfer leaves no partial file)."""
        running = [
            w for w in self.workers if w.node is self and w.group == "s3-action" and w.is_running
        ]
        if not running:
            self.activity.say("Nothing to stop.")
            return
        self.workers.cancel_group(self, "s3-action")
        self.activity.say(f"Stopped: {', '.join(w.name for w in running)}.")

    def action_download(self) -> None:
        row = self._target()
        source = f"s3://{self.store.bucket}/{row.key}"

        def chosen(path: str | None) -> None:
            if path:
                self.start_transfer(source, path, recursive=row.is_folder)

        self.app.push_screen(
            S3PathPrompt(
                f"Download {source} to (a local folder)",
                default=".",
                suggester=PathSuggester(self.services),
            ),
            callback=chosen,
        )

    def action_upload(self) -> None:
        destination = self.location

        def chosen(path: str | None) -> None:
            if path:
                self.start_transfer(path, destination, recursive=True)

        self.app.push_screen(
            S3PathPrompt(
                f"Upload a local file or folder into {destination}",
                suggester=PathSuggester(self.services),
            ),
            callback=chosen,
        )

    def start_transfer(self, source: str, destination: str, *, recursive: bool) -> None:
        """Copy with progress in the activity line; the listing reloads after an upload. A
        copy that fails says so there with its reason (and through the app's failure
        handler); one stopped with ``s`` says it was cancelled."""
        self.activity.start(f"{source} → {destination}")

        def copy() -> None:
            worker = get_current_worker()
            try:
                result = self.services.s3.transfer(
                    source,
                    destination,
                    recursive=recursive,
                    on_progress=lambda p: self.post_message(self.Transferred(p, done=False)),
                    cancel=worker.cancelled_event,
                )
            except ConsoleError as error:
                if worker.is_cancelled:
                    self.post_message(self.TransferStopped())
                    return
                self.post_message(self.TransferFailed(error))
                return
            self.post_message(self.Transferred(result, done=True))

        self._run(copy, "s3-transfer")

    def on_s3browser_transferred(self, message: Transferred) -> None:
        message.stop()
        if self.activity.transfer_state is not TransferState.RUNNING:
            return  # a late progress of a copy that has ended
        if not message.done:
            self.activity.progress(message.progress)  # type: ignore[arg-type]
            return
        result = message.progress
        self.activity.finished(result)  # type: ignore[arg-type]
        if str(result.destination).startswith(f"s3://{self.store.bucket}/"):
            self.open(self.store.bucket, self.store.prefix)

    def on_s3browser_transfer_failed(self, message: TransferFailed) -> None:
        message.stop()
        failure = describe(message.error)
        self.activity.failed(failure)
        self._transfer_failure = failure
        # the app's one failure handler tells it too (and may offer what to do)
        self.post_message(BackendFailed(self, message.error))

    def on_s3browser_transfer_stopped(self, message: TransferStopped) -> None:
        message.stop()
        self.activity.cancelled()

    def action_delete(self) -> None:
        row = self.current
        if row is None:
            return
        bucket = self.store.bucket
        what = f"Delete s3://{bucket}/{row.key}"
        detail = "Every object under this folder will be deleted." if row.is_folder else ""

        def delete() -> None:
            def work() -> None:
                count = self.services.s3.delete(bucket, row.key)
                self.post_message(self.Deleted(row.key, count))

            self._run(work, "s3-delete")

        self.app.run_destructive(what, delete, detail=detail)  # type: ignore[attr-defined]

    def on_s3browser_deleted(self, message: Deleted) -> None:
        message.stop()
        self.activity.say(f"Deleted {message.count:,} object(s) at {message.key}")
        self.open(self.store.bucket, self.store.prefix)

    def action_presign(self) -> None:
        row = self.current
        if row is None or row.is_folder:
            self.app.notify(
                "Choose an object: a folder has no URL.", title="Presign", severity="warning"
            )
            return
        self.app.push_screen(
            S3PresignScreen(
                self.services.s3,
                self.store.bucket,
                row.key,
                on_signed=lambda url: self.post_message(self.Presigned(row.key, url)),
            )
        )

    def on_s3browser_presigned(self, message: Presigned) -> None:
        """The dialog signed (and copied) a URL: the activity line keeps it too."""
        message.stop()
        self.last_presigned = message.url
        self.activity.say(f"URL (copied): {message.url}")

    def action_preview(self) -> None:
        row = self.current
        if row is None or row.is_folder:
            return
        bucket = self.store.bucket

        def read() -> None:
            self.post_message(self.Previewed(self.services.s3.preview(bucket, row.key)))

        self._run(read, "s3-preview")

    def on_s3browser_previewed(self, message: Previewed) -> None:
        message.stop()
        preview = message.preview
        self.app.push_screen(
            S3PreviewScreen(
                f"s3://{preview.bucket}/{preview.key}",
                preview.text,
                size=preview.size,
                shown=preview.shown,
            )
        )
