"""Unpack: every archive of a host folder unpacked with P workers, progress and failures.

The unpack runs on the host as one command (see ``console.files.unpack.runner``); this panel runs it
in a thread worker, draws its progress (archives done of total, bytes) and lists each corrupt
archive or refused entry with its reason as it happens, while the others go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, ProgressBar
from textual.worker import get_current_worker

from console.errors import UnpackError
from console.format.files import human_bytes
from console.models import UnpackFailure, UnpackProgress, UnpackResult
from console.models.location import parse_location, path_on_host
from console.ui.common.completion import PathSuggester
from console.ui.common.guards import require_writable
from console.ui.common.literal import DataTable
from console.ui.files.panel import FilesPanel

if TYPE_CHECKING:
    from console.services import Services


def parse_parallelism(text: str) -> int | None:
    """The ``-P`` field: empty means the host's cores. Raises UnpackError for anything else
    than a whole number of at least 1."""
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise UnpackError(f"Parallelism must be a whole number, not {text!r}.") from None
    if value < 1:
        raise UnpackError(f"Parallelism must be at least 1, not {value}.")
    return value


def host_and_folder(text: str) -> tuple[str, str]:
    """``HOST:DIR`` (a plain path means this machine). Raises UnpackError for S3 or nothing."""
    if not text.strip():
        raise UnpackError("Type the folder to unpack as HOST:DIR (local:DIR for this machine).")
    where = parse_location(text.strip(), error=UnpackError)
    if where.kind == "s3":
        raise UnpackError(f"{text!r} is an S3 prefix: archives are unpacked on a host (HOST:DIR).")
    if where.kind == "local":
        return "local", where.path
    return where.host or "local", where.path


class UnpackPanel(FilesPanel):
    DEFAULT_CSS = """
    UnpackPanel #unpack-location { width: 2fr; }
    UnpackPanel #unpack-parallel { width: 16; }
    UnpackPanel #unpack-dest { width: 1fr; }
    UnpackPanel #unpack-bar { padding: 0 1; }
    UnpackPanel #unpack-failures { height: 1fr; }
    """
    WORKER_GROUP = "files-unpack"
    STATUS_ID = "unpack-status"
    SUBMIT_INPUTS = ("unpack-location", "unpack-parallel", "unpack-dest")
    FORM_NAME = "files-unpack"
    REMEMBERED = SUBMIT_INPUTS
    CANCELLED_TEXT = "Unpack cancelled: archives already unpacked stay; the rest were not touched."
    #: the unpack is a command streamed from this console (not a tmux job): it ends with it
    ON_QUIT = "stops; archives already unpacked stay, the rest are not touched"

    class Failed(Message):
        """One archive failed (or one entry was refused); the unpack goes on."""

        def __init__(self, generation: int, failure: UnpackFailure) -> None:
            super().__init__()
            self.generation = generation
            self.failure = failure

    def __init__(self, services: Services, **options) -> None:
        super().__init__(services, **options)
        self.last_progress: UnpackProgress | None = None
        self.last_result: UnpackResult | None = None
        self.failures: list[UnpackFailure] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="files-form"):
            yield Input(
                self.initial("unpack-location"),
                placeholder="HOST:DIR of archives",
                tooltip="The folder with the archives, HOST:DIR (local:DIR here) — Enter starts",
                suggester=PathSuggester(self.services, host="local", locations=True),
                id="unpack-location",
            )
            yield Input(
                self.initial("unpack-parallel"),
                placeholder="workers",
                tooltip="How many archives at once (empty: one per core of the host)",
                id="unpack-parallel",
            )
            yield Input(
                self.initial("unpack-dest"),
                placeholder="into: same dir",
                tooltip="Where to unpack on the archives' host: DIR or HOST:DIR of that same "
                "host (empty: beside the archives)",
                # a plain path is on the archives' host
                suggester=PathSuggester(self.services, host=self._archives_host, locations=True),
                id="unpack-dest",
            )
        yield self.status_line("Type HOST:DIR (local:DIR for this machine) and press Enter.")
        yield ProgressBar(id="unpack-bar", show_eta=False)
        yield DataTable(id="unpack-failures", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#unpack-failures", DataTable)
        table.add_columns("ARCHIVE", "PROBLEM", "ENTRY", "REASON")

    def _archives_host(self) -> str | None:
        """The host of the archives typed (None while it names none)."""
        try:
            return host_and_folder(self.value_of("unpack-location"))[0]
        except UnpackError:
            return None

    def start(self) -> None:
        self.remember_fields()
        if self.running:
            self.notify("An unpack is already running: cancel it first.", title="Unpack")
            return
        try:
            host_name, folder = host_and_folder(self.value_of("unpack-location"))
            parallel = parse_parallelism(self.value_of("unpack-parallel"))
        except UnpackError as error:
            self.refuse(error)
            return
        dest = self.value_of("unpack-dest") or None
        try:
            if dest is not None:  # said now, not after the archives were read
                path_on_host(dest, host_name, field="Unpack into", error=UnpackError)
        except UnpackError as error:
            self.refuse(error)
            return
        if not require_writable(self.app, f"Unpacking {host_name}:{folder}"):
            return
        self.failures = []
        self.last_progress = self.last_result = None
        self.query_one("#unpack-failures", DataTable).clear()
        self.query_one("#unpack-bar", ProgressBar).update(total=None, progress=0)
        workers = f"{parallel} workers" if parallel else "one worker per core"
        self.begin(
            f"Unpacking {host_name}:{folder} with {workers}…",
            lambda generation: self._unpack(generation, host_name, folder, dest, parallel),
            name=f"unpack {host_name}:{folder}",
        )

    def _unpack(
        self, generation: int, host_name: str, folder: str, dest: str | None, parallel: int | None
    ) -> None:
        cancel = get_current_worker().cancelled_event
        try:
            # the services' files backend refuses it while the console is read-only
            result = self.services.files.unpack(
                host_name,
                folder,
                dest=dest,
                parallel=parallel,
                on_progress=self.reporter(generation),
                on_failure=lambda f: self.post_message(self.Failed(generation, f)),
                cancel=cancel,
            )
        except UnpackError:
            if cancel.is_set():
                return  # the cancel already said so
            raise
        self.post_message(self.Finished(generation, result))

    def show_progress(self, progress: UnpackProgress, key: object) -> None:
        self.last_progress = progress
        self.query_one("#unpack-bar", ProgressBar).update(
            total=max(progress.archives_total, 1) if progress.archives_total else None,
            progress=progress.archives_done,
        )
        self.say(
            f"{progress.archives_done}/{progress.archives_total} archives, "
            f"{human_bytes(progress.bytes_done)} of {human_bytes(progress.bytes_total)} read, "
            f"{progress.files_written:,} files written, {progress.failed} failed"
        )

    def on_unpack_panel_failed(self, message: Failed) -> None:
        if self.is_current(message):
            self._add_failure(message.failure)

    def _add_failure(self, failure: UnpackFailure) -> None:
        if failure in self.failures:
            return
        self.failures.append(failure)
        self.query_one("#unpack-failures", DataTable).add_row(
            failure.archive, failure.kind.value, failure.entry or "", failure.reason
        )

    def show_result(self, result: UnpackResult) -> None:
        self.last_result = result
        for failure in result.failures:  # any not yet listed
            self._add_failure(failure)
        self.query_one("#unpack-bar", ProgressBar).update(
            total=max(result.archives_total, 1), progress=max(result.archives_total, 1)
        )
        problems = len({f.archive for f in result.failures})
        self.say(
            f"Done: {result.archives_ok} of {result.archives_total} archives unpacked cleanly "
            f"into {result.destination} — {result.files_written:,} files, "
            f"{human_bytes(result.written_bytes)} in {result.seconds:.1f} s with "
            f"{result.parallel} workers"
            + (f"; {problems} with problems (listed below)" if problems else ""),
            error=bool(problems),
        )
