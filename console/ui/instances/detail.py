"""One instance in full: tags, key, security-group rules, volumes, AMI, IAM role, and the
SSH host-key fingerprints its console printed (to compare with ssh's first-connection
prompt). Loaded in a thread worker; ``escape`` goes back, ``r`` loads again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen

from console.format.terminal import visible
from console.models import Instance, InstanceDetail
from console.ui.common.failures import ReportsWorkerFailures
from console.ui.common.footer import ConsoleFooter
from console.ui.common.literal import Static
from console.ui.common.text import Part, assemble, lines

if TYPE_CHECKING:
    from console.services import Services


def _heading(words: str, note: str = "") -> Text:
    return assemble((words, "bold"), note)


def detail_text(detail: InstanceDetail) -> Text:
    """The screen's body: every value from EC2 (tags, names, rules) shown as written."""
    i = detail.instance
    rows: list[Part | None] = [
        assemble((i.name or i.id, "bold"), "  ", i.id, "  ", i.type, "  ", str(i.state)),
        "",
        assemble("AMI:       ", i.image_id or "-", "  ", detail.image_name or ""),
        assemble("Key pair:  ", i.key_name or "-"),
        assemble("IAM role:  ", detail.iam_role or "-"),
        assemble("Zone:      ", i.availability_zone or "-", "   market: ", i.market),
        assemble("Addresses: public ", i.public_ip or "-", "  private ", i.private_ip or "-"),
        "",
        _heading("Tags"),
    ]
    rows += [assemble("  ", k, " = ", v) for k, v in i.tags] or ["  (none)"]
    rows += ["", _heading("Security groups")]
    rows += [assemble("  ", g, " ", n) for g, n in detail.security_groups] or ["  (none)"]
    for rule in detail.rules:
        arrow = "from" if rule.direction == "inbound" else "to"
        rows.append(
            assemble(
                f"    {rule.direction:<8} ",
                f"{visible(rule.protocol):<4}",
                f" port {visible(rule.port_range):<11} ",
                arrow,
                " ",
                rule.source,
                "  (",
                rule.group_id,
                ")",
            )
        )
    rows += ["", _heading("Volumes")]
    for v in detail.volumes:
        size = f"{v.size_gib} GiB" if v.size_gib is not None else "? GiB"
        keep = "deleted with the instance" if v.delete_on_termination else "kept on terminate"
        rows.append(
            assemble(
                "  ", v.device, " ", v.volume_id, " ", size, " ", v.volume_type or "", f" ({keep})"
            )
        )
    if not detail.volumes:
        rows.append("  (none)")
    rows += ["", _heading("SSH host key fingerprints", " (from the console output)")]
    if detail.host_key_fingerprints:
        rows += [
            assemble("  ", f"{visible(t or '?'):<12} ", fp)
            for t, fp in detail.host_key_fingerprints
        ]
    elif detail.console_output_available:
        rows.append("  none printed in the console output")
    else:
        rows.append("  no console output yet (it appears a few minutes after boot)")
    return lines(*rows)


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
            yield Static(f"Loading {self.instance.id}…", id="instance-detail-body")
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
        self.query_one("#instance-detail-body", Static).update(failure.one_line())
