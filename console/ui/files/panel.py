"""What every Files panel shares: a form whose Enter starts the work, one status line, and
numbered runs in a thread worker whose progress and result come back as messages.

A panel's fields are remembered per panel (``FORM_NAME``, ``REMEMBERED``) through
``console.services.form_memory`` when its work is asked for, and it opens with them.

A panel starts a run with ``begin``: the run before it is cancelled, the new one gets the next
number, and every message a worker posts carries that number, so whatever a stale run still
sends is dropped. The worker reports with ``Progressed`` (floods merge while the screen is
busy) and ends with ``Finished``; the panel draws them in ``show_progress`` and
``show_result``. A failed worker goes through the app's one failure handler back into
``show_failure``, which ends the run and puts the reason in the status line.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Switch

from console.services.form_memory import FormMemory, form_name
from console.ui.common.failures import BackendFailed, Failure, ReportsWorkerFailures
from console.ui.common.literal import Static
from console.ui.common.quit import ActiveWork

if TYPE_CHECKING:
    from console.services import Services


class FilesPanel(ReportsWorkerFailures, Vertical):
    """Base of the Files panels (see the module's docstring); Transfers uses only its form
    and status line: its copies run in the transfer engine's own threads."""

    DEFAULT_CSS = """
    FilesPanel .files-form { height: auto; }
    FilesPanel .files-form Input { width: 1fr; }
    FilesPanel .files-form Label { padding: 1 0 0 1; }
    """

    #: the worker group of this panel's runs
    WORKER_GROUP: ClassVar[str] = ""
    #: id of the panel's status line (a Static with the ``view-status`` class)
    STATUS_ID: ClassVar[str] = ""
    #: ids of the inputs in which Enter starts the panel's work
    SUBMIT_INPUTS: ClassVar[tuple[str, ...]] = ()
    #: what the status line says after a cancel stopped a run
    CANCELLED_TEXT: ClassVar[str] = "Cancelled."
    #: what quitting does to a run under way (the quit policy says it before quitting)
    ON_QUIT: ClassVar[str] = "stops"
    #: the name the form's fields are remembered under ("" for none)
    FORM_NAME: ClassVar[str] = ""
    #: ids of the fields remembered (Input, Switch, Select) when the panel's work starts
    REMEMBERED: ClassVar[tuple[str, ...]] = ()

    class Progressed(Message):
        """Part of a run's work is done (posted from the worker; floods merge per key)."""

        def __init__(self, generation: int, progress: Any, key: Hashable = None) -> None:
            super().__init__()
            self.generation = generation
            self.progress = progress
            self.key = key

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FilesPanel.Progressed) and message.key == self.key

    class Finished(Message):
        """A run's result (posted from the worker)."""

        def __init__(self, generation: int, result: Any) -> None:
            super().__init__()
            self.generation = generation
            self.result = result

    def __init__(
        self, services: Services, *, memory: FormMemory | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self.services = services
        self.memory = memory if memory is not None else FormMemory()
        self.form_name = form_name(self.FORM_NAME, services)
        #: the fields as the panel was last left (see FORM_NAME); read once, when built
        self.recalled = self.memory.recall(self.form_name) if self.FORM_NAME else {}
        self.running = False
        self.last_failure: Failure | None = None
        #: the current run in words ("Counting /data"), for the quit question
        self.run_label = ""
        self._generation = 0

    # -- what a panel provides ---------------------------------------------------------------

    def start(self) -> None:
        """Read the form and ``begin`` a run (or ``refuse`` what was typed)."""
        raise NotImplementedError

    def show_progress(self, progress: Any, key: Hashable) -> None:
        """Draw a ``Progressed`` of the current run."""

    def show_result(self, result: Any) -> None:
        """Draw the current run's ``Finished`` (the run has ended)."""

    # -- the form and the status line ------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id in self.SUBMIT_INPUTS:
            event.stop()
            self.start()

    def initial(self, widget_id: str, default: str = "") -> str:
        """The text field ``widget_id`` opens with: as last left, else ``default``."""
        return self.recalled.get(widget_id, default)

    def initial_switch(self, widget_id: str, default: bool) -> bool:
        """Whether the switch ``widget_id`` opens on: as last left, else ``default``."""
        return {"on": True, "off": False}.get(self.recalled.get(widget_id, ""), default)

    def initial_choice(self, widget_id: str, choices: Iterable[str], default: str) -> str:
        """The choice ``widget_id`` opens on: as last left when still offered, else ``default``."""
        kept = self.recalled.get(widget_id, default)
        return kept if kept in set(choices) else default

    def remember_fields(self) -> None:
        """Keep the REMEMBERED fields as they are now: the panel opens with them next time
        (in this run of the console and the next). Called when work is asked for, before
        what was typed is checked: a refused start loses nothing."""
        if not self.FORM_NAME:
            return
        values: dict[str, str] = {}
        for widget_id in self.REMEMBERED:
            widget = self.query_one(f"#{widget_id}")
            if isinstance(widget, Switch):
                values[widget_id] = "on" if widget.value else "off"
            elif isinstance(widget, Input):
                values[widget_id] = widget.value
            else:  # a Select
                values[widget_id] = str(widget.value)  # type: ignore[attr-defined]
        self.recalled = values
        self.memory.remember(self.form_name, values)

    def value_of(self, input_id: str) -> str:
        """The text of one of the form's inputs, without surrounding blanks."""
        return self.query_one(f"#{input_id}", Input).value.strip()

    def status_line(self, text: str) -> Static:
        """The panel's status line (composed under its form), saying ``text`` at first."""
        return Static(text, id=self.STATUS_ID, classes="view-status")

    def say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one(f"#{self.STATUS_ID}", Static)
        status.set_class(error, "error")
        status.update(text)

    def refuse(self, error: BaseException) -> None:
        """What was typed cannot start a run: report it like any failure, start nothing."""
        self.post_message(BackendFailed(self, error))

    def show_failure(self, failure: Failure) -> None:
        """The app's failure handler: the run stopped; say why where it was asked for."""
        self.running = False
        self.last_failure = failure
        self.say(failure.one_line(), error=True)

    # -- runs ----------------------------------------------------------------------------------

    def begin(self, status: str, work: Callable[[int], None], *, name: str) -> int:
        """Run ``work(generation)`` in a thread worker as the panel's new current run (the one
        before it is cancelled) and say ``status``; returns the run's number."""
        self.workers.cancel_group(self, self.WORKER_GROUP)
        self._generation += 1
        generation = self._generation
        self.running = True
        self.last_failure = None
        self.run_label = status.rstrip("…")
        self.say(status)
        self.run_worker(
            lambda: work(generation),
            name=name,
            group=self.WORKER_GROUP,
            thread=True,
            exit_on_error=False,
        )
        return generation

    def reporter(self, generation: int, key: Hashable = None) -> Callable[[Any], None]:
        """The ``on_progress`` callback a backend gets from a run's worker."""
        return lambda progress: self.post_message(self.Progressed(generation, progress, key))

    def is_current(self, message: Progressed | Finished | Message) -> bool:
        """Stop ``message`` here; True when it comes from the run still wanted."""
        message.stop()
        return getattr(message, "generation", None) == self._generation

    def active_work(self) -> list[ActiveWork]:
        """The run under way, with what quitting does to it (none when nothing runs)."""
        return [ActiveWork(self.run_label, self.ON_QUIT)] if self.running else []

    def cancel(self) -> bool:
        """Stop the running work (False when nothing runs); what a stale run sends is dropped."""
        if not self.running:
            return False
        self.workers.cancel_group(self, self.WORKER_GROUP)
        self.running = False
        self._generation += 1
        self.say(self.CANCELLED_TEXT)
        return True

    def on_files_panel_progressed(self, message: Progressed) -> None:
        if self.is_current(message) and self.running:
            self.show_progress(message.progress, message.key)

    def on_files_panel_finished(self, message: Finished) -> None:
        if self.is_current(message):
            self.running = False
            self.show_result(message.result)
