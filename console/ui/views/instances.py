"""EC2 instances: one row per instance, the state coloured."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult

from console.models import Instance, InstanceState
from console.ui.views.base import ResourceView
from console.ui.widgets.resource_table import Column, ResourceTable, blank_if_none

STATE_STYLES = {
    InstanceState.RUNNING: "bold green",
    InstanceState.PENDING: "yellow",
    InstanceState.STOPPING: "yellow",
    InstanceState.SHUTTING_DOWN: "yellow",
    InstanceState.STOPPED: "red",
    InstanceState.TERMINATED: "dim",
    InstanceState.UNKNOWN: "magenta",
}


def state_cell(instance: Instance) -> Text:
    return Text(str(instance.state), style=STATE_STYLES.get(instance.state, ""))


#: The table, left to right. Add a column here and it appears everywhere the table is shown.
INSTANCE_COLUMNS: tuple[Column[Instance], ...] = (
    Column("id", "ID", lambda i: i.id),
    Column("name", "Name", lambda i: i.name),
    Column("type", "Type", lambda i: i.type),
    Column("state", "State", state_cell),
    Column("public_ip", "Public IP", lambda i: blank_if_none(i.public_ip)),
)


class InstancesView(ResourceView):
    view_id = "instances"
    title = "Instances"
    aliases = ("ec2", "instance", "vm")

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(INSTANCE_COLUMNS, row_key=lambda i: i.id, id="instances-table")

    @property
    def table(self) -> ResourceTable[Instance]:
        return self.query_one("#instances-table", ResourceTable)

    def fetch(self) -> list[Instance]:
        return self.services.ec2.list_instances()

    def show_items(self, items: Sequence[Instance]) -> None:
        self.table.show(items)

    def describe_items(self, items: Sequence[Instance]) -> str:
        if not items:
            return "No instances in this region."
        running = sum(1 for i in items if i.state is InstanceState.RUNNING)
        noun = "instance" if len(items) == 1 else "instances"
        return f"{len(items)} {noun}, {running} running"
