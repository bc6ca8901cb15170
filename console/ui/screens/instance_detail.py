"""One instance in full: tags, key, security-group rules, volumes, AMI, IAM role, and the
SSH host-key fingerprints its console printed (to compare with ssh's first-connection
prompt). Loaded in a thread worker; ``escape`` goes back, ``r`` loads again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from console.models import Instance, InstanceDetail
from console.ui.failures import ReportsWorkerFailures
from console.ui.widgets.footer import ConsoleFooter

if TYPE_CHECKING:
    from console.services import Services


def detail_text(detail: InstanceDetail) -> str:
    """The screen's body as Rich markup (every value escaped)."""
    i = detail.instance
    lines = [
        f"[b]{escape(i.name or i.id)}[/b]  {escape(i.id)}  {escape(i.type)}  {escape(str(i.state))}",
        "",
        f"AMI:       {escape(i.image_id or '-')}  {escape(detail.image_name or '')}",
        f"Key pair:  {escape(i.key_name or '-')}",
        f"IAM role:  {escape(detail.iam_role or '-')}",
        f"Zone:      {escape(i.availability_zone or '-')}   market: {escape(i.market)}",
        f"Addresses: public {escape(i.public_ip or '-')}  private {escape(i.private_ip or '-')}",
        "",
        "[b]Tags[/b]",
    ]
    lines += [f"  {escape(k)} = {escape(v)}" for k, v in i.tags] or ["  (none)"]
    lines += ["", "[b]Security groups[/b]"]
    lines += [f"  {escape(g)} {escape(n)}" for g, n in detail.security_groups] or ["  (none)"]
    for rule in detail.rules:
        arrow = "from" if rule.direction == "inbound" else "to"
        lines.append(
            f"    {rule.direction:<8} {escape(rule.protocol):<4} port {escape(rule.port_range):<11}"
            f" {arrow} {escape(rule.source)}  ({escape(rule.group_id)})"
        )
    lines += ["", "[b]Volumes[/b]"]
    for v in detail.volumes:
        size = f"{v.size_gib} GiB" if v.size_gib is not None else "? GiB"
        keep = "deleted with the instance" if v.delete_on_termination else "kept on terminate"
        lines.append(
            f"  {escape(v.device)} {escape(v.volume_id)} {size} {escape(v.volume_type or '')}"
            f" ({keep})"
        )
    if not detail.volumes:
        lines.append("  (none)")
    lines += ["", "[b]SSH host key fingerprints[/b] (from the console output)"]
    if detail.host_key_fingerprints:
        lines += [
            f"  {escape(t or '?'):<12} {escape(fp)}" for t, fp in detail.host_key_fingerprints
        ]
    elif detail.console_output_available:
        lines.append("  none printed in the console output")
    else:
        lines.append("  no console output yet (it appears a few minutes after boot)")
    return "\n".join(lines)


class InstanceDetailScreen(ReportsWorkerFailures, Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="instance_detail.back"),
        Binding("r", "reload", "Refresh", id="instance_detail.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, detail: InstanceDetail) -> None:
            super().__init__()
            self.detail = detail

    def __init__(self, services: Services, instance: Instance) -> None:
        super().__init__()
        self.services = services
        self.instance = instance
        self.detail: InstanceDetail | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(f"Loading {escape(self.instance.id)}…", id="instance-detail-body")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        instance_id = self.instance.id

        def work() -> None:
            self.post_message(self.Loaded(self.services.ec2.instance_detail(instance_id)))

        self.run_worker(
            work,
            name="instance-detail",
            group="instance-detail",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def on_instance_detail_screen_loaded(self, message: Loaded) -> None:
        self.detail = message.detail
        self.query_one("#instance-detail-body", Static).update(detail_text(message.detail))

    def show_failure(self, failure) -> None:
        self.query_one("#instance-detail-body", Static).update(escape(failure.one_line()))
