"""The launch form: where, in which folder, what command, which environment, what name.

Several hosts (separated by commas or spaces) make a multi-node launch for torchrun: one
job per host, node rank in the order typed, each with MASTER_ADDR (the master address
field, or when blank the first host's private address), MASTER_PORT, NNODES and
NODE_RANK set; the Jobs view shows them as one group.

The command is split into arguments the way a shell would split it (quotes group words)
but nothing is ever run through a shell: ``$(…)``, ``;`` and the like stay literal text.
A mistake (unbalanced quote, ``NAME`` without ``=``) is said under the form, which stays
open with everything typed. Templates from the config file (``[templates."NAME"]``) fill the
form in.

Host completes from the known hosts (``console.ui.common.completion``: instances, ssh aliases,
"local"), the working directory from the folders of the first host typed. The form opens on
Host. What it was last submitted with (host, master address and port,
working directory, command, name; never the environment's values) is remembered through
``console.services.form_memory`` and fills it in the next time, in this run of the console and
the next. Re-run opens it filled in from the job: the environment's values are kept without
being shown, and a line typed for a name replaces that one.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Button, Input

from console.errors import ConsoleError
from console.models import JobSpec
from console.models.jobspec import parse_env, template_spec
from console.services.form_memory import FormMemory
from console.ui.common.completion import HostSuggester, PathSuggester, first_host
from console.ui.common.literal import Label, Select, Static, TextArea
from console.ui.common.text import assemble

if TYPE_CHECKING:
    from console.services import Services

#: torchrun's usual rendezvous port
DEFAULT_MASTER_PORT = 29500
#: the name the new-job form's values are remembered under
FORM_NAME = "new-job"
#: the fields remembered, by input id (the environment is not: its values may be secrets)
REMEMBERED = {
    "host": "jobform-host",
    "master_addr": "jobform-master-addr",
    "master_port": "jobform-master-port",
    "cwd": "jobform-cwd",
    "command": "jobform-command",
    "name": "jobform-name",
}


@dataclass(frozen=True)
class JobRequest:
    """What the form asks for: a job spec and the host ("local", instance, ssh alias), or
    for a multi-node launch every node's host in rank order (``targets``) with the master
    address ("" = the first host's private address) and port."""

    target: str
    spec: JobSpec
    targets: tuple[str, ...] = ()
    master_addr: str = ""
    master_port: int = DEFAULT_MASTER_PORT

    @property
    def nodes(self) -> tuple[str, ...]:
        return self.targets or (self.target,)


def split_hosts(text: str) -> list[str]:
    """``"gpu-a, gpu-b gpu-c"`` -> the three names (commas and spaces both separate)."""
    return [part for part in text.replace(",", " ").split() if part]


def nodes_hint(text: str) -> str:
    """What the host field means, said under it: one host, or the nodes of a group."""
    hosts = split_hosts(text)
    if len(hosts) < 2:
        return "1 node (type several hosts, separated by commas, for a multi-node torchrun)"
    ranks = ", ".join(f"rank {rank} {host}" for rank, host in enumerate(hosts))
    return f"{len(hosts)} nodes: {ranks}; MASTER_ADDR = {hosts[0]}'s address unless typed below"


def fields_of(request: JobRequest) -> dict[str, str]:
    """The remembered fields (see REMEMBERED) that describe ``request``."""
    return {
        "host": ", ".join(request.nodes),
        "master_addr": request.master_addr,
        "master_port": str(request.master_port),
        "cwd": request.spec.cwd,
        "command": shlex.join(request.spec.command),
        "name": request.spec.name,
    }


def spec_from_fields(
    *,
    target: str,
    cwd: str,
    command: str,
    env_text: str,
    name: str,
    master_addr: str = "",
    master_port: str = "",
    kept_env: Sequence[tuple[str, str]] = (),
) -> JobRequest:
    """The request the form's fields describe. Raises ConsoleError naming the wrong field."""
    hosts = split_hosts(target)
    if not hosts:
        raise ConsoleError("Host: say where to run the job (local, an instance or an ssh alias).")
    port = DEFAULT_MASTER_PORT
    if master_port.strip():
        try:
            port = int(master_port.strip())
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise ConsoleError(f"Master port: {master_port.strip()!r} is not a port (1-65535).")
    master_addr = master_addr.strip()
    if any(c.isspace() for c in master_addr):
        raise ConsoleError(f"Master address: {master_addr!r} is not a host name or address.")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConsoleError(f"Command: {exc}.") from exc
    if not argv:
        raise ConsoleError("Command: nothing to run.")
    typed = parse_env(line for line in env_text.splitlines() if line.strip())
    env = tuple({**dict(kept_env), **dict(typed)}.items())
    spec = JobSpec(command=tuple(argv), name=name, cwd=cwd or "~", env=env)
    if len(hosts) == 1:
        return JobRequest(hosts[0], spec)
    return JobRequest(hosts[0], spec, targets=tuple(hosts), master_addr=master_addr,
                      master_port=port)  # fmt: skip


class JobFormScreen(ModalScreen[JobRequest | None]):
    """Dismisses with a JobRequest on Start, None on cancel.

    ``values`` fill the fields (by the keys of REMEMBERED); without them the fields are what
    ``memory`` recalls of the last submit. ``kept_env`` is an environment carried over unseen
    (a re-run's), ``error`` a reason to show at once (a start that failed)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="jobform.cancel"),
        Binding("ctrl+s", "submit", "Start", id="jobform.start", tooltip="Start the job"),
    ]

    DEFAULT_CSS = """
    JobFormScreen { align: center middle; }
    #jobform-dialog {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    #jobform-fields { height: 1fr; }
    #jobform-foot { height: auto; }
    #jobform-dialog Label { margin-top: 1; }
    #jobform-env { height: 5; }
    #jobform-nodes { color: $text-muted; height: auto; }
    #jobform-master { height: auto; }
    #jobform-master Vertical { height: auto; width: 1fr; }
    #jobform-error { color: $error; text-style: bold; height: auto; }
    #jobform-buttons { height: auto; margin-top: 1; }
    #jobform-buttons Button { margin-right: 2; }
    """

    def __init__(
        self,
        *,
        hosts: Sequence[str],
        templates: Mapping[str, Any],
        values: Mapping[str, str] | None = None,
        kept_env: Sequence[tuple[str, str]] = (),
        memory: FormMemory | None = None,
        error: str = "",
        services: Services | None = None,
    ) -> None:
        super().__init__()
        self.hosts = list(dict.fromkeys(["local", *hosts]))
        #: where the Host field completes from (instances, ssh aliases) and the working
        #: directory from the host's folders; None: the form's own hosts only
        self.services = services
        self.templates = dict(templates)
        self.memory = memory
        self.kept_env = tuple(kept_env)
        self.error = error
        if values is None:
            values = memory.recall(FORM_NAME) if memory is not None else {}
        self.values = dict(values)

    def compose(self) -> ComposeResult:
        value = self.values.get
        with Vertical(id="jobform-dialog"):
            with VerticalScroll(id="jobform-fields"):
                yield Static(
                    assemble(
                        ("New job", "bold"), " — runs in tmux on the host; survives the console."
                    )
                )
                if self.templates:
                    yield Label("Template")
                    yield Select(
                        [(name, name) for name in sorted(self.templates)],
                        prompt="(none)",
                        id="jobform-template",
                    )
                yield Label(
                    f"Host ({', '.join(self.hosts)} or an ssh alias; several: one per node)"
                )
                yield Input(
                    value("host", "local"), suggester=self._host_suggester(), id="jobform-host"
                )
                yield Static(nodes_hint(value("host", "local")), id="jobform-nodes")
                with Horizontal(id="jobform-master"):
                    with Vertical():
                        yield Label("Master address (multi-node; blank: first host's)")
                        yield Input(value("master_addr", ""), id="jobform-master-addr")
                    with Vertical():
                        yield Label("Master port")
                        yield Input(
                            value("master_port", str(DEFAULT_MASTER_PORT)), id="jobform-master-port"
                        )
                yield Label("Working directory")
                yield Input(value("cwd", "~"), suggester=self._cwd_suggester(), id="jobform-cwd")
                yield Label("Command (split like a shell would, never run through one)")
                yield Input(
                    value("command", ""),
                    placeholder="python -m trainer train --epochs 1",
                    id="jobform-command",
                )
                yield Label("Environment (one NAME=value per line)")
                if self.kept_env:
                    yield Static(
                        "Kept from the job, values not shown: "
                        + ", ".join(name for name, _ in self.kept_env)
                        + " (a NAME=value line here replaces one)",
                        id="jobform-kept-env",
                    )
                yield TextArea("", id="jobform-env")
                yield Label("Name (a name this host has already gets -2, -3, …)")
                yield Input(value("name", ""), id="jobform-name")
            # what went wrong and the buttons stay in sight below the fields, which scroll
            # on a small terminal
            with Vertical(id="jobform-foot"):
                yield Static(self.error, id="jobform-error")
                with Horizontal(id="jobform-buttons"):
                    yield Button("Start", variant="success", id="jobform-start")
                    yield Button("Cancel", id="jobform-cancel")

    def on_mount(self) -> None:
        self.query_one("#jobform-host", Input).focus()

    def _host_suggester(self) -> Suggester | None:
        if self.services is None:
            return SuggestFromList(self.hosts)
        return HostSuggester(self.services, several=True, first=self.hosts)

    def _cwd_suggester(self) -> Suggester | None:
        if self.services is None:
            return None
        # the folder is on the (first) host typed above
        return PathSuggester(self.services, host=lambda: first_host(self._value("jobform-host")))

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.value is Select.BLANK or not isinstance(event.value, str):
            return
        try:
            spec = template_spec(self.templates, event.value)
        except ConsoleError as exc:
            self._say(exc.message)
            return
        self.query_one("#jobform-command", Input).value = shlex.join(spec.command)
        self.query_one("#jobform-cwd", Input).value = spec.cwd
        self.query_one("#jobform-name", Input).value = spec.name
        self.query_one("#jobform-env", TextArea).text = "\n".join(f"{k}={v}" for k, v in spec.env)
        self._say("")

    def _say(self, text: str) -> None:
        self.query_one("#jobform-error", Static).update(text)

    def request(self) -> JobRequest:
        """The fields as a request. Raises ConsoleError naming what is wrong."""
        return spec_from_fields(
            target=self._value("jobform-host"),
            cwd=self._value("jobform-cwd").strip(),
            command=self._value("jobform-command"),
            env_text=self.query_one("#jobform-env", TextArea).text,
            name=self._value("jobform-name"),
            master_addr=self._value("jobform-master-addr"),
            master_port=self._value("jobform-master-port"),
            kept_env=self.kept_env,
        )

    def typed(self) -> dict[str, str]:
        """The remembered fields as they are now (see REMEMBERED)."""
        return {key: self._value(widget_id) for key, widget_id in REMEMBERED.items()}

    def action_submit(self) -> None:
        if self.memory is not None:  # kept even when refused: what was typed is not lost
            self.memory.remember(FORM_NAME, self.typed())
        try:
            request = self.request()
        except ConsoleError as exc:
            self._say(exc.message)
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "jobform-host":
            self.query_one("#jobform-nodes", Static).update(nodes_hint(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "jobform-start":
            self.action_submit()
        else:
            self.action_cancel()
