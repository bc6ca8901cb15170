"""The browser's bottom line: what the last action said, or a transfer's progress bar with
its rate and ETA, then how the transfer ended in the words of the transfer queue
(``console.format.files``): done (with the names it refused), failed with its reason, or
cancelled. A failed copy hides its bar: a full bar means everything arrived."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar

from console.format.files import human_bytes, human_eta, human_rate, transfer_state_text
from console.models import TransferProgress, TransferResult, TransferState
from console.ui.common.failures import Failure
from console.ui.common.literal import Static


class S3Activity(Horizontal):
    """A message, or a progress bar while a transfer runs."""

    DEFAULT_CSS = """
    S3Activity { height: 1; }
    S3Activity #s3-activity-text { width: 1fr; }
    S3Activity #s3-activity-text.error { color: $error; }
    S3Activity #s3-activity-text.warning { color: $warning; }
    S3Activity ProgressBar { width: 40; display: none; }
    S3Activity ProgressBar.running { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = ""
        self.last_progress: TransferProgress | None = None
        #: the state of the last transfer shown (None: none yet)
        self.transfer_state: TransferState | None = None
        self._what = ""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=100, show_eta=False, id="s3-activity-bar")
        yield Static("", id="s3-activity-text")

    @property
    def bar(self) -> ProgressBar:
        return self.query_one(ProgressBar)

    def say(self, text: str, *, error: bool = False, warning: bool = False) -> None:
        self.text = text
        label = self.query_one("#s3-activity-text", Static)
        label.set_class(error, "error")
        label.set_class(warning and not error, "warning")
        label.update(text)

    def start(self, what: str) -> None:
        self._what = what
        self.transfer_state = TransferState.RUNNING
        self.bar.set_class(True, "running")
        self.bar.update(total=None, progress=0)
        self.say(f"Starting {what} …")

    def progress(self, progress: TransferProgress) -> None:
        self.last_progress = progress
        self.bar.update(total=max(progress.bytes_total, 1), progress=progress.bytes_done)
        self.say(
            f"{human_bytes(progress.bytes_done)} of {human_bytes(progress.bytes_total)}, "
            f"{progress.files_done}/{progress.files_total} files, "
            f"{human_rate(progress.rate)}, ETA {human_eta(progress.eta)}  {progress.current}"
        )

    def finished(self, result: TransferResult) -> None:
        """The copy ended by itself: done, skipped as identical, or done with refused names."""
        final = result.final_progress()
        self.transfer_state = result.state
        self.bar.update(total=1, progress=1)
        self.say(
            f"Done: {result.source} → {result.destination} — {transfer_state_text(final)}",
            warning=bool(result.refused),
        )

    def failed(self, failure: Failure) -> None:
        """The copy stopped on an error: its bar goes (nothing says it arrived)."""
        self.transfer_state = TransferState.FAILED
        self._hide_bar()
        self.say(f"Failed: {self._what} — {failure.one_line()}", error=True)

    def cancelled(self) -> None:
        """The copy was stopped (``s``): no partial file is left under its name."""
        self.transfer_state = TransferState.CANCELLED
        self._hide_bar()
        self.say(f"Cancelled: {self._what} — no partial file was kept.")

    def _hide_bar(self) -> None:
        self.bar.set_class(False, "running")
        self.bar.update(total=100, progress=0)
