"""``AutoStopper``: the blocking half of autostop, on the bundle's EC2 backend and monitors.

``run()`` blocks until its cancellation event is set (the console calls it from one thread
worker while it is open; a script could call it the same way). It

1. lists the instances every ``relist_s`` (``aws ec2 describe-instances``) and watches the
   *running* ones whose type has GPUs (``describe-instance-types``; a type EC2 does not
   describe counts when its family is g… or p…), priced as the GPU view prices them
   (``console.services.pricing.hourly_prices``);
2. streams each one's GPUs with the same monitor the GPU view uses
   (``services.monitors.gpu_monitor``: one long-lived ``nvidia-smi --query-gpu … -lms N``
   per instance, at the ``[gpu] interval_ms`` refresh), each in a daemon thread of its own;
   a host that cannot be opened is tried again with the next listing, not before;
3. feeds every frame to the pure ``console.gpu.autostop.AutoStopPolicy`` on this one
   thread, and sends the stops it decides through ``services.ec2.change_state("stop", …)``
   (the Instances view's stop; refused by the services' guard while read-only, whatever
   the policy said).

What happens is told through ``on_report`` (an instance stopped, a stop that failed, the
listing failing: once until it works again), called from this thread; ``status(id)`` is
what the GPU view draws, safe from any thread. The instances stop on their own schedule: a
stop EC2 accepted is not sent again, and the instance is dropped with the next listing that
no longer shows it running. When the GPU view watches the same instance there are two
nvidia-smi streams on it; that costs one process on the host and keeps the two apart.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.errors import ConsoleError
from console.gpu.autostop import AutoStopPolicy
from console.models import (
    AutoStopPhase,
    AutoStopReport,
    AutoStopReportKind,
    AutoStopStatus,
    GpuSnapshot,
    GpuStatus,
    Instance,
    InstanceState,
)
from console.services.pricing import hourly_prices

if TYPE_CHECKING:
    from console.services.bundle import Services

#: seconds between two listings of the instances (new instances are picked up, stopped
#: ones dropped, unreachable ones tried again)
RELIST_SECONDS = 60.0

#: instance families of NVIDIA GPUs, for a type EC2 does not describe
GPU_FAMILIES = ("g", "p")


class AutoStopper:
    """Watches the running GPU instances and stops those idle for the autostop period."""

    def __init__(
        self,
        services: Services,
        *,
        cancel: threading.Event,
        on_report: Callable[[AutoStopReport], None] | None = None,
        relist_s: float = RELIST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._services = services
        self.cancel = cancel
        self._on_report = on_report
        self.relist_s = relist_s
        self._clock = clock
        self.policy = AutoStopPolicy(services.settings.idle)
        #: (instance id, GpuSnapshot or the ConsoleError that kept its monitor from opening)
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._watchers: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._monitors: dict[str, Any] = {}
        self._fed_at: dict[str, float] = {}
        self._statuses: dict[str, AutoStopStatus] = {}
        self._list_failed = False

    @property
    def enabled(self) -> bool:
        return self.policy.enabled

    def status(self, instance_id: str) -> AutoStopStatus | None:
        """What the autostopper knows of ``instance_id`` now (None: not watched)."""
        return self._statuses.get(instance_id)

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """List, watch, feed and stop until cancelled; then close every stream. Returns at
        once when autostop is off. Never raises a ConsoleError (each is reported)."""
        if not self.enabled:
            return
        try:
            self._services.ready()  # the demo may still be starting
            next_listing = self._clock()
            while not self.cancel.is_set():
                if self._clock() >= next_listing:
                    self._relist()
                    next_listing = self._clock() + self.relist_s
                try:
                    instance_id, item = self._inbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                self._handle(instance_id, item)
                self._publish()
        finally:
            self.close()

    def close(self) -> None:
        """Stop every stream (safe from any thread, safe twice)."""
        self.cancel.set()
        with self._lock:
            watchers = list(self._watchers.values())
            monitors = list(self._monitors.values())
        for _, stop in watchers:
            stop.set()
        for monitor in monitors:
            monitor.close()

    # -- which instances -------------------------------------------------------------------

    def _relist(self) -> None:
        try:
            instances = self._services.ec2.list_instances()
        except ConsoleError as exc:
            if not self._list_failed:
                self._list_failed = True
                self._report(AutoStopReport(AutoStopReportKind.LIST_FAILED, message=exc.message))
            return
        self._list_failed = False
        running = [i for i in instances if i.state is InstanceState.RUNNING]
        with_gpus = self._with_gpus(running)
        wanted = {i.id for i in with_gpus}
        for instance_id in self.policy.watched():
            if instance_id not in wanted:
                self._unwatch(instance_id)
        new = [i for i in with_gpus if i.id not in self.policy.watched()]
        prices = hourly_prices(self._services, new) if new else {}
        for instance in with_gpus:
            self.policy.watch(instance.id, instance.name or instance.id, prices.get(instance.id))
            status = self.policy.status(instance.id)
            if status is not None and status.phase is AutoStopPhase.STOPPING:
                continue  # stopped by us: dropped once the listing no longer says running
            self._start_watcher(instance.id)
        self._publish()

    def _with_gpus(self, running: list[Instance]) -> list[Instance]:
        try:
            types = self._services.ec2.instance_types({i.type for i in running})
        except ConsoleError:
            types = {}
        return [
            i
            for i in running
            if (types[i.type].gpu_count > 0 if i.type in types else i.type[:1] in GPU_FAMILIES)
        ]

    def _start_watcher(self, instance_id: str) -> None:
        with self._lock:
            current = self._watchers.get(instance_id)
            if current is not None and current[0].is_alive():
                return
            stop = threading.Event()
            thread = threading.Thread(
                target=self._watch,
                args=(instance_id, stop),
                name=f"autostop-{instance_id}",
                daemon=True,
            )
            self._watchers[instance_id] = (thread, stop)
        thread.start()

    def _unwatch(self, instance_id: str) -> None:
        with self._lock:
            watcher = self._watchers.pop(instance_id, None)
            monitor = self._monitors.pop(instance_id, None)
        if watcher is not None:
            watcher[1].set()
        if monitor is not None:
            monitor.close()
        self._fed_at.pop(instance_id, None)
        self.policy.forget(instance_id)

    def _watch(self, instance_id: str, stop: threading.Event) -> None:
        """One instance's GPU stream (a daemon thread: resolving the host may block)."""
        try:
            monitor = self._services.monitors.gpu_monitor(
                instance_id,
                cancel=stop,
                on_update=lambda snapshot: self._inbox.put((instance_id, snapshot)),
            )
        except ConsoleError as exc:
            self._inbox.put((instance_id, exc))
            return
        with self._lock:
            if stop.is_set() or self.cancel.is_set():
                monitor.close()
                return
            self._monitors[instance_id] = monitor
        monitor.run()  # until ``stop``: the monitor's cancel event

    # -- frames and stops ------------------------------------------------------------------

    def _handle(self, instance_id: str, item: Any) -> None:
        if isinstance(item, ConsoleError):
            self.policy.unknown(instance_id, item.message, reachable=False)
            return
        snapshot: GpuSnapshot = item
        state = snapshot.state
        if not state.ok:
            if state.status is not GpuStatus.STARTING:
                reachable = state.status is not GpuStatus.HOST_ERROR
                self.policy.unknown(instance_id, state.message, reachable=reachable)
            return
        if snapshot.updated_at is None or snapshot.updated_at == self._fed_at.get(instance_id):
            return  # a process refresh: no new frame
        self._fed_at[instance_id] = snapshot.updated_at
        decision = self.policy.feed(
            instance_id, snapshot.gpus, snapshot.updated_at, read_only=self._services.read_only
        )
        if decision is None:
            return
        try:
            self._services.ec2.change_state("stop", instance_id, read_only=self._services.read_only)
        except ConsoleError as exc:
            self.policy.stop_failed(instance_id, exc.message)
            self._report(
                AutoStopReport(AutoStopReportKind.STOP_FAILED, decision, message=exc.message)
            )
            return
        with self._lock:
            watcher = self._watchers.get(instance_id)
            monitor = self._monitors.pop(instance_id, None)
        if watcher is not None:
            watcher[1].set()  # nothing more to watch on its way down
        if monitor is not None:
            monitor.close()
        self._report(AutoStopReport(AutoStopReportKind.STOPPED, decision))

    def _publish(self) -> None:
        self._statuses = self.policy.statuses()  # one swap: readers see a whole dict

    def _report(self, report: AutoStopReport) -> None:
        self._publish()
        if self._on_report is not None:
            self._on_report(report)
