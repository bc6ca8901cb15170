"""Is my expensive GPU actually busy? The idle-GPU detector (pure logic, no I/O).

Fed with each GPU frame of a host and the time it arrived, it says whether every GPU has
stayed under a utilisation threshold for a whole period, and what that idle stretch cost at
the instance's price. Settings come from the ``[idle]`` table of the config file::

    [idle]
    threshold_percent = 5      # a GPU under this utilisation counts as idle
    period_minutes = 15        # warn when all GPUs stayed idle this long
    max_gap_seconds = 120      # samples further apart than this restart the stretch

A GPU whose utilisation is unknown (``[N/A]``, MIG mode) is not evidence of idleness: a frame
with one restarts the stretch. So does a gap in the samples (the stream was down: nobody
knows what the GPUs did meanwhile).
"""

from __future__ import annotations

from collections.abc import Sequence

from console.models import GpuSample, IdleStatus, IdleWarning
from console.settings import IdleSettings


class IdleDetector:
    """One per host. ``feed(frame, now)`` after each GPU frame; ``price_per_hour`` in USD
    (None when unknown: the warning then has no cost)."""

    def __init__(
        self,
        host: str,
        settings: IdleSettings | None = None,
        price_per_hour: float | None = None,
    ):
        self.host = host
        self.settings = settings or IdleSettings()
        self.price_per_hour = price_per_hour
        self._idle_since: float | None = None
        self._last_at: float | None = None
        self._warned = False

    def feed(self, frame: Sequence[GpuSample], now: float) -> IdleStatus:
        gap = self._last_at is not None and now - self._last_at > self.settings.max_gap_s
        self._last_at = now
        if not frame or not all(self._is_idle(s) for s in frame):
            return self._reset()
        if gap or self._idle_since is None:
            self._idle_since, self._warned = now, False
        idle_for = now - self._idle_since
        if idle_for < self.settings.period_s:
            return IdleStatus(True, self._idle_since, None, False)
        cost = None if self.price_per_hour is None else idle_for / 3600.0 * self.price_per_hour
        warning = IdleWarning(
            host=self.host,
            idle_since=self._idle_since,
            idle_seconds=idle_for,
            threshold_percent=self.settings.threshold_percent,
            gpu_count=len(frame),
            cost_usd=cost,
        )
        newly, self._warned = not self._warned, True
        return IdleStatus(True, self._idle_since, warning, newly)

    def _is_idle(self, sample: GpuSample) -> bool:
        util = sample.utilization_gpu
        return util is not None and util < self.settings.threshold_percent

    def _reset(self) -> IdleStatus:
        self._idle_since, self._warned = None, False
        return IdleStatus(False, None, None, False)
