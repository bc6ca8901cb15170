"""``MonitorsBackend``: GPU monitors, host samplers, idle detectors, the autostopper and
the doctor, on the bundle's hosts and settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from console.doctor import doctor_options, run_doctor
from console.gpu import jobs_by_process_tree, monitor_for
from console.gpu.idle import IdleDetector
from console.hostmon import HostSampler
from console.jobs.manager import JobManager
from console.models import AutoStopReport, DoctorCheck, GpuSnapshot
from console.services.autostop import RELIST_SECONDS, AutoStopper


class HostMonitors:
    """Monitors of the bundle's hosts: each call resolves its host (which may block)."""

    def __init__(self, services: Any):
        self._services = services

    def _host(self, target: str) -> Any:
        self._services.ready()  # the demo may still be starting
        return self._services.hosts.host_for(target)

    def gpu_monitor(
        self,
        target: str,
        *,
        cancel: threading.Event,
        on_update: Callable[[GpuSnapshot], None] | None = None,
        interval_ms: int | None = None,
    ) -> Any:
        host = self._host(target)
        # a GPU process belongs to the job whose tmux pane is among its ancestors
        pid_to_job = jobs_by_process_tree(
            host, JobManager(host, tmux_socket=self._services.settings.jobs.tmux_socket).pane_roots
        )
        extra: dict[str, Any] = {} if interval_ms is None else {"interval_ms": interval_ms}
        if on_update is not None:
            extra["on_update"] = on_update
        return monitor_for(
            self._services.settings.gpu, host, cancel=cancel, pid_to_job=pid_to_job, **extra
        )

    def host_sampler(self, target: str, *, interval_s: float, cancel: threading.Event) -> Any:
        return HostSampler(self._host(target), interval_s=interval_s, cancel=cancel)

    def idle_detector(self, host_label: str, price_per_hour: float | None) -> IdleDetector:
        return IdleDetector(host_label, self._services.settings.idle, price_per_hour)

    def autostopper(
        self,
        *,
        cancel: threading.Event,
        on_report: Callable[[AutoStopReport], None] | None = None,
        relist_s: float | None = None,
    ) -> AutoStopper:
        return AutoStopper(
            self._services,
            cancel=cancel,
            on_report=on_report,
            relist_s=RELIST_SECONDS if relist_s is None else relist_s,
        )

    def doctor(self, target: str, *, python: str | None = None) -> list[DoctorCheck]:
        return run_doctor(self._host(target), doctor_options(self._services.settings, python))
