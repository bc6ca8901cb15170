"""A job's output, followed live: search, filter, pause, wrap, older parts, save.

The file is read through a ``LogReader`` of the services (a job's log on its host): the screen
opens at the tail (``tail``), then a thread worker follows from that offset with a
cancellation flag set when the screen closes. The worker only queues what arrives; a timer moves the queue into the
``LogBuffer`` and onto the screen at most every ``FLUSH_SECONDS``, so a flood of lines is
drawn in batches and the keys stay responsive. Older parts load on demand (``o``, or ``g``
when already at the top) with ``before``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from console.errors import ConsoleError, RemoteFileError
from console.format.logs import LogBuffer, strip_ansi
from console.models import LogChunk
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.footer import ConsoleFooter
from console.ui.common.literal import Static
from console.ui.jobs.log_view import LogView

if TYPE_CHECKING:
    from console.services import LogReader


#: the longest the screen waits before drawing lines that arrived
FLUSH_SECONDS = 0.08
#: lines kept in memory and on screen, however long the job runs
MAX_LINES = 10_000
#: bytes read per "load older" step
OLDER_BYTES = 128 * 1024


@dataclass(frozen=True)
class LogSource:
    """Which log to show (a reader of a file on a host), and the words the title uses for it."""

    reader: LogReader
    title: str


class LogViewerScreen(ReportsWorkerFailures, Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="log.close", tooltip="Back to the jobs"),
        Binding("slash", "search", "Search", id="log.search", key_display="/"),
        Binding("n", "next_match", "Next", id="log.next", tooltip="Next search match"),
        Binding("N", "previous_match", "Prev", id="log.previous", tooltip="Previous match"),
        Binding("f", "toggle_filter", "Filter", id="log.filter", tooltip="Only matching lines"),
        Binding("p", "toggle_follow", "Pause", id="log.pause", tooltip="Pause or follow"),
        Binding("w", "toggle_wrap", "Wrap", id="log.wrap", tooltip="Wrap or clip long lines"),
        Binding("g", "top", "Top", id="log.top", tooltip="Go to the top (again: load older)"),
        Binding("G", "bottom", "Bottom", id="log.bottom", tooltip="Go to the end and follow"),
        Binding("o", "load_older", "Older", id="log.older", tooltip="Load older lines"),
        Binding("s", "save", "Save", id="log.save", tooltip="Save the shown lines to a file"),
    ]

    DEFAULT_CSS = """
    LogViewerScreen #log-status { height: 1; padding: 0 1; background: $boost; }
    LogViewerScreen #log-status.error { color: $error; text-style: bold; }
    LogViewerScreen #log-pending { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    LogViewerScreen #log-prompt { display: none; dock: bottom; margin-bottom: 1; }
    LogViewerScreen #log-prompt.open { display: block; }
    """

    class Older(Message):
        """Lines before what is shown, read by a worker."""

        def __init__(self, window) -> None:
            super().__init__()
            self.window = window

    def __init__(self, source: LogSource, *, max_lines: int = MAX_LINES) -> None:
        super().__init__()
        self.source = source
        self.buffer = LogBuffer(max_lines=max_lines)
        self.following = True
        self.wrap = False
        self.filtering = False
        self.pattern = ""
        self.matches: list[int] = []
        self.current_match = -1
        #: lines that arrived while paused (drawn on resume)
        self.unseen = 0
        self.cancel = threading.Event()
        self._incoming: list[LogChunk] = []
        self._incoming_lock = threading.Lock()
        self._prompt_for = ""
        #: the tail was read and the follower takes over from there
        self.is_open_at_tail = False
        self._no_more_older = False
        self._loading_older = False
        self.error: Failure | None = None
        self.saved_to: str | None = None

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="log-status")
        yield LogView(max_lines=self.buffer.max_lines, id="log-view")
        yield Static("", id="log-pending")
        yield Input(id="log-prompt")
        yield ConsoleFooter()

    @property
    def view(self) -> LogView:
        return self.query_one("#log-view", LogView)

    @property
    def prompt(self) -> Input:
        return self.query_one("#log-prompt", Input)

    def on_mount(self) -> None:
        self.view.focus()
        self._update_status()
        self.set_interval(FLUSH_SECONDS, self._flush)
        self.run_worker(
            self._follow, name="log-follow", group="log-follow", thread=True, exit_on_error=False
        )

    def on_unmount(self) -> None:
        self.cancel.set()

    # -- reading (worker threads) -----------------------------------------------------------

    def _follow(self) -> None:
        """Open at the tail, then follow from there until the screen closes."""
        reader = self.source.reader
        try:
            window = reader.tail()
        except RemoteFileError:
            window = None  # not written yet: the follower waits for it from the start
        offset = 0
        if window is not None:
            self._queue(LogChunk(window.start, window.data))
            offset = window.end
        self.is_open_at_tail = True
        for chunk in reader.follow(offset, self.cancel):
            self._queue(chunk)

    def _queue(self, chunk: LogChunk) -> None:
        with self._incoming_lock:
            self._incoming.append(chunk)

    def _load_older(self, offset: int) -> None:
        try:
            window = self.source.reader.before(offset, OLDER_BYTES)
        except BaseException:
            self._loading_older = False
            raise
        self.post_message(self.Older(window))

    def _save(self, path: str, lines: list[str]) -> None:
        try:
            self.buffer.save(path, lines)
        except OSError as exc:
            raise ConsoleError(
                f"Cannot save the log to {path}: {exc.strerror or exc}.",
                title="Save",
                hint="Choose a folder that exists and that you may write to.",
            ) from exc
        self.app.call_from_thread(self._saved, path, len(lines))

    # -- drawing (UI thread) --------------------------------------------------------------

    def _flush(self) -> None:
        with self._incoming_lock:
            chunks, self._incoming = self._incoming, []
        if not chunks:
            return
        added = 0
        for chunk in chunks:
            added += self.buffer.feed(chunk)
        self.query_one("#log-pending", Static).update(self.buffer.pending)
        if added:
            # never more than the view keeps: a flood's older lines would be measured only
            # to fall out again
            self._show_new(self.buffer.tail(min(added, self.view.max_lines)), added)
        self._update_status()

    def _show_new(self, lines: list[str], added: int) -> None:
        if self.pattern:
            self._refresh_matches()
        if not self.following:
            self.unseen += added
            return
        if self.filtering and self.pattern:
            lines = [line for line in lines if self._is_match(line)]
        self.view.append(lines, scroll_end=True)

    def _is_match(self, line: str) -> bool:
        return self.pattern.casefold() in strip_ansi(line).casefold()

    def _redraw(self, *, scroll_end: bool) -> None:
        self.view.set_highlight(self.pattern)
        self.view.show(self._visible_lines(), scroll_end=scroll_end)
        self.unseen = 0

    def _visible_lines(self) -> list[str]:
        if self.filtering and self.pattern:
            return [self.buffer[i] for i in self.matches]
        return self.buffer.lines()

    def _refresh_matches(self) -> None:
        self.matches = self.buffer.search(self.pattern) if self.pattern else []
        if self.current_match >= len(self.matches):
            self.current_match = len(self.matches) - 1

    def _update_status(self) -> None:
        parts = [self.source.title]
        if self.following:
            parts.append("following")
        else:
            parts.append(f"paused ({self.unseen} new lines)" if self.unseen else "paused")
        parts.append(f"{len(self.buffer):,} lines")
        if self.pattern:
            position = f"{self.current_match + 1}/" if self.current_match >= 0 else ""
            parts.append(f"/{self.pattern}: {position}{len(self.matches)} matches")
        if self.filtering:
            parts.append("filter on")
        parts.append("wrap" if self.wrap else "clip")
        if self.saved_to:
            parts.append(f"saved to {self.saved_to}")
        status = self.query_one("#log-status", Static)
        status.set_class(self.error is not None, "error")
        status.update(self.error.one_line() if self.error else "  ·  ".join(parts))

    def show_failure(self, failure: Failure) -> None:
        """The app's failure handler: say what went wrong in the status line."""
        self.error = failure
        self._update_status()

    # -- actions -----------------------------------------------------------------------------

    def action_close(self) -> None:
        if self.prompt.has_class("open"):
            self._close_prompt()
            return
        self.cancel.set()
        self.dismiss()

    def action_search(self) -> None:
        self._open_prompt("search", "Search for (empty clears)…", self.pattern)

    def action_save(self) -> None:
        self._open_prompt("save", "Save the shown lines to (local path)…", "")

    def _open_prompt(self, purpose: str, placeholder: str, value: str) -> None:
        self._prompt_for = purpose
        prompt = self.prompt
        prompt.placeholder = placeholder
        prompt.value = value
        prompt.add_class("open")
        prompt.focus()

    def _close_prompt(self) -> None:
        self.prompt.remove_class("open")
        self.view.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        purpose, value = self._prompt_for, event.value
        self._close_prompt()
        if purpose == "search":
            self.set_search(value)
        elif purpose == "save" and value.strip():
            self.save_to(value.strip())

    def set_search(self, pattern: str) -> None:
        """Search the held lines for ``pattern`` (case-blind); jump to the first match."""
        self.pattern = pattern
        self.error = None
        self._refresh_matches()
        self.current_match = -1
        self._redraw(scroll_end=False)
        if self.matches:
            self.action_next_match()
        self._update_status()

    def save_to(self, path: str) -> None:
        self.error = None
        self.saved_to = None
        self.run_worker(
            lambda: self._save(path, list(self._visible_lines())),
            name="log-save",
            group="log-save",
            thread=True,
            exit_on_error=False,
        )

    def _saved(self, path: str, count: int) -> None:
        self.saved_to = path
        self.notify(f"Saved {count:,} lines to {path}.", title="Log")
        self._update_status()

    def _goto_match(self, step: int) -> None:
        if not self.matches:
            if self.pattern:
                self.notify(
                    f"No line matches {self.pattern!r}.", title="Search", severity="warning"
                )
            return
        self.current_match = (self.current_match + step) % len(self.matches)
        self._pause()
        line = self.current_match if self.filtering else self.matches[self.current_match]
        self.view.scroll_to_line(line)
        self._update_status()

    def action_next_match(self) -> None:
        self._goto_match(+1)

    def action_previous_match(self) -> None:
        self._goto_match(-1)

    def action_toggle_filter(self) -> None:
        if not self.pattern:
            self.notify("Search first (/): the filter keeps the matching lines.", title="Filter")
            return
        self.filtering = not self.filtering
        self.current_match = -1 if self.filtering else self.current_match
        self._redraw(scroll_end=self.following)
        self._update_status()

    def _pause(self) -> None:
        self.following = False
        self.view.auto_scroll = False

    def action_toggle_follow(self) -> None:
        if self.following:
            self._pause()
        else:
            self.following = True
            self.view.auto_scroll = True
            self._redraw(scroll_end=True)
        self._update_status()

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self.view.set_wrap(self.wrap)
        top = self.view.line_at_top()
        self._redraw(scroll_end=self.following)
        if not self.following:
            self.view.scroll_to_line(top)
        self._update_status()

    def action_top(self) -> None:
        if self.view.scroll_y == 0:
            self.action_load_older()
        self._pause()
        self.view.scroll_home(animate=False)
        self._update_status()

    def action_bottom(self) -> None:
        if not self.following:
            self.action_toggle_follow()
        self.view.scroll_end(animate=False)

    def on_log_view_reached_top(self, event: LogView.ReachedTop) -> None:
        event.stop()
        if not self.following and self.buffer.first_offset and not self._no_more_older:
            self.action_load_older()

    def action_load_older(self) -> None:
        offset = self.buffer.first_offset
        if self._loading_older:
            return  # one read at a time, or the same lines would be put in front twice
        if not self.is_open_at_tail or offset is None or offset == 0 or self._no_more_older:
            self.notify("This is the start of the log.", title="Log")
            return
        self._loading_older = True
        self.run_worker(
            lambda: self._load_older(offset),
            name="log-older",
            group="log-older",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def on_log_viewer_screen_older(self, message: Older) -> None:
        self._loading_older = False
        added = self.buffer.prepend(message.window)
        if not added:
            self._no_more_older = True
            self.notify("No room for older lines: the view holds its maximum.", title="Log")
            return
        top = self.view.line_at_top()
        self._pause()
        self._refresh_matches()
        self._redraw(scroll_end=False)
        # keep the reader's place: the older lines are above it, a scroll up away
        self.view.scroll_to_line(0 if self.filtering else top + added)
        self._update_status()
