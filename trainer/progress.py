"""Progress bars for training and evaluation: done/total, a bar, images/s and the time left."""

from __future__ import annotations

import time

BAR_WIDTH = 20


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = width if total <= 0 else min(width, int(width * done / total))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def duration(seconds: float) -> str:
    """H:MM:SS, or ``?`` while unknown."""
    if seconds != seconds or seconds == float("inf") or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Meter:
    """Rate and time left of one pass over ``total`` units (steps or batches) of images."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.start = time.perf_counter()
        self.done = 0
        self.images = 0

    def update(self, units: int = 1, images: int = 0) -> None:
        self.done += units
        self.images += images

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def images_per_s(self) -> float:
        return self.images / max(self.elapsed, 1e-9)

    @property
    def eta_s(self) -> float:
        if self.done <= 0:
            return float("nan")
        return self.elapsed / self.done * max(self.total - self.done, 0)

    def line(self, label: str, unit: str) -> str:
        return (f"{label} {bar(self.done, self.total)} {self.done}/{self.total} {unit} "
                f"{self.images_per_s:.1f} img/s ETA {duration(self.eta_s)}")
