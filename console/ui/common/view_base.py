"""What every view of the main screen shares.

``ConsoleView`` is a pane of the main screen: it knows its id and title and is told when it
becomes visible. It names its list (``home``), where focus goes whenever it is shown (the
focus policy of ``console.ui.common.focus``), and says what work it has under way that
quitting would touch (``active_work``, asked by the quit policy of ``console.ui.common.quit``). ``ResourceView`` adds loading: ``fetch`` runs in a thread worker (it may
block on the network), its result comes back as a ``Loaded`` message, and a failure shows in
the view's status line through the app's one failure handler. ``r`` loads again; while the
view is visible it also reloads every ``refresh_interval`` seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import get_current_worker

from console.ui.common.background import Abandoned, call_until_cancelled
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.focus import can_be_home, first_home_in
from console.ui.common.literal import Static
from console.ui.common.quit import ActiveWork

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services


class ConsoleView(Vertical):
    """A pane of the main screen reached by its number key or ``:<view_id>``."""

    view_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    #: other words the ``:`` prompt accepts for this view
    aliases: ClassVar[tuple[str, ...]] = ()
    #: selector of the view's list: focus goes there whenever the view is shown
    home: ClassVar[str] = ""

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(id=f"view-{self.view_id}", classes="console-view")
        self.services = services
        self.refresh_interval = refresh_interval

    def activate(self) -> None:
        """The view became visible."""

    def deactivate(self) -> None:
        """Another view became visible."""

    def home_widget(self) -> Widget | None:
        """Where focus rests in this view: ``home`` while it is shown, else the first widget
        that is not a field (never a text field: its keys would be typed)."""
        if self.home:
            found = self.query(self.home)
            if found and can_be_home(found.first()):
                return found.first()
        return first_home_in(self)

    def focus_home(self) -> None:
        """Focus the view's list, so its keys and the global ones are live."""
        target = self.home_widget()
        if target is None:
            # nothing to focus inside: the view itself, so its own keys still work
            self.can_focus = True
            target = self
        target.focus(scroll_visible=False)

    def active_work(self) -> list[ActiveWork]:
        """Work this view started that quitting now would touch (none by default)."""
        return []


class EmptyState(Static):
    """The honest text a view shows when it has nothing to list."""


class ResourceView(ReportsWorkerFailures, ConsoleView):
    """A view whose content is loaded from a backend."""

    BINDINGS = [
        Binding("r", "reload", "Refresh", id="view.refresh", tooltip="Load this view again"),
    ]

    class Loaded(Message):
        """The items a fetch returned (posted from the worker thread)."""

        def __init__(self, items: Sequence[Any]) -> None:
            super().__init__()
            self.items = items

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)
        self.is_active = False
        self.loading_now = False
        self.loaded_once = False
        self.last_failure: Failure | None = None
        self._timer: Timer | None = None

    # -- what a subclass provides ------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        """The widgets under the status line."""
        raise NotImplementedError

    def fetch(self) -> Sequence[Any]:
        """Blocking: ask the backend. Runs in a thread worker; may raise anything."""
        raise NotImplementedError

    def show_items(self, items: Sequence[Any]) -> None:
        """Draw what ``fetch`` returned (on the UI thread)."""
        raise NotImplementedError

    def describe_items(self, items: Sequence[Any]) -> str:
        """The status line after a successful load."""
        return f"{len(items)} {self.title.lower()}"

    # -- the shared machinery ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id=f"{self.view_id}-status", classes="view-status")
        yield from self.compose_body()

    @property
    def status_line(self) -> Static:
        return self.query_one(f"#{self.view_id}-status", Static)

    def on_mount(self) -> None:
        # The screen may activate this view before it is mounted: the timer starts then.
        if self.refresh_interval > 0:
            self._timer = self.set_interval(
                self.refresh_interval, self._reload_on_timer, pause=not self.is_active
            )

    def activate(self) -> None:
        self.is_active = True
        if not self.loaded_once and not self.loading_now:
            self.action_reload()
        if self._timer is not None:
            self._timer.resume()

    def deactivate(self) -> None:
        self.is_active = False
        if self._timer is not None:
            self._timer.pause()

    def _reload_on_timer(self) -> None:
        if not self.loading_now:
            self.action_reload()

    def action_reload(self) -> None:
        self.loading_now = True
        if not self.loaded_once or self.last_failure is not None:
            self.status_line.update(f"Loading {self.title.lower()}…")
            self.status_line.set_class(False, "error")
        self.run_worker(
            self._fetch_and_post,
            name=f"fetch-{self.view_id}",
            group=self.view_id,
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _fetch_and_post(self) -> None:
        worker = get_current_worker()
        try:
            items = call_until_cancelled(
                self.fetch, worker.cancelled_event, name=f"fetch-{self.view_id}"
            )
        except Abandoned:
            return  # quitting, or a newer reload replaced this one
        if not worker.is_cancelled:
            self.post_message(self.Loaded(items))

    def on_resource_view_loaded(self, message: Loaded) -> None:
        message.stop()
        self.loading_now = False
        self.loaded_once = True
        self.last_failure = None
        self.status_line.set_class(False, "error")
        self.status_line.update(self.describe_items(message.items))
        self.show_items(message.items)

    def show_failure(self, failure: Failure) -> None:
        """Called by the app's failure handler: keep the last rows, say what went wrong."""
        self.loading_now = False
        self.last_failure = failure
        self.status_line.set_class(True, "error")
        retry_key = getattr(self.app, "keymap_in_use", {}).get("view.refresh", "r").split(",")[0]
        self.status_line.update(f"{failure.one_line()}  (press {retry_key} to retry)")
