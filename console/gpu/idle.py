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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.errors import ConfigError
from console.models import GpuSample, IdleWarning


@dataclass(frozen=True)
class IdleSettings:
    #: a GPU under this utilisation (%) counts as idle
    threshold_percent: float = 5.0
    #: warn when every GPU stayed idle at least this many seconds
    period_s: float = 15 * 60.0
    #: samples further apart than this restart the idle stretch
    max_gap_s: float = 120.0

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> IdleSettings:
        """From ``Settings.section("idle")``. Raises ConfigError naming the bad key."""
        known = {"threshold_percent", "period_minutes", "max_gap_seconds"}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ConfigError(f"[idle] has unknown settings: {', '.join(unknown)}")
        values: dict[str, float] = {}
        for key, attr, scale in (
            ("threshold_percent", "threshold_percent", 1.0),
            ("period_minutes", "period_s", 60.0),
            ("max_gap_seconds", "max_gap_s", 1.0),
        ):
            if key not in section:
                continue
            raw = section[key]
            try:
                if isinstance(raw, bool):
                    raise ValueError
                number = float(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"[idle] {key} must be a number, not {raw!r}") from None
            if number <= 0 or (key == "threshold_percent" and number > 100):
                raise ConfigError(f"[idle] {key} is out of range: {raw!r}")
            values[attr] = number * scale
        return cls(**values)


@dataclass(frozen=True)
class IdleStatus:
    """The detector's answer after one frame."""

    #: every GPU of the last frame is known to be under the threshold
    idle_now: bool
    #: when the current idle stretch began (None when not idle)
    idle_since: float | None
    #: set while the stretch is at least the period long
    warning: IdleWarning | None
    #: True only for the frame on which the warning first appeared (notify once)
    newly_warned: bool


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


def describe(warning: IdleWarning) -> str:
    """``"All 8 GPUs of gpu-box under 5 % for 17 min — $9.28 spent idle."``"""
    minutes = int(warning.idle_seconds // 60)
    gpus = "The GPU" if warning.gpu_count == 1 else f"All {warning.gpu_count} GPUs"
    text = f"{gpus} of {warning.host} under {warning.threshold_percent:g} % for {minutes} min"
    if warning.cost_usd is not None:
        text += f" — ${warning.cost_usd:,.2f} spent idle"
    return text + "."
