"""Jobs: every job of every known host, with its status, and what can be done with it.

The list comes from ``console.job_directory.collect`` in a thread worker (one listing
command per host, in parallel); a host that cannot be read is named in the status line and
hides none of the others. Every action that touches a host runs in a thread worker too;
kill and forget ask first and, like Ctrl-C, are refused in read-only mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from console.models import Job, JobState
from console.ui.guards import require_writable, run_destructive
from console.ui.screens.job_form import JobFormScreen, JobRequest
from console.ui.screens.log_viewer import LogSource, LogViewerScreen
from console.ui.views.base import ResourceView
from console.ui.widgets.resource_table import Column, ResourceTable

if TYPE_CHECKING:
    from console.jobs import JobManager
    from console.services import Services


def _directory():
    """console.job_directory, imported on first use: it loads the host layer (and the SSH
    library), which merely loading the UI must not."""
    from console import job_directory

    return job_directory


STATUS_STYLES = {
    JobState.RUNNING: "bold green",
    JobState.LOST: "bold magenta",
}


def status_cell(job: Job) -> Text:
    if job.status.state is JobState.EXITED:
        style = "green" if job.status.exit_code == 0 else "bold red"
    else:
        style = STATUS_STYLES.get(job.status.state, "")
    return Text(str(job.status), style=style)


def started_cell(job: Job) -> str:
    return job.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def runtime_cell(job: Job) -> str:
    directory = _directory()
    return directory.format_duration(directory.runtime(job))


def last_line_cell(job: Job) -> Text:
    # The last line may carry colours; render them rather than show escape codes.
    return Text.from_ansi(job.last_line[:200], no_wrap=True, end="")


JOB_COLUMNS: tuple[Column[Job], ...] = (
    Column("name", "Name", lambda j: j.name[:40]),
    Column("host", "Host", lambda j: j.host),
    Column("status", "Status", status_cell),
    Column("started", "Started", started_cell),
    Column("runtime", "Runtime", runtime_cell),
    Column("last_line", "Last output", last_line_cell),
)


def job_key(job: Job) -> str:
    return f"{job.host}:{job.id}"


class FetchedJobs(list):
    """What a fetch returns: the jobs, plus each host's manager and the hosts that failed."""

    def __init__(self, jobs: Sequence[Job], managers: dict[str, Any], errors: dict[str, Any]):
        super().__init__(jobs)
        self.managers = managers
        self.errors = errors


class JobsView(ResourceView):
    view_id = "jobs"
    title = "Jobs"
    aliases = ("job", "tmux")

    BINDINGS = [
        Binding("l", "open_log", "Log", id="jobs.log", tooltip="Follow the job's output"),
        Binding("a", "attach", "Attach", id="jobs.attach", tooltip="tmux attach (detach returns)"),
        Binding("c", "interrupt", "Ctrl-C", id="jobs.interrupt", tooltip="Send Ctrl-C to the job"),
        Binding("k", "kill", "Kill", id="jobs.kill", tooltip="End the job (asks first)"),
        Binding("R", "rerun", "Re-run", id="jobs.rerun", tooltip="Start the same command again"),
        Binding("f", "forget", "Forget", id="jobs.forget", tooltip="Delete a finished job"),
        Binding("n", "new_job", "New job", id="jobs.new", tooltip="Start a job on a host"),
    ]

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)
        #: hosts asked for beyond the known ones (where jobs were started from here)
        self.extra_targets: list[str] = []
        self.managers: dict[str, JobManager] = {}

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(JOB_COLUMNS, row_key=job_key, id="jobs-table")

    @property
    def table(self) -> ResourceTable[Job]:
        return self.query_one("#jobs-table", ResourceTable)

    # -- loading ---------------------------------------------------------------------------

    def fetch(self) -> FetchedJobs:
        listing = _directory().collect(self.services, list(self.extra_targets))
        return FetchedJobs(listing.jobs, listing.managers, listing.errors)

    def show_items(self, items: Sequence[Job]) -> None:
        if isinstance(items, FetchedJobs):
            self.managers = dict(items.managers)
        self.table.show(items)

    def describe_items(self, items: Sequence[Job]) -> str:
        running = sum(1 for job in items if job.status.state is JobState.RUNNING)
        noun = "job" if len(items) == 1 else "jobs"
        text = f"{len(items)} {noun}, {running} running" if items else "No jobs yet (n starts one)."
        errors = getattr(items, "errors", {})
        if errors:
            text += "  ·  " + "; ".join(f"{host}: {error}" for host, error in errors.items())
        return text

    # -- the job under the cursor --------------------------------------------------------

    @property
    def selected(self) -> Job | None:
        key = self.table.cursor_key
        return next((job for job in self.table.items if job_key(job) == key), None)

    def _selected_with_manager(self) -> tuple[Job, JobManager] | None:
        job = self.selected
        if job is None:
            self.notify("No job selected.", title="Jobs", severity="warning")
            return None
        manager = self.managers.get(job.host)
        if manager is None:
            self.notify(f"Host {job.host} is not reachable now.", title="Jobs", severity="error")
            return None
        return job, manager

    def _in_background(self, name: str, work: Callable[[], object], done: str | None) -> None:
        """Run ``work`` in a thread worker; on success say ``done`` and load the list again."""

        def run() -> None:
            work()
            self.app.call_from_thread(self._after_action, done)

        self.run_worker(run, name=name, group="jobs-actions", thread=True, exit_on_error=False)

    def _after_action(self, done: str | None) -> None:
        if done:
            self.notify(done, title="Jobs")
        self.action_reload()

    # -- actions ---------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_log()

    def action_open_log(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None:
            return
        job, manager = chosen
        source = LogSource(manager.host, job.log_path, f"{job.name} on {job.host}")
        self.app.push_screen(LogViewerScreen(source))

    def action_attach(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None:
            return
        job, manager = chosen

        def find_argv() -> None:
            argv = manager.attach_argv(job.id)
            self.app.call_from_thread(self._attach_with, argv)

        self.run_worker(
            find_argv, name="jobs-attach", group="jobs-actions", thread=True, exit_on_error=False
        )

    def _attach_with(self, argv: list[str]) -> None:
        from console.terminal import run_in_terminal

        try:
            with self.app.suspend():
                run_in_terminal(argv)
        except Exception as error:  # noqa: BLE001 - no terminal to hand over (tests, web)
            self.notify(f"Cannot attach here: {error}", title="Attach", severity="error")
        self.action_reload()

    def action_interrupt(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None or not require_writable(self.app, "Sending Ctrl-C"):
            return
        job, manager = chosen
        self._in_background(
            "jobs-interrupt",
            lambda: manager.interrupt(job.id, read_only=self._read_only),
            f"Sent Ctrl-C to {job.name}.",
        )

    def action_kill(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None:
            return
        job, manager = chosen
        run_destructive(
            self.app,
            f"Kill job {job.name}",
            lambda: self._in_background(
                "jobs-kill",
                lambda: manager.kill(job.id, read_only=self._read_only),
                f"Killed {job.name}.",
            ),
            detail=f"{job.host}: {job.id} ({job.status})",
        )

    def action_forget(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None:
            return
        job, manager = chosen
        if not job.status.finished:
            self.notify(
                f"{job.name} is still running: kill it first.", title="Forget", severity="warning"
            )
            return
        run_destructive(
            self.app,
            f"Forget job {job.name}",
            lambda: self._in_background(
                "jobs-forget",
                lambda: manager.forget(job.id, read_only=self._read_only),
                f"Forgot {job.name}.",
            ),
            detail=f"Deletes {job.host}:{job.log_path.rsplit('/', 1)[0]} and its log.",
        )

    def action_rerun(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None:
            return
        job, manager = chosen
        self._in_background(
            "jobs-rerun", lambda: manager.rerun(job.id), f"Started {job.name} again."
        )

    def action_new_job(self) -> None:
        hosts = [*self.managers, *self.extra_targets]
        templates = self.services.settings.section("templates")
        self.app.push_screen(
            JobFormScreen(hosts=hosts, templates=templates),
            callback=self._start_requested,
        )

    def _start_requested(self, request: JobRequest | None) -> None:
        if request is None:
            return
        if request.target not in self.managers and request.target not in self.extra_targets:
            self.extra_targets.append(request.target)
        services = self.services

        def start() -> None:
            _directory().manager_for(services, request.target).start(request.spec)

        name = request.spec.name or request.spec.command[0]
        self._in_background("jobs-start", start, f"Started {name} on {request.target}.")

    @property
    def _read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False))
