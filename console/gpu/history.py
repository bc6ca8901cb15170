"""The sparklines' data: a bounded history of samples per GPU."""

from __future__ import annotations

import threading
from collections import deque

from console.models import GpuSample


class GpuHistory:
    """A bounded history of samples per GPU (for sparklines); the oldest fall off.

    Safe to read from the UI thread while the monitor's thread adds to it.
    """

    def __init__(self, maxlen: int):
        if maxlen < 1:
            raise ValueError("history length must be at least 1")
        self.maxlen = maxlen
        self._by_gpu: dict[str, deque[GpuSample]] = {}
        self._lock = threading.Lock()

    def add(self, sample: GpuSample) -> None:
        with self._lock:
            self._by_gpu.setdefault(sample.key, deque(maxlen=self.maxlen)).append(sample)

    def samples(self, key: str) -> tuple[GpuSample, ...]:
        with self._lock:
            return tuple(self._by_gpu.get(key, ()))

    def series(self, key: str, attr: str) -> list[float | None]:
        """One measurement over time, e.g. ``series(uuid, "utilization_gpu")``."""
        return [getattr(s, attr) for s in self.samples(key)]

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._by_gpu)
