"""Which host the GPU view watches: this machine, a running instance, or a typed ssh alias."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

from console.models import Instance
from console.ui.common.literal import Label, Select

LOCAL = "local"


def instance_label(instance: Instance) -> str:
    name = instance.name or instance.id
    return f"{name} ({instance.id}, {instance.type})"


class GpuHostPicker(Horizontal):
    """A list of known hosts and a field for an ssh alias (``gpu-box``, ``user@host:port``).

    Posts ``Picked(target)`` when the user chooses a host; the target is what
    ``services.hosts.host_for`` takes: "local", an instance id or the alias as typed.
    """

    DEFAULT_CSS = """
    GpuHostPicker {
        height: 1;
        padding: 0 1;
    }
    GpuHostPicker > Label {
        width: auto;
        margin-right: 1;
    }
    GpuHostPicker > Select {
        width: 1fr;
        max-width: 60;
        margin-right: 1;
    }
    GpuHostPicker > Input {
        width: 24;
    }
    """

    class Picked(Message):
        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    def __init__(self, *, suggester: Suggester | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        #: completes the alias typed (the known hosts)
        self.suggester = suggester
        self._aliases: list[str] = []
        self._instances: list[Instance] = []
        self._quiet = False

    def compose(self) -> ComposeResult:
        yield Label("Host")
        yield Select(
            [("this machine (local)", LOCAL)],
            value=LOCAL,
            allow_blank=False,
            compact=True,
            id="gpu-host-select",
        )
        yield Input(placeholder="ssh alias…", compact=True, suggester=self.suggester,
                    id="gpu-host-alias")  # fmt: skip

    @property
    def select(self) -> Select[str]:
        return self.query_one("#gpu-host-select", Select)

    @property
    def targets(self) -> list[str]:
        """Every host on offer, in order."""
        return [LOCAL, *(i.id for i in self._instances), *self._aliases]

    def set_instances(self, instances: Sequence[Instance]) -> None:
        """Offer these (running) instances; the current choice stays chosen."""
        self._instances = list(instances)
        self._refill()

    def choose(self, target: str) -> None:
        """Select ``target`` (adding it as an alias when it is new) and post Picked."""
        if target not in self.targets:
            self._aliases.append(target)
            self._refill()
        self.select.value = target  # Select.Changed posts Picked

    def _refill(self) -> None:
        current = self.select.value
        options = [("this machine (local)", LOCAL)]
        options += [(instance_label(i), i.id) for i in self._instances]
        options += [(f"{alias} (ssh)", alias) for alias in self._aliases]
        self._quiet = True  # refilling is not a choice of the user's
        with self.prevent(Select.Changed):
            self.select.set_options(options)
            self.select.value = current if current in self.targets else LOCAL
        self._quiet = False

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if not self._quiet and isinstance(event.value, str):
            self.post_message(self.Picked(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        alias = event.value.strip()
        if alias:
            event.input.value = ""
            self.choose(alias)
