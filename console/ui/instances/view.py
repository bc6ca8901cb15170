"""EC2 instances: one row per instance with its GPUs, price and cost; sort, filter, actions.

Keys (each with a binding id, remappable): ``s`` sorts by the next column shown (``S`` reverses),
a click on a header sorts by it, ``/`` filters over every column, ``enter`` opens the detail,
``U``/``X``/``B``/``delete`` start, stop, reboot, terminate (asked first, a start with its
$/hour, typed name for terminate, refused read-only), ``c`` opens a shell in the real terminal, ``j`` Jupyter (found or started
there, its port forwarded here, the URL with its token shown), ``L`` opens the launch wizard. While any instance is pending, stopping or
shutting down, the view reloads every ``TRANSITION_INTERVAL`` seconds until all have settled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from console.errors import ConsoleError
from console.format.instances import dollars, duration, gpu_label, uptime_seconds
from console.format.launch import start_detail
from console.models import HourlyPrice, Instance, InstanceState, InstanceTypeInfo
from console.ui.common.guards import require_writable, run_destructive
from console.ui.common.literal import DataTable
from console.ui.common.resource_table import Column, ResourceTable, blank_if_none
from console.ui.common.view_base import ResourceView
from console.ui.instances.detail import InstanceDetailScreen
from console.ui.instances.launch_wizard import LaunchWizardScreen
from console.ui.jobs.jupyter_link import open_jupyter
from console.ui.runs.train_form import TrainFormScreen, TrainStarted, started_text

STATE_STYLES = {
    InstanceState.RUNNING: "bold green",
    InstanceState.PENDING: "yellow",
    InstanceState.STOPPING: "yellow",
    InstanceState.SHUTTING_DOWN: "yellow",
    InstanceState.STOPPED: "red",
    InstanceState.TERMINATED: "dim",
    InstanceState.UNKNOWN: "magenta",
}

#: states that change by themselves: the view reloads quickly until none is left
TRANSITIONAL = {InstanceState.PENDING, InstanceState.STOPPING, InstanceState.SHUTTING_DOWN}
TRANSITION_INTERVAL = 2.0

#: the states each action makes sense from (EC2 itself is lenient in places)
ACTION_STATES = {
    "start": {InstanceState.STOPPED},
    "stop": {InstanceState.RUNNING, InstanceState.PENDING},
    "reboot": {InstanceState.RUNNING},
    "terminate": {
        InstanceState.RUNNING,
        InstanceState.PENDING,
        InstanceState.STOPPING,
        InstanceState.STOPPED,
    },
}


@dataclass(frozen=True)
class InstanceRow:
    """An instance with what the table shows beside it (type hardware, hourly price)."""

    instance: Instance
    type_info: InstanceTypeInfo | None
    price: HourlyPrice | None
    now: dt.datetime

    @property
    def id(self) -> str:
        return self.instance.id

    @property
    def uptime(self) -> float | None:
        return uptime_seconds(self.instance, self.now)

    @property
    def cost(self) -> float | None:
        hours = self.uptime
        if hours is None or self.price is None:
            return None
        return hours / 3600 * self.price.price_per_hour


def state_cell(row: InstanceRow) -> Text:
    state = row.instance.state
    return Text(str(state), style=STATE_STYLES.get(state, ""))


def price_cell(row: InstanceRow) -> str:
    return "" if row.price is None else dollars(row.price.price_per_hour)


#: The table, left to right. Add a column here and it appears everywhere the table is shown.
#: Name, State, GPUs and $/hour always show; the others give way on a narrow screen, the
#: highest ``give_way`` first (the detail screen, Enter, shows every field).
INSTANCE_COLUMNS: tuple[Column[InstanceRow], ...] = (
    Column("id", "ID", lambda r: r.instance.id, give_way=3),
    Column("name", "Name", lambda r: r.instance.name),
    Column("type", "Type", lambda r: r.instance.type, give_way=2),
    Column("state", "State", state_cell),
    # 15: the widest IPv4 address; a fixed width keeps the columns still as instances come and go
    Column("public_ip", "Public IP", lambda r: blank_if_none(r.instance.public_ip), width=15,
           give_way=6),  # fmt: skip
    Column("gpus", "GPUs", lambda r: gpu_label(r.type_info)),
    Column("market", "Market", lambda r: r.instance.market, give_way=7),
    Column("az", "AZ", lambda r: blank_if_none(r.instance.availability_zone), give_way=8),
    Column("uptime", "Uptime", lambda r: duration(r.uptime), give_way=5),
    Column("price", "$/hour", price_cell),
    Column("cost", "Cost", lambda r: dollars(r.cost), give_way=4),
    Column("price_source", "Price from", lambda r: "" if r.price is None else r.price.source,
           give_way=9),
)  # fmt: skip

#: how each column sorts (numbers as numbers, blanks last); columns not named sort by text
SORT_KEYS: dict[str, Callable[[InstanceRow], Any]] = {
    "gpus": lambda r: r.type_info.gpu_count if r.type_info else 0,
    "uptime": lambda r: r.uptime if r.uptime is not None else -1.0,
    "price": lambda r: r.price.price_per_hour if r.price else -1.0,
    "cost": lambda r: r.cost if r.cost is not None else -1.0,
}


def sort_value(column: Column[InstanceRow], row: InstanceRow) -> Any:
    key = SORT_KEYS.get(column.key)
    return key(row) if key is not None else str(column.cell(row)).lower()


def matches(row: InstanceRow, needle: str) -> bool:
    """True when any cell of the row contains ``needle`` (case-insensitive)."""
    needle = needle.strip().lower()
    return not needle or any(needle in str(c.cell(row)).lower() for c in INSTANCE_COLUMNS)


class InstancesView(ResourceView):
    view_id = "instances"
    title = "Instances"
    aliases = ("ec2", "instance", "vm")
    home = "#instances-table"

    BINDINGS = [
        Binding("s", "sort_next", "Sort", id="instances.sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", id="instances.sort_reverse", show=False),
        Binding("slash", "filter", "Filter", id="instances.filter", key_display="/"),
        # a binding (not a key handler) so the focus policy sees that Escape in the filter
        # means "clear it", as in the bucket browser, not just "leave the field"
        Binding("escape", "clear_filter", "Clear filter", show=False, id="instances.clear_filter"),
        Binding("enter", "detail", "Details", id="instances.detail", show=False),
        Binding("U", "state('start')", "Start", id="instances.start"),
        Binding("X", "state('stop')", "Stop", id="instances.stop"),
        Binding("B", "state('reboot')", "Reboot", id="instances.reboot"),
        Binding("delete", "state('terminate')", "Terminate", id="instances.terminate"),
        Binding("c", "shell", "Shell", id="instances.shell", tooltip="SSH shell in the terminal"),
        Binding(
            "j", "jupyter", "Jupyter", id="instances.jupyter", tooltip="Forward Jupyter's port"
        ),
        Binding("L", "launch", "Launch", id="instances.launch", tooltip="Launch an instance"),
        Binding("t", "train", "Train", id="instances.train",
                tooltip="Start a training run on the selected instance (a form)"),
    ]  # fmt: skip

    def __init__(self, services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)
        self.rows: list[InstanceRow] = []
        self.sort_column: str | None = None
        self.sort_descending = False
        self.filter_text = ""
        self._transition_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(INSTANCE_COLUMNS, row_key=lambda r: r.id, id="instances-table")
        filter_input = Input(placeholder="filter: any column contains…", id="instances-filter")
        filter_input.display = False
        yield filter_input

    @property
    def table(self) -> ResourceTable[InstanceRow]:
        return self.query_one("#instances-table", ResourceTable)

    # -- loading ------------------------------------------------------------------------

    class FirstRows(Message):
        """The first page of a listing, before the rest and the prices (posted by fetch)."""

        def __init__(self, rows: list[InstanceRow]) -> None:
            super().__init__()
            self.rows = rows

    def fetch(self) -> list[InstanceRow]:
        ec2 = self.services.ec2
        if self.rows:
            instances = ec2.list_instances()  # a reload: the rows shown stay until it is done
        else:
            instances = ec2.list_instances(first_page=self._post_first_rows)
        # hardware and prices are extras: a denied describe-instance-types or spot history
        # leaves those cells blank, the list itself still shows
        try:
            types = ec2.instance_types(i.type for i in instances)
        except ConsoleError:
            types = {}
        try:
            prices = ec2.hourly_prices(instances)
        except ConsoleError:
            prices = {}
        now = dt.datetime.now(dt.UTC)
        return [InstanceRow(i, types.get(i.type), prices.get(i.id), now) for i in instances]

    def _post_first_rows(self, instances: list[Instance]) -> None:
        """Worker thread: the first page with its GPUs (one cached call), prices to come."""
        try:
            types = self.services.ec2.instance_types(i.type for i in instances)
        except ConsoleError:
            types = {}
        now = dt.datetime.now(dt.UTC)
        rows = [InstanceRow(i, types.get(i.type), None, now) for i in instances]
        self.post_message(self.FirstRows(rows))

    def on_instances_view_first_rows(self, message: FirstRows) -> None:
        message.stop()
        if self.rows or not self.loading_now:
            return  # the whole listing (or a newer one) is already shown
        self.rows = list(message.rows)
        self._redraw()
        self.status_line.update(f"{len(self.rows)} instances so far, loading the rest…")

    def show_items(self, items: Sequence[InstanceRow]) -> None:
        self.rows = list(items)
        self._redraw()
        self._follow_transitions()

    def describe_items(self, items: Sequence[InstanceRow]) -> str:
        if not items:
            return "No instances in this region."
        running = sum(1 for r in items if r.instance.state is InstanceState.RUNNING)
        noun = "instance" if len(items) == 1 else "instances"
        text = f"{len(items)} {noun}, {running} running"
        hourly = sum(r.price.price_per_hour for r in items if r.price and r.uptime is not None)
        if hourly:
            text += f", {dollars(hourly)}/hour now"
        return text

    def visible_rows(self) -> list[InstanceRow]:
        rows = [r for r in self.rows if matches(r, self.filter_text)]
        column = next((c for c in INSTANCE_COLUMNS if c.key == self.sort_column), None)
        if column is not None:
            rows.sort(key=lambda r: sort_value(column, r), reverse=self.sort_descending)
        return rows

    def _redraw(self) -> None:
        self.table.show(self.visible_rows())
        for column in INSTANCE_COLUMNS:
            label = column.label
            if column.key == self.sort_column:
                label += " ▼" if self.sort_descending else " ▲"
            self.table.set_label(column.key, label)

    def _follow_transitions(self) -> None:
        """Reload soon while an instance is between states; stop once all have settled."""
        if self._transition_timer is not None:
            self._transition_timer.stop()
            self._transition_timer = None
        if any(r.instance.state in TRANSITIONAL for r in self.rows):
            self._transition_timer = self.set_timer(TRANSITION_INTERVAL, self._reload_on_timer)

    # -- sort and filter ------------------------------------------------------------------

    def sort_by(self, column_key: str, *, descending: bool | None = None) -> None:
        if descending is None:
            descending = self.sort_descending if column_key == self.sort_column else False
        self.sort_column, self.sort_descending = column_key, descending
        self._redraw()

    def action_sort_next(self) -> None:
        # the columns on screen: one that gave way to a narrow screen would sort unseen
        keys = list(self.table.shown_columns) or [c.key for c in INSTANCE_COLUMNS]
        index = keys.index(self.sort_column) + 1 if self.sort_column in keys else 0
        self.sort_by(keys[index % len(keys)], descending=False)

    def action_sort_reverse(self) -> None:
        self.sort_by(
            self.sort_column or INSTANCE_COLUMNS[0].key, descending=not self.sort_descending
        )

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key.value
        same = key == self.sort_column
        self.sort_by(key, descending=(not self.sort_descending) if same else False)

    def action_filter(self) -> None:
        box = self.query_one("#instances-filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "instances-filter":
            event.stop()
            self.filter_text = event.value
            self._redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "instances-filter":
            event.stop()
            if not event.value:
                event.input.display = False
            self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#instances-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.table.focus()

    # -- the selected instance and its actions ------------------------------------------

    def selected(self) -> Instance | None:
        key = self.table.cursor_key
        row = next((r for r in self.rows if r.id == key), None)
        if row is None:
            self.notify("No instance selected.", title="Instances", severity="warning")
            return None
        return row.instance

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_detail()

    def action_detail(self) -> None:
        instance = self.selected()
        if instance is not None:
            self.app.push_screen(InstanceDetailScreen(self.services, instance))

    def action_launch(self) -> None:
        if not require_writable(self.app, "Launching an instance"):
            return

        def launched(instance_id: str | None) -> None:
            if instance_id:
                self.action_reload()

        self.app.push_screen(LaunchWizardScreen(self.services), callback=launched)

    def action_train(self) -> None:
        if not require_writable(self.app, "Training"):
            return
        instance = self.selected()
        if instance is None:
            return

        def started(done: TrainStarted | None) -> None:
            if done is not None:
                self.notify(started_text(done).plain + "\n(6: the Runs view follows it)",
                            title="Train", timeout=15)  # fmt: skip

        form = TrainFormScreen(self.services, hosts=(instance.name or instance.id,))
        self.app.push_screen(form, callback=started)

    def action_state(self, action: str) -> None:
        instance = self.selected()
        if instance is None:
            return
        label = instance.name or instance.id
        what = f"{action.capitalize()} {label}"
        if instance.state not in ACTION_STATES[action]:
            self.notify(
                f"Cannot {action} {label}: it is {instance.state}.",
                title="Instances",
                severity="warning",
            )
            return

        def go() -> None:
            self._change_state(action, instance)

        if action == "start":
            # a start is billed by the hour: ask as a stop does, with the price
            row = next((r for r in self.rows if r.id == instance.id), None)
            run_destructive(
                self.app, what, go, detail=start_detail(instance, row.price if row else None)
            )
            return
        run_destructive(
            self.app,
            what,
            go,
            detail=f"{instance.id} ({instance.type}, {instance.state})",
            # terminating loses the root volume: the name must be typed
            typed_confirmation=(instance.name or instance.id) if action == "terminate" else None,
        )

    def _change_state(self, action: str, instance: Instance) -> None:
        read_only = bool(getattr(self.app, "read_only", False))

        def work() -> None:
            state = self.services.ec2.change_state(action, instance.id, read_only=read_only)
            self.app.call_from_thread(self._after_change, action, instance, state)

        self.run_worker(
            work,
            name=f"instances-{action}",
            group="instances-actions",
            thread=True,
            exit_on_error=False,
        )

    def _after_change(self, action: str, instance: Instance, state: str) -> None:
        self.notify(
            f"{action.capitalize()} {instance.name or instance.id}: {state}.", title="Instances"
        )
        self.action_reload()

    # -- the real terminal ----------------------------------------------------------------

    def action_shell(self) -> None:
        self._in_terminal("shell")

    def action_jupyter(self) -> None:
        """Jupyter on the instance, its URL with the token in a dialog (``open_jupyter``)."""
        instance = self.selected()
        if instance is not None:
            open_jupyter(self, instance.id, instance.name or instance.id)

    def _in_terminal(self, purpose: str) -> None:
        instance = self.selected()
        if instance is None:
            return

        def work() -> None:
            argv = self.services.terminal_argv(instance, purpose)
            self.app.call_from_thread(self._run_in_terminal, argv, purpose)

        self.run_worker(
            work,
            name=f"instances-{purpose}",
            group="instances-terminal",
            thread=True,
            exit_on_error=False,
        )

    def _run_in_terminal(self, argv: list[str], purpose: str) -> None:
        self.last_terminal_argv = argv
        if purpose == "jupyter":
            self.notify(f"Forwarding: {' '.join(argv)} — Ctrl-C returns here.", title="Jupyter")
        try:
            with self.app.suspend():
                self.services.run_in_terminal(argv)
        except Exception as error:  # noqa: BLE001 - no terminal to hand over (tests, web)
            self.notify(
                f"Cannot use the terminal here: {error}", title="Terminal", severity="error"
            )
