"""GPU: the GPUs, their processes and the host itself, for one host at a time.

The sampler fills, the drawing reads: a ``GpuMonitor`` (one long-lived nvidia-smi stream) and
a ``HostSampler`` run in thread workers while the view is visible, and a timer at the
``[gpu] interval_ms`` refresh reads their snapshots and redraws. Leaving the view, choosing
another host or quitting cancels both workers, which stops the streams on the host.

Each new frame also feeds the idle-GPU detector; its first warning of an idle stretch is a
notification with the money spent idle, and one key offers to stop the instance.

With ``[idle] autostop_minutes`` set, a line under the state says what the app's autostopper
(``console.ui.gpu.autostop``, its own nvidia-smi stream per instance) will do with the
instance shown: "Autostop: stops fashion-train after 30 min idle — idle 12 min now". The
view only draws the autostopper's status; it decides nothing.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.worker import get_current_worker

from console.errors import ConsoleError
from console.format.autostop import autostop_line
from console.format.gpu import idle_warning_text
from console.models import (
    GpuSnapshot,
    GpuState,
    GpuStatus,
    IdleWarning,
    Instance,
    InstanceState,
)
from console.services.pricing import hourly_prices
from console.ui.common.background import Abandoned, call_until_cancelled
from console.ui.common.completion import HostSuggester
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.guards import run_destructive
from console.ui.common.literal import Static
from console.ui.common.view_base import ConsoleView
from console.ui.gpu.device_list import GpuList
from console.ui.gpu.doctor import DoctorScreen
from console.ui.gpu.host_panel import HostPanel
from console.ui.gpu.host_picker import LOCAL, GpuHostPicker
from console.ui.gpu.processes import GpuProcessTable
from console.ui.jobs.jupyter_link import open_jupyter

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import GpuMonitorHandle, HostSamplerHandle, IdleDetecting, Services


class GpuView(ReportsWorkerFailures, ConsoleView):
    view_id = "gpu"
    title = "GPU"
    home = "#gpu-list"
    aliases = (
        "gpus",
        "nvidia-smi",
        "smi",
    )

    BINDINGS = [
        Binding(
            "d",
            "doctor",
            "Doctor",
            id="gpu.doctor",
            tooltip="Check whether this host is ready to train",
        ),
        Binding(
            "s",
            "stop_idle_instance",
            "Stop idle",
            id="gpu.stop_idle",
            tooltip="Stop the instance whose GPUs sit idle (asks first; refused read-only)",
        ),
        Binding(
            "j", "jupyter", "Jupyter", id="gpu.jupyter",
            tooltip="Jupyter on this host: its URL with the token, the port forwarded",
        ),
        Binding(
            "a",
            "focus_alias",
            "SSH host",
            id="gpu.ssh_alias",
            tooltip="Type an ssh alias (or user@host:port) to watch",
        ),
    ]

    DEFAULT_CSS = """
    GpuView #gpu-state.problem {
        color: $warning;
        text-style: bold;
        padding: 1 2;
    }
    GpuView #gpu-idle {
        display: none;
        padding: 0 1;
        background: $warning 20%;
        color: $text;
    }
    GpuView #gpu-idle.warned {
        display: block;
    }
    GpuView #gpu-autostop {
        display: none;
        padding: 0 1;
    }
    GpuView #gpu-autostop.on {
        display: block;
    }
    """

    class InstancesLoaded(Message):
        def __init__(self, instances: list[Instance], prices: dict[str, float]) -> None:
            super().__init__()
            self.instances = instances
            self.prices = prices

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)
        self.gpu_settings = services.settings.gpu
        #: what ``services.hosts.host_for`` is asked for: "local", an instance id or an alias
        self.target = LOCAL
        #: whether the user chose a host in the picker (the demo's first pick is then left alone)
        self.picked = False
        self.is_active = False
        #: True from choosing a host until the view is left (monitors starting or running)
        self.watching = False
        self.monitor: GpuMonitorHandle | None = None
        self.sampler: HostSamplerHandle | None = None
        #: set when the host could not even be resolved (bad alias, unknown instance)
        self.host_problem: GpuSnapshot | None = None
        #: running instances by id, for the picker, prices and stopping
        self.instances: dict[str, Instance] = {}
        #: USD per hour by instance id, where known
        self.prices: dict[str, float] = {}
        self.detector: IdleDetecting | None = None
        self.idle_warning: IdleWarning | None = None
        self.failure_note = ""
        self.last_failure: Failure | None = None
        #: the state line as drawn
        self.state_text = ""
        #: the autostop line as drawn ("" when autostop is off or the host is no instance)
        self.autostop_text = ""
        self._fed_at: float | None = None
        self._generation = 0
        self._timer: Timer | None = None

    @property
    def draw_interval(self) -> float:
        return max(0.05, self.gpu_settings.interval_ms / 1000)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield GpuHostPicker(suggester=HostSuggester(self.services), id="gpu-host-picker")
        yield Static("", id="gpu-state", classes="view-status")
        yield Static("", id="gpu-idle")
        yield Static("", id="gpu-autostop")
        yield GpuList(id="gpu-list")
        yield GpuProcessTable(id="gpu-processes")
        yield HostPanel(id="gpu-host-panel")

    def on_mount(self) -> None:
        self._timer = self.set_interval(self.draw_interval, self.draw, pause=not self.is_active)

    def on_unmount(self) -> None:
        self._stop_sampling()

    # -- visible or not ----------------------------------------------------------------

    def activate(self) -> None:
        self.is_active = True
        self._load_instances()
        if not self.watching:
            self.watch_host(self.target)  # again after a failure too: the host may be back
        if self._timer is not None:
            self._timer.resume()

    def deactivate(self) -> None:
        self.is_active = False
        if self._timer is not None:
            self._timer.pause()
        self._stop_sampling()

    # -- which host ----------------------------------------------------------------------

    @property
    def host_label(self) -> str:
        instance = self.instances.get(self.target)
        return (instance.name or instance.id) if instance else self.target

    def watch_host(self, target: str) -> None:
        """Stop watching the current host and start on ``target``."""
        self._stop_sampling()
        self.watching = True
        self._generation += 1
        self.target = target
        self.host_problem = None
        self.failure_note = ""
        self.detector = self.services.monitors.idle_detector(self.host_label, self.prices.get(target))
        self.idle_warning = None
        self._fed_at = None
        if self.is_mounted:
            self.query_one("#gpu-idle", Static).set_class(False, "warned")
        for name, job in (("gpu", self._run_gpu_monitor), ("host", self._run_host_sampler)):
            self.run_worker(
                partial(job, target, self._generation),
                name=f"{name}-monitor-{target}",
                group="gpu-monitor",
                thread=True,
                exit_on_error=False,
            )
        self.draw()

    def on_gpu_host_picker_picked(self, message: GpuHostPicker.Picked) -> None:
        if message.target != self.target:
            self.picked = True
        if message.target != self.target or not self.watching:
            self.watch_host(message.target)

    def _stop_sampling(self) -> None:
        self.watching = False
        self.workers.cancel_group(self, "gpu-monitor")  # their cancel events stop the streams
        monitor, sampler = self.monitor, self.sampler
        self.monitor = self.sampler = None
        if monitor is not None:
            monitor.close()
        if sampler is not None:
            sampler.close()

    def _open(self, target: str, generation: int, opener):
        """A monitor of ``target`` opened by ``opener`` (in a worker: resolving the host may
        block); None when cancelled or it failed (shown as the host's problem)."""
        worker = get_current_worker()
        try:
            return call_until_cancelled(
                partial(opener, worker.cancelled_event),
                worker.cancelled_event,
                name=f"resolve-{target}",
            )
        except Abandoned:
            return None
        except ConsoleError as exc:
            if generation == self._generation:
                detail = exc.hint or ""
                self.host_problem = GpuSnapshot(
                    host=target, state=GpuState(GpuStatus.HOST_ERROR, exc.message, detail)
                )
            return None

    def _run_gpu_monitor(self, target: str, generation: int) -> None:
        worker = get_current_worker()
        monitors = self.services.monitors
        monitor = self._open(
            target, generation, lambda cancel: monitors.gpu_monitor(target, cancel=cancel)
        )
        if monitor is None or generation != self._generation or worker.is_cancelled:
            return
        self.monitor = monitor
        monitor.run()  # until the worker is cancelled: its event is the monitor's cancel

    def _run_host_sampler(self, target: str, generation: int) -> None:
        worker = get_current_worker()
        monitors = self.services.monitors
        interval = max(0.2, self.draw_interval)
        sampler = self._open(
            target,
            generation,
            lambda cancel: monitors.host_sampler(target, interval_s=interval, cancel=cancel),
        )
        if sampler is None or generation != self._generation or worker.is_cancelled:
            return
        self.sampler = sampler
        sampler.run()

    # -- running instances for the picker ---------------------------------------------

    def _load_instances(self) -> None:
        self.run_worker(
            self._fetch_instances,
            name="gpu-instances",
            group="gpu-instances",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _fetch_instances(self) -> None:
        worker = get_current_worker()
        try:
            instances = call_until_cancelled(
                self.services.ec2.list_instances, worker.cancelled_event, name="gpu-instances"
            )
        except Abandoned:
            return
        running = [i for i in instances if i.state is InstanceState.RUNNING]
        try:
            prices = call_until_cancelled(
                partial(hourly_prices, self.services, running),
                worker.cancelled_event,
                name="gpu-prices",
            )
        except Abandoned:
            return
        self.post_message(self.InstancesLoaded(running, prices))

    def on_gpu_view_instances_loaded(self, message: InstancesLoaded) -> None:
        self.instances = {i.id: i for i in message.instances}
        self.prices = message.prices
        if self.last_failure is not None:
            self.last_failure, self.failure_note = None, ""
        self.query_one(GpuHostPicker).set_instances(message.instances)
        demo_pick = self._demo_gpu_instance(message.instances)
        if demo_pick is not None:  # the demo's GPUs are its instances' (this machine has none)
            self.query_one(GpuHostPicker).choose(demo_pick.id)
        if self.detector is not None:
            self.detector.price_per_hour = self.prices.get(self.target)
            self.detector.host = self.host_label

    def _demo_gpu_instance(self, running: list[Instance]) -> Instance | None:
        """In the demo, before the user picks a host: its first running instance of a GPU
        family (g…, p…: they replay recorded GPUs), shown instead of this machine."""
        if self.services.demo is None or self.picked or self.target != LOCAL:
            return None
        return next((i for i in running if i.type[:1] in ("g", "p")), None)

    # -- drawing (reads snapshots only) ---------------------------------------------------

    @property
    def snapshot(self) -> GpuSnapshot | None:
        if self.host_problem is not None:
            return self.host_problem
        monitor = self.monitor
        return monitor.snapshot() if monitor is not None else None

    def draw(self) -> None:
        if not self.is_mounted:
            return  # activated before being mounted: the timer draws once it is
        snapshot = self.snapshot
        ok = snapshot is not None and snapshot.state.ok
        state = self.query_one("#gpu-state", Static)
        state.set_class(
            snapshot is not None and not ok and snapshot.state.status is not GpuStatus.STARTING,
            "problem",
        )
        text = self.describe_state(snapshot) + (
            f"\n{self.failure_note}" if self.failure_note else ""
        )
        if text != self.state_text:
            self.state_text = text
            state.update(text)
        gpu_list = self.query_one(GpuList)
        processes = self.query_one(GpuProcessTable)
        gpu_list.display = processes.display = ok
        if ok and snapshot is not None:
            monitor = self.monitor
            gpu_list.show(snapshot.gpus, monitor.history if monitor is not None else None)
            processes.show(snapshot.processes, snapshot.gpus)
            self._feed_idle(snapshot)
        self._draw_autostop()
        sampler = self.sampler
        self.query_one(HostPanel).show(
            self.host_label,
            sampler.latest() if sampler is not None else None,
            sampler.error if sampler is not None else None,
        )

    def describe_state(self, snapshot: GpuSnapshot | None) -> str:
        if snapshot is None or snapshot.state.status is GpuStatus.STARTING:
            return f"Starting nvidia-smi on {self.host_label}…"
        state = snapshot.state
        if state.status is GpuStatus.HOST_ERROR:
            extra = state.detail if state.detail and state.detail not in state.message else ""
            return f"Host unreachable: {state.message}" + (f"\n{extra}" if extra else "")
        if not state.ok:
            detail = state.detail.strip().splitlines()[0] if state.detail.strip() else ""
            return state.message + (f"\n{detail}" if detail else "")
        stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.updated_at or time.time()))
        count = len(snapshot.gpus)
        # a replayed recording (the demo's instances) is never passed off as a live GPU
        source = f"\n{snapshot.recording}" if snapshot.recording else ""
        return (
            f"{self.host_label}: {count} GPU{'s' if count != 1 else ''}, "
            f"{len(snapshot.processes)} process{'es' if len(snapshot.processes) != 1 else ''}"
            f" · updated {stamp} · every {self.gpu_settings.interval_ms} ms{source}"
        )

    def action_jupyter(self) -> None:
        """Jupyter on the host watched here."""
        open_jupyter(self, self.target, self.host_label)

    # -- autostop ---------------------------------------------------------------------------

    def describe_autostop(self) -> str:
        """The autostop line for the host shown: "" when autostop is off or the host is not
        a running instance of this account (only those are ever stopped)."""
        minutes = self.services.settings.idle.autostop_minutes
        instance = self.instances.get(self.target)
        if minutes <= 0 or instance is None:
            return ""
        handle = getattr(self.app, "autostop", None)
        status = handle.status(instance.id) if handle is not None else None
        name = instance.name or instance.id
        return autostop_line(status, name, minutes, read_only=self.services.read_only)

    def _draw_autostop(self) -> None:
        text = self.describe_autostop()
        if text == self.autostop_text:
            return
        self.autostop_text = text
        line = self.query_one("#gpu-autostop", Static)
        line.update(text)
        line.set_class(bool(text), "on")

    # -- idle GPUs -------------------------------------------------------------------------

    def _key_for(self, binding_id: str, default: str) -> str:
        keys = getattr(self.app, "keymap_in_use", {}).get(binding_id, default)
        return keys.split(",")[0]

    def _feed_idle(self, snapshot: GpuSnapshot) -> None:
        if (
            self.detector is None
            or snapshot.updated_at is None
            or snapshot.updated_at == self._fed_at
        ):
            return
        self._fed_at = snapshot.updated_at
        status = self.detector.feed(snapshot.gpus, snapshot.updated_at)
        self.idle_warning = status.warning
        idle_line = self.query_one("#gpu-idle", Static)
        idle_line.set_class(status.warning is not None, "warned")
        if status.warning is None:
            return
        offer = ""
        if self.target in self.instances:
            offer = f" Press {self._key_for('gpu.stop_idle', 's')} to stop the instance."
        idle_line.update(idle_warning_text(status.warning) + offer)
        if status.newly_warned:
            self.notify(
                idle_warning_text(status.warning) + offer, title="Idle GPUs", severity="warning", timeout=30
            )

    def action_stop_idle_instance(self) -> None:
        warning = self.idle_warning
        if warning is None:
            self.notify(
                f"The GPUs of {self.host_label} are not idle: nothing to stop.", title="Idle GPUs"
            )
            return
        instance = self.instances.get(self.target)
        if instance is None:
            self.notify(
                f"{self.host_label} is not a running instance of this account: stop it where it runs.",
                title="Idle GPUs",
                severity="warning",
            )
            return
        run_destructive(
            self.app,
            f"Stop instance {instance.name or instance.id} ({instance.id})",
            partial(self._stop_instance, instance),
            detail=idle_warning_text(warning),
        )

    def _stop_instance(self, instance: Instance) -> None:
        self.run_worker(
            partial(self._stop_in_worker, instance),
            name="gpu-stop",
            group="gpu-stop",
            thread=True,
            exit_on_error=False,
        )

    def _stop_in_worker(self, instance: Instance) -> None:
        self.services.ec2.change_state("stop", instance.id, read_only=self.services.read_only)
        self.app.call_from_thread(
            self.notify, f"Stopping {instance.name or instance.id}.", title="Instance"
        )

    # -- other keys ------------------------------------------------------------------------

    def action_doctor(self) -> None:
        self.app.push_screen(DoctorScreen(self.services, self.target))

    def action_focus_alias(self) -> None:
        self.query_one("#gpu-host-alias").focus()

    def show_failure(self, failure: Failure) -> None:
        """A worker of this view failed (the app already notified): keep it in view."""
        self.last_failure = failure  # the app notifies a repeated failure only once
        self.failure_note = failure.one_line()
        self.draw()
