"""The launch form: where, in which folder, what command, which environment, what name.

The command is split into arguments the way a shell would split it (quotes group words)
but nothing is ever run through a shell: ``$(…)``, ``;`` and the like stay literal text.
A mistake (unbalanced quote, ``NAME`` without ``=``) is said under the form, which stays
open with everything typed. Templates from the config file (``[templates."NAME"]``) fill the
form in.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from console.errors import ConsoleError
from console.models import JobSpec


def _jobs():
    """console.jobs, imported on first use: it loads the host layer (and the SSH library),
    which merely loading the UI must not."""
    from console import jobs

    return jobs


@dataclass(frozen=True)
class JobRequest:
    """What the form asks for: a job spec and the host ("local", instance, ssh alias)."""

    target: str
    spec: JobSpec


def spec_from_fields(
    *, target: str, cwd: str, command: str, env_text: str, name: str
) -> JobRequest:
    """The request the form's fields describe. Raises ConsoleError naming the wrong field."""
    target = target.strip()
    if not target:
        raise ConsoleError("Host: say where to run the job (local, an instance or an ssh alias).")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConsoleError(f"Command: {exc}.") from exc
    if not argv:
        raise ConsoleError("Command: nothing to run.")
    env = _jobs().parse_env(line for line in env_text.splitlines() if line.strip())
    return JobRequest(target, JobSpec(command=tuple(argv), name=name, cwd=cwd or "~", env=env))


class JobFormScreen(ModalScreen[JobRequest | None]):
    """Dismisses with a JobRequest on Start, None on cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="jobform.cancel"),
        Binding("ctrl+s", "submit", "Start", id="jobform.start", tooltip="Start the job"),
    ]

    DEFAULT_CSS = """
    JobFormScreen { align: center middle; }
    #jobform-dialog {
        width: 90; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    #jobform-dialog Label { margin-top: 1; }
    #jobform-env { height: 5; }
    #jobform-error { color: $error; text-style: bold; height: auto; }
    #jobform-buttons { height: auto; margin-top: 1; }
    #jobform-buttons Button { margin-right: 2; }
    """

    def __init__(
        self,
        *,
        hosts: Sequence[str],
        templates: Mapping[str, Any],
        initial: JobRequest | None = None,
    ) -> None:
        super().__init__()
        self.hosts = list(dict.fromkeys(["local", *hosts]))
        self.templates = dict(templates)
        self.initial = initial

    def compose(self) -> ComposeResult:
        start = self.initial
        with VerticalScroll(id="jobform-dialog"):
            yield Static("[b]New job[/b] — runs in tmux on the host; survives the console.")
            if self.templates:
                yield Label("Template")
                yield Select(
                    [(name, name) for name in sorted(self.templates)],
                    prompt="(none)",
                    id="jobform-template",
                )
            yield Label(f"Host ({', '.join(self.hosts)} or an ssh alias)")
            yield Input(
                start.target if start else "local",
                suggester=SuggestFromList(self.hosts),
                id="jobform-host",
            )
            yield Label("Working directory")
            yield Input(start.spec.cwd if start else "~", id="jobform-cwd")
            yield Label("Command (split like a shell would, never run through one)")
            yield Input(
                shlex.join(start.spec.command) if start else "",
                placeholder="python -m trainer train --epochs 1",
                id="jobform-command",
            )
            yield Label("Environment (one NAME=value per line)")
            yield TextArea(
                "\n".join(f"{k}={v}" for k, v in start.spec.env) if start else "",
                id="jobform-env",
            )
            yield Label("Name")
            yield Input(start.spec.name if start else "", id="jobform-name")
            yield Static("", id="jobform-error")
            with Horizontal(id="jobform-buttons"):
                yield Button("Start", variant="success", id="jobform-start")
                yield Button("Cancel", id="jobform-cancel")

    def on_mount(self) -> None:
        self.query_one("#jobform-command", Input).focus()

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.value is Select.BLANK or not isinstance(event.value, str):
            return
        try:
            spec = _jobs().template_spec(self.templates, event.value)
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
        )

    def action_submit(self) -> None:
        try:
            request = self.request()
        except ConsoleError as exc:
            self._say(exc.message)
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "jobform-start":
            self.action_submit()
        else:
            self.action_cancel()
