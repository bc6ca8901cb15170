"""Reading long-lived ``nvidia-smi … -lms N`` streams: lines, frames and ticks."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from console.gpu.fields import QUERY_FIELDS
from console.gpu.parse import looks_like_header, sample_from_cells, split_row, with_position
from console.models import GpuSample


class FrameAssembler:
    """Groups the per-GPU lines of a ``-lms`` stream into frames (one line per GPU per tick).

    A frame is complete when it holds ``expected`` GPUs or when a GPU repeats (the next tick
    began). Lines that are not rows are kept as ``errors`` for the caller to classify.
    """

    def __init__(self, fields: Sequence[str] = QUERY_FIELDS, expected: int | None = None):
        self.fields = tuple(fields)
        self.expected = expected
        self._pending: list[GpuSample] = []
        self.errors: list[str] = []

    def feed_line(self, line: str, at: float) -> list[list[GpuSample]]:
        """One line in; the frames it completed out (usually none or one)."""
        if not line.strip():
            return []
        cells = split_row(line, len(self.fields), self._free())
        if cells is None:
            self.errors.append(line)
            return []
        if looks_like_header(cells, self.fields):
            return []
        sample = sample_from_cells(self.fields, cells, at)
        if self.expected:  # frames end by count, so a place in the frame is an identity
            sample = with_position(sample, len(self._pending))
        frames: list[list[GpuSample]] = []
        if any(s.key == sample.key for s in self._pending):
            frames.append(self._pending)
            self._pending = []
        self._pending.append(sample)
        if self.expected and len(self._pending) >= self.expected:
            frames.append(self._pending)
            self._pending = []
        return frames

    def flush(self) -> list[GpuSample] | None:
        done, self._pending = self._pending, []
        return done or None

    def _free(self) -> int | None:
        return self.fields.index("name") if "name" in self.fields else None


class Watchdog:
    """Calls ``on_silence`` once when no line came for ``limit_s`` while ``lines`` runs."""

    def __init__(self, limit_s: float, on_silence: Callable[[], object]):
        self.limit_s = limit_s
        self.on_silence = on_silence
        self._last = time.monotonic()
        self._done = threading.Event()

    def lines(self, lines: Iterator[str]) -> Iterator[str]:
        thread = threading.Thread(target=self._watch, name="gpu-watchdog", daemon=True)
        thread.start()
        try:
            for line in lines:
                self._last = time.monotonic()
                yield line
        finally:
            self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self.limit_s / 4)):
            if time.monotonic() - self._last > self.limit_s:
                self.on_silence()
                return


def pump(lines: Iterator[str], into: queue.Queue[str | None]) -> None:
    try:
        for line in lines:
            into.put(line)
    finally:
        into.put(None)  # the stream ended


def group_ticks(
    lines: queue.Queue[str | None],
    interval_s: float,
    publish: Callable[[list[str]], None],
    startup_s: float = 10.0,
) -> None:
    """Turn a ``--query-compute-apps … -lms`` stream into one list per tick.

    nvidia-smi prints a tick's rows together and nothing at all for a tick without
    processes, so: rows that follow each other closely are one tick (it ends after a short
    quiet ``settle``), and no row for 1.5 intervals means no processes any more. Until the
    first row, silence is only believed after ``startup_s`` (nvidia-smi and the connection
    take a while to start; the caller has just listed the processes once). Returns when the
    stream ends (``None`` in the queue).
    """
    settle = min(0.5, interval_s / 4)
    empty_after = 1.5 * interval_s + settle
    block: list[str] = []
    published_empty = False
    started = False
    while True:
        if block:
            timeout = settle
        else:
            timeout = empty_after if started else max(empty_after, startup_s)
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            if block:
                publish(block)
                block, published_empty = [], False
            elif not published_empty:
                publish([])
                published_empty = True
            started = True
            continue
        if line is None:
            if block:
                publish(block)
            return
        if line.strip():
            block.append(line)
            started = True
