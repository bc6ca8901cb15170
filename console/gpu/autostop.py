"""Autostop (SkyPilot's idea): stop a GPU instance whose GPUs all stayed idle for a period.

Pure logic, no I/O: ``AutoStopPolicy`` is fed each GPU frame of each watched instance with
the time it arrived and answers, at most once per idle stretch, "stop this instance"
(``AutoStopDecision``). The blocking part (listing the instances, streaming nvidia-smi from
each, sending the stop) is ``console.services.autostop.AutoStopper``; the console runs that
in one thread worker while it is open. Settings come from the ``[idle]`` table::

    [idle]
    threshold_percent = 5      # a GPU under this utilisation counts as idle
    max_gap_seconds = 120      # samples further apart restart the stretch
    autostop_minutes = 30      # 0 (the default): off

The rules, where the issue left them open:

- One ``IdleDetector`` per instance, its period the autostop period (the ``[idle]``
  warning's own ``period_minutes`` is left to the GPU view's warning).
- Unknown is never idle: a frame with a GPU whose utilisation is unknown, nvidia-smi not
  answering or the host not reachable restart the stretch (``unknown``); an instance
  that was never seen idle for the whole period is never stopped.
- Read-only (started ``--read-only`` or locked with ctrl+l): no decision is made; the
  stretch goes on being measured, so an instance still idle when the session is unlocked
  again is stopped on its next frame.
- One try per idle stretch: after a decision the instance is STOPPING and no frame makes
  another; if the stop fails (``stop_failed``) it is FAILED until its GPUs are busy (or
  unknown, or a gap in the samples) and then idle for a whole period again. So a failing
  stop is reported once per period at most, never retried in a loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from console.gpu.idle import IdleDetector
from console.models import AutoStopDecision, AutoStopPhase, AutoStopStatus, GpuSample
from console.settings import IdleSettings


@dataclass
class _Watched:
    """One instance's detector and what the policy knows of it."""

    name: str
    detector: IdleDetector
    phase: AutoStopPhase = AutoStopPhase.WAITING
    idle_seconds: float | None = None
    frames: int = 0
    first_at: float | None = None
    last_at: float | None = None
    detail: str = ""
    #: ``idle_since`` of the stretch a stop was decided for (one try per stretch)
    tried_stretch: float | None = None


class AutoStopPolicy:
    """Which watched instance to stop, from its GPU frames (not thread-safe: one owner)."""

    def __init__(self, settings: IdleSettings | None = None):
        self.settings = settings or IdleSettings()
        #: the detectors' settings: the autostop period in place of the warning's
        self._detector_settings = replace(
            self.settings, period_minutes=self.settings.autostop_minutes
        )
        self._watched: dict[str, _Watched] = {}

    @property
    def enabled(self) -> bool:
        """Off (the default) unless ``[idle] autostop_minutes`` is above 0."""
        return self.settings.autostop_minutes > 0

    @property
    def period_s(self) -> float:
        return self.settings.autostop_s

    # -- which instances -------------------------------------------------------------------

    def watch(self, instance_id: str, name: str, price_per_hour: float | None = None) -> None:
        """Watch ``instance_id`` (a running instance with GPUs); again: a new name or price."""
        watched = self._watched.get(instance_id)
        if watched is None:
            detector = IdleDetector(name, self._detector_settings, price_per_hour)
            self._watched[instance_id] = _Watched(name=name, detector=detector)
            return
        watched.name = watched.detector.host = name
        if price_per_hour is not None:
            watched.detector.price_per_hour = price_per_hour

    def forget(self, instance_id: str) -> None:
        """No longer watched (stopped, terminated, another region)."""
        self._watched.pop(instance_id, None)

    def watched(self) -> tuple[str, ...]:
        return tuple(self._watched)

    # -- what the instances do -------------------------------------------------------------

    def feed(
        self,
        instance_id: str,
        frame: Sequence[GpuSample],
        now: float,
        *,
        read_only: bool = False,
    ) -> AutoStopDecision | None:
        """One GPU frame of ``instance_id`` arrived at ``now``: a decision to stop it when
        every GPU has been idle for the whole period (once per stretch; never read-only,
        never when off, never for an instance not watched)."""
        watched = self._watched.get(instance_id)
        if watched is None or not self.enabled or watched.phase is AutoStopPhase.STOPPING:
            return None
        watched.frames += 1
        watched.first_at = now if watched.first_at is None else watched.first_at
        watched.last_at = now
        status = watched.detector.feed(frame, now)
        if not status.idle_now or status.idle_since is None:
            unknown = not frame or any(s.utilization_gpu is None for s in frame)
            watched.phase = AutoStopPhase.UNKNOWN if unknown else AutoStopPhase.BUSY
            watched.detail = "GPU utilisation unknown" if unknown else ""
            watched.idle_seconds = None
            return None
        watched.idle_seconds = now - status.idle_since
        if watched.tried_stretch == status.idle_since:
            return None  # FAILED in this stretch: not tried again until a new one
        watched.phase, watched.detail = AutoStopPhase.IDLE, ""
        if status.warning is None or read_only:
            return None
        watched.tried_stretch = status.idle_since
        watched.phase = AutoStopPhase.STOPPING
        warning = status.warning
        return AutoStopDecision(
            instance_id=instance_id,
            name=watched.name,
            idle_seconds=warning.idle_seconds,
            period_seconds=self.period_s,
            threshold_percent=warning.threshold_percent,
            gpu_count=warning.gpu_count,
            cost_usd=warning.cost_usd,
        )

    def unknown(self, instance_id: str, reason: str, *, reachable: bool = True) -> None:
        """Nothing is known of the GPUs of ``instance_id`` now (nvidia-smi failed, the host
        cannot be reached): its idle stretch starts again."""
        watched = self._watched.get(instance_id)
        if watched is None or watched.phase is AutoStopPhase.STOPPING:
            return
        watched.detector = IdleDetector(
            watched.name, self._detector_settings, watched.detector.price_per_hour
        )
        watched.phase = AutoStopPhase.UNKNOWN if reachable else AutoStopPhase.UNREACHABLE
        watched.detail, watched.idle_seconds = reason, None

    def stop_failed(self, instance_id: str, message: str) -> None:
        """The stop decided for ``instance_id`` failed: FAILED until a new idle stretch."""
        watched = self._watched.get(instance_id)
        if watched is not None:
            watched.phase, watched.detail = AutoStopPhase.FAILED, message

    # -- for the view ----------------------------------------------------------------------

    def status(self, instance_id: str) -> AutoStopStatus | None:
        watched = self._watched.get(instance_id)
        if watched is None:
            return None
        span = 0.0
        if watched.first_at is not None and watched.last_at is not None:
            span = watched.last_at - watched.first_at
        return AutoStopStatus(
            instance_id=instance_id,
            name=watched.name,
            period_seconds=self.period_s,
            phase=watched.phase,
            idle_seconds=watched.idle_seconds,
            frames=watched.frames,
            watched_seconds=span,
            detail=watched.detail,
        )

    def statuses(self) -> dict[str, AutoStopStatus]:
        return {i: s for i in self._watched if (s := self.status(i)) is not None}
