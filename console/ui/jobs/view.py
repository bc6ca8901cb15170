"""Jobs: every job of every known host, with its status, and what can be done with it.

The list comes from the services' jobs backend in a thread worker (one listing command per
host, in parallel); a host that cannot be read is named in the status line and hides none of
the others. Every action that touches a host runs in a thread worker too, through that
backend, which refuses it while the console is read-only; kill and forget ask first.

A multi-node launch (one job per node sharing a group id) is one row: its name, "N nodes",
and the combined status of ``JobGroup``. Enter (or ``e``) shows its nodes under it. Actions
on the group row apply to every node: Ctrl-C, kill (one question naming the group and its
node count), re-run (same hosts, same ranks), forget (when all ended); ``l`` opens rank 0's
log and ``L`` asks which node's. On a node's row they apply to that node alone.

Re-run of a job started alone opens the new-job form filled in from it, so the command can be
changed first; the new job gets a name of its own (``train-2``). A start the host refuses
opens the form again with everything typed and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from console.errors import ConsoleError, UnknownHostKeyError
from console.format.jobs import format_duration, row_runtime, status_text
from console.models import Job, JobGroup, JobSpec, JobState
from console.services.form_memory import FormMemory
from console.ui.common.failures import describe
from console.ui.common.guards import require_writable, run_destructive
from console.ui.common.literal import DataTable
from console.ui.common.resource_table import Column, ResourceTable
from console.ui.common.text import ansi_line
from console.ui.common.view_base import ResourceView
from console.ui.jobs.form import JobFormScreen, JobRequest, fields_of
from console.ui.jobs.jupyter_link import open_jupyter
from console.ui.jobs.log_viewer import LogSource, LogViewerScreen
from console.ui.jobs.node_picker import NodePickerScreen

if TYPE_CHECKING:
    from console.services import JobManagerBackend, Services


STATUS_STYLES = {
    JobState.RUNNING: "bold green",
    JobState.LOST: "bold magenta",
}

#: a line of the table: a job, or a multi-node group (its members follow when expanded)
Row = Job | JobGroup


def status_cell(job: Row) -> Text:
    status = job.status
    if status.state is JobState.EXITED:
        style = "green" if status.exit_code == 0 else "bold red"
    else:
        style = STATUS_STYLES.get(status.state, "")
    text = status_text(job)
    return Text(text, style=style)


def started_cell(job: Row) -> str:
    return job.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def runtime_cell(job: Row) -> str:
    return format_duration(row_runtime(job))


def last_line_cell(job: Row) -> Text:
    # The last line may carry colours: draw them; anything else it holds that could drive
    # the terminal (a screen clear, a clipboard write) shows as text.
    return ansi_line(job.last_line[:200])


def name_cell(row: Row, expanded: bool = False) -> str:
    if isinstance(row, JobGroup):
        return f"{'▾' if expanded else '▸'} {row.name[:38]}"
    if row.spec.group is not None:  # shown under its expanded group
        return f"   node {row.spec.node_rank}"
    return row.name[:40]


def host_cell(row: Row) -> str:
    return f"{row.nodes} nodes" if isinstance(row, JobGroup) else row.host


def job_columns(expanded: Callable[[str], bool] = lambda group: False) -> tuple[Column[Row], ...]:
    """The table's columns; ``expanded(group_id)`` says which groups show their nodes."""
    return (
        Column(
            "name",
            "Name",
            lambda row: name_cell(row, isinstance(row, JobGroup) and expanded(row.id)),
        ),
        Column("host", "Host", host_cell),
        Column("status", "Status", status_cell),
        Column("started", "Started", started_cell, give_way=3),
        Column("runtime", "Runtime", runtime_cell, give_way=2),
        # the rest of the width: a long line ends with "…" (the log, l, has it whole)
        Column("last_line", "Last output", last_line_cell, give_way=1, fill=True),
    )


JOB_COLUMNS = job_columns()


def job_key(job: Row) -> str:
    if isinstance(job, JobGroup):
        return f"group:{job.id}"
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
    home = "#jobs-table"

    BINDINGS = [
        Binding("l", "open_log", "Log", id="jobs.log", tooltip="Follow the job's output"),
        Binding(
            "L", "pick_node_log", "Node log", id="jobs.node_log",
            tooltip="Of a multi-node group: choose whose log to follow",
        ),
        Binding(
            "e", "toggle_group", "Nodes", id="jobs.expand",
            tooltip="Show or hide the nodes of a multi-node group (Enter too)",
        ),
        Binding("a", "attach", "Attach", id="jobs.attach", tooltip="tmux attach (detach returns)"),
        Binding(
            "j", "jupyter", "Jupyter", id="jobs.jupyter",
            tooltip="Jupyter on the job's host: its URL with the token, the port forwarded",
        ),
        Binding("c", "interrupt", "Ctrl-C", id="jobs.interrupt", tooltip="Send Ctrl-C to the job"),
        Binding("k", "kill", "Kill", id="jobs.kill", tooltip="End the job (asks first)"),
        Binding("R", "rerun", "Re-run", id="jobs.rerun", tooltip="Start the same command again"),
        Binding("f", "forget", "Forget", id="jobs.forget", tooltip="Delete a finished job"),
        Binding("n", "new_job", "New job", id="jobs.new", tooltip="Start a job on a host"),
    ]  # fmt: skip

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)
        #: hosts asked for beyond the known ones (where jobs were started from here)
        self.extra_targets: list[str] = []
        self.managers: dict[str, JobManagerBackend] = {}
        #: every job of the last load (the table shows groups as one row)
        self.jobs: list[Job] = []
        #: ids of the groups whose nodes are shown under them
        self.expanded: set[str] = set()
        #: the new-job form's last values, kept in the console's state folder
        self.form_memory = FormMemory()

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(
            job_columns(lambda group: group in self.expanded), row_key=job_key, id="jobs-table"
        )

    @property
    def table(self) -> ResourceTable[Row]:
        return self.query_one("#jobs-table", ResourceTable)

    # -- loading ---------------------------------------------------------------------------

    def fetch(self) -> FetchedJobs:
        listing = self.services.jobs.list(list(self.extra_targets))
        return FetchedJobs(listing.jobs, listing.managers, listing.errors)

    def show_items(self, items: Sequence[Job]) -> None:
        if isinstance(items, FetchedJobs):
            self.managers = dict(items.managers)
        self.jobs = list(items)
        self._show_rows()

    def _show_rows(self) -> None:
        rows: list[Row] = []
        for row in self.services.jobs.with_groups(self.jobs):
            rows.append(row)
            if isinstance(row, JobGroup) and row.id in self.expanded:
                rows.extend(row.members)
        self.table.show(rows)

    def describe_items(self, items: Sequence[Job]) -> str:
        running = sum(1 for job in items if job.status.state is JobState.RUNNING)
        noun = "job" if len(items) == 1 else "jobs"
        text = f"{len(items)} {noun}, {running} running" if items else "No jobs yet (n starts one)."
        groups = {job.spec.group for job in items} - {None}
        if groups:
            text += f", {len(groups)} multi-node group{'s' if len(groups) > 1 else ''}"
        errors = getattr(items, "errors", {})
        if errors:
            text += "  ·  " + "; ".join(f"{host}: {error}" for host, error in errors.items())
        return text

    # -- the row under the cursor --------------------------------------------------------

    def action_jupyter(self) -> None:
        """Jupyter on the selected job's host (a group's: node 0's)."""
        row = self.selected
        if row is None:
            return
        host = row.members[0].host if isinstance(row, JobGroup) else row.host
        open_jupyter(self, host, host)

    @property
    def selected(self) -> Row | None:
        """The job or group under the cursor."""
        key = self.table.cursor_key
        return next((row for row in self.table.items if job_key(row) == key), None)

    def _selected_row(self) -> Row | None:
        row = self.selected
        if row is None:
            self.notify("No job selected.", title="Jobs", severity="warning")
        return row

    def _manager(self, job: Job) -> JobManagerBackend | None:
        manager = self.managers.get(job.host)
        if manager is None:
            self.notify(f"Host {job.host} is not reachable now.", title="Jobs", severity="error")
        return manager

    def _selected_with_manager(self) -> tuple[Job, JobManagerBackend] | None:
        row = self._selected_row()
        if row is None:
            return None
        job = row.rank0 if isinstance(row, JobGroup) else row
        manager = self._manager(job)
        return None if manager is None else (job, manager)

    def _members(self, group: JobGroup) -> list[tuple[JobManagerBackend, Job]] | None:
        """Each node's job with its host's manager; None (said) when a host is not reachable."""
        members = []
        for job in group.members:
            manager = self._manager(job)
            if manager is None:
                return None
            members.append((manager, job))
        return members

    def _in_background(self, name: str, work: Callable[[], object], done: str | None) -> None:
        """Run ``work`` in a thread worker; on success say ``done`` and load the list again.

        ``work`` may return {job id: error} (group actions): those are said as an error."""

        def run() -> None:
            errors = work()
            self.app.call_from_thread(self._after_action, done, errors)

        self.run_worker(run, name=name, group="jobs-actions", thread=True, exit_on_error=False)

    def _after_action(self, done: str | None, errors: object = None) -> None:
        if isinstance(errors, dict) and errors:
            lines = "; ".join(f"{job_id}: {error}" for job_id, error in errors.items())
            self.notify(f"Not every node answered: {lines}", title="Jobs", severity="error")
        elif done:
            self.notify(done, title="Jobs")
        self.action_reload()

    # -- actions ---------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if isinstance(self.selected, JobGroup):
            self.action_toggle_group()
        else:
            self.action_open_log()

    def action_toggle_group(self) -> None:
        """Show or hide the nodes of the group under the cursor (or of the node's group)."""
        row = self.selected
        if isinstance(row, JobGroup):
            group_id = row.id
        elif row is not None and row.spec.group is not None:
            group_id = row.spec.group
        else:
            self.notify("Not a multi-node group.", title="Jobs", severity="warning")
            return
        if group_id in self.expanded:
            self.expanded.discard(group_id)
        else:
            self.expanded.add(group_id)
        self._show_rows()
        self.table.move_cursor(row=self._index_of(f"group:{group_id}"), animate=False)

    def _index_of(self, key: str) -> int:
        keys = [job_key(row) for row in self.table.items]
        return keys.index(key) if key in keys else self.table.cursor_row

    def action_open_log(self) -> None:
        chosen = self._selected_with_manager()
        if chosen is None:
            return
        self._open_log(*chosen)

    def _open_log(self, job: Job, manager: JobManagerBackend) -> None:
        if job.spec.group is None:
            title = f"{job.name} on {job.host}"
        else:
            title = (
                f"{job.spec.group_name or job.name}: node {job.spec.node_rank} of "
                f"{job.spec.group_size} on {job.host} (L in Jobs: another node)"
            )
        self.app.push_screen(LogViewerScreen(LogSource(manager.log(job.id), title)))

    def action_pick_node_log(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        if not isinstance(row, JobGroup):
            self.action_open_log()
            return

        def chosen(job: Job | None) -> None:
            manager = self._manager(job) if job is not None else None
            if job is not None and manager is not None:
                self._open_log(job, manager)

        self.app.push_screen(NodePickerScreen(row), callback=chosen)

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
        try:
            with self.app.suspend():
                self.services.run_in_terminal(argv)
        except Exception as error:  # noqa: BLE001 - no terminal to hand over (tests, web)
            self.notify(f"Cannot attach here: {error}", title="Attach", severity="error")
        self.action_reload()

    def _on_group(self, group: JobGroup, worker: str, call, done: str) -> None:
        """Run ``call(members)`` for every node of ``group`` in the background."""
        members = self._members(group)
        if members is not None:
            self._in_background(worker, lambda: call(members), done)

    def action_interrupt(self) -> None:
        row = self._selected_row()
        if row is None or not require_writable(self.app, "Sending Ctrl-C"):
            return
        if isinstance(row, JobGroup):
            self._on_group(
                row,
                "jobs-interrupt",
                lambda members: self.services.jobs.control_group(members, "interrupt"),
                f"Sent Ctrl-C to the {row.nodes} nodes of {row.name}.",
            )
            return
        manager = self._manager(row)
        if manager is None:
            return
        self._in_background(
            "jobs-interrupt",
            lambda: manager.interrupt(row.id),
            f"Sent Ctrl-C to {row.name}.",
        )

    def action_kill(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        if isinstance(row, JobGroup):
            self._kill_group(row)
            return
        manager = self._manager(row)
        if manager is None:
            return
        run_destructive(
            self.app,
            f"Kill job {row.name}",
            lambda: self._in_background(
                "jobs-kill",
                lambda: manager.kill(row.id),
                f"Killed {row.name}.",
            ),
            detail=f"{row.host}: {row.id} ({status_text(row)})",
        )

    def _kill_group(self, group: JobGroup) -> None:
        if group.status.finished:
            self.notify(
                f"{group.name} is not running ({status_text(group)}).",
                title="Kill", severity="warning",
            )  # fmt: skip
            return
        members = self._members(group)
        if members is None:
            return
        hosts = ", ".join(f"node {job.spec.node_rank} {job.host}" for job in group.members)
        run_destructive(
            self.app,
            f"Kill job group {group.name} ({group.nodes} nodes)",
            lambda: self._in_background(
                "jobs-kill",
                lambda: self.services.jobs.control_group(members, "kill"),
                f"Killed the {group.nodes} nodes of {group.name}.",
            ),
            detail=f"{group.id}: {hosts} ({status_text(group)})",
        )

    def action_forget(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        if not row.status.finished:
            self.notify(
                f"{row.name} is still running: kill it first.", title="Forget", severity="warning"
            )
            return
        if isinstance(row, JobGroup):
            members = self._members(row)
            if members is None:
                return
            run_destructive(
                self.app,
                f"Forget job group {row.name} ({row.nodes} nodes)",
                lambda: self._in_background(
                    "jobs-forget",
                    lambda: self.services.jobs.forget_group(members),
                    f"Forgot {row.name} on its {row.nodes} nodes.",
                ),
                detail="Deletes each node's job folder and log: "
                + ", ".join(f"{job.host}:{job.id}" for job in row.members),
            )
            return
        manager = self._manager(row)
        if manager is None:
            return
        run_destructive(
            self.app,
            f"Forget job {row.name}",
            lambda: self._in_background(
                "jobs-forget",
                lambda: manager.forget(row.id),
                f"Forgot {row.name}.",
            ),
            detail=f"Deletes {row.host}:{row.log_path.rsplit('/', 1)[0]} and its log.",
        )

    def action_rerun(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        if isinstance(row, JobGroup):
            self._on_group(
                row,
                "jobs-rerun",
                lambda members: self.services.jobs.rerun_group(members),
                f"Started {row.name} again on {row.nodes} nodes.",
            )
            return
        if not require_writable(self.app, f"Re-running {row.name}"):
            return
        spec = row.spec
        self._open_form(
            values=fields_of(JobRequest(row.host, JobSpec(spec.command, spec.name, spec.cwd))),
            kept_env=spec.env,
        )

    def action_new_job(self) -> None:
        self._open_form()

    def _open_form(self, **prefill: Any) -> None:
        """The new-job form: as last submitted, or filled in by ``prefill`` (see
        JobFormScreen's ``values``, ``kept_env`` and ``error``)."""
        hosts = [*self.managers, *self.extra_targets]
        templates = self.services.settings.templates
        self.app.push_screen(
            JobFormScreen(
                hosts=hosts,
                templates=templates,
                memory=self.form_memory,
                services=self.services,
                **prefill,
            ),
            callback=self._start_requested,
        )

    def _start_requested(self, request: JobRequest | None) -> None:
        if request is None:
            return
        for target in request.nodes:
            if target not in self.managers and target not in self.extra_targets:
                self.extra_targets.append(target)
        services = self.services
        where = request.target if len(request.nodes) == 1 else f"{len(request.nodes)} nodes"

        def start() -> None:
            try:
                jobs = services.jobs.start(
                    request.nodes, request.spec,
                    master_addr=request.master_addr, master_port=request.master_port,
                )  # fmt: skip
            except UnknownHostKeyError:
                raise  # the app offers to trust the key; the form remembers what was typed
            except ConsoleError as exc:
                self.app.call_from_thread(self._start_failed, request, exc)
                return
            # the name the host gave it: a second "train" is "train-2"
            name = jobs[0].spec.group_name or jobs[0].name if jobs else request.spec.name
            self.app.call_from_thread(self._after_action, f"Started {name} on {where}.")

        self.run_worker(start, name="jobs-start", group="jobs-actions", thread=True,
                        exit_on_error=False)  # fmt: skip

    def _start_failed(self, request: JobRequest, error: ConsoleError) -> None:
        """Open the form again with what was typed and why the host refused it."""
        self._open_form(
            values=fields_of(request), kept_env=request.spec.env, error=describe(error).one_line()
        )
