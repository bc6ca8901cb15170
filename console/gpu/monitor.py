"""GpuMonitor: the GPUs of one host, kept current by long-lived nvidia-smi streams."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

from console.errors import CommandTimeoutError, ConsoleError, HostError
from console.gpu.fields import QUERY_FIELDS, STATIC_ATTRS, STREAM_FIELDS
from console.gpu.history import GpuHistory
from console.gpu.parse import parse_compute_apps, parse_query_gpu
from console.gpu.query import query_apps_argv, query_gpu_argv
from console.gpu.states import classify_failure, host_error_state
from console.gpu.stream import FrameAssembler, Watchdog, group_ticks, pump
from console.hosts.base import CommandStream, Host
from console.hosts.lines import iter_lines
from console.jobs.processes import PidToJob
from console.models import GpuSample, GpuSnapshot, GpuState, GpuStatus
from console.settings import GpuSettings


class GpuMonitor:
    """The GPUs of one host, kept current by one long-lived nvidia-smi stream.

    ``run()`` blocks until ``cancel`` is set (call it from a thread worker); ``snapshot()``
    and ``history`` may be read from any thread. ``on_update(snapshot)`` is called after each
    frame, each process refresh and each change of state. A failed or missing nvidia-smi is a
    state (``snapshot().state``), retried every ``retry_s``; so is a stream silent for
    ``stall_s``. Nothing here raises.

    Commands on the host: ``nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits``
    and ``nvidia-smi --query-compute-apps=…`` once (state, GPU count, names), then two
    long-lived streams: ``nvidia-smi --query-gpu=<STREAM_FIELDS> … -lms <interval_ms>`` and
    ``nvidia-smi --query-compute-apps=… -lms <apps_interval>``.
    """

    def __init__(
        self,
        host: Host,
        *,
        interval_ms: int = 1000,
        cancel: threading.Event | None = None,
        nvidia_smi: str = "nvidia-smi",
        history_seconds: float = 600.0,
        apps_interval_s: float = 5.0,
        pid_to_job: PidToJob | None = None,
        on_update: Callable[[GpuSnapshot], None] | None = None,
        retry_s: float = 10.0,
        stall_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ):
        if interval_ms < 1:
            raise ValueError(f"GPU refresh interval must be positive, got {interval_ms} ms")
        self.host = host
        self.interval_ms = interval_ms
        self.cancel = cancel or threading.Event()
        self.nvidia_smi = nvidia_smi
        self.apps_interval_s = apps_interval_s
        self.pid_to_job = pid_to_job
        self.on_update = on_update
        self.retry_s = retry_s
        # nvidia-smi can hang (a GPU fallen off the bus): a stream silent this long is
        # restarted, and the view says so instead of showing old numbers as current
        self.stall_s = stall_s if stall_s is not None else max(30.0, 10 * interval_ms / 1000)
        self.clock = clock
        self.history = GpuHistory(max(1, int(history_seconds * 1000 / interval_ms)))
        self._lock = threading.Lock()
        # the demo's hosts replay a recorded nvidia-smi: say so, unless another one is set
        recording = host.gpu_recording if nvidia_smi == "nvidia-smi" else None
        self._snapshot = GpuSnapshot(
            host=host.name, state=GpuState(GpuStatus.STARTING), recording=recording
        )
        self._streams: list[CommandStream] = []

    # --- reading ---

    def snapshot(self) -> GpuSnapshot:
        with self._lock:
            return self._snapshot

    # --- one-shot ---

    def probe(self) -> GpuSnapshot:
        """Ask once: ``nvidia-smi --query-gpu=… --format=csv,noheader,nounits`` and
        ``--query-compute-apps=…``. Updates and returns the snapshot; never raises."""
        try:
            result = self.host.run(query_gpu_argv(nvidia_smi=self.nvidia_smi), timeout=30)
        except CommandTimeoutError:
            state = GpuState(
                GpuStatus.ERROR,
                f"nvidia-smi on {self.host.name} did not answer within 30 s "
                "(a hung driver or a lost GPU?).",
            )
            self._set(state=state, gpus=(), processes=())
            return self.snapshot()
        except HostError as exc:
            self._set(state=host_error_state(exc, self.host.name), gpus=(), processes=())
            return self.snapshot()
        text = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
        samples, other = parse_query_gpu(result.text(), QUERY_FIELDS, self.clock())
        if result.exit_code != 0 or not samples:
            state = classify_failure(text, result.exit_code, self.host.name)
            self._set(state=state, gpus=(), processes=())
            return self.snapshot()
        self._refresh_processes_once()  # first, so the first frame shown has its processes
        self._frame(samples)
        return self.snapshot()

    # --- streaming ---

    def run(self) -> None:
        """Stream until cancelled; reconnect after failures (every ``retry_s``)."""
        apps_thread = threading.Thread(
            target=self._apps_loop, name=f"gpu-apps-{self.host.name}", daemon=True
        )
        apps_started = False
        while not self.cancel.is_set():
            snapshot = self.probe()
            if snapshot.state.ok:
                if not apps_started:
                    apps_thread.start()
                    apps_started = True
                self._stream_query(expected=len(snapshot.gpus))
            if self.cancel.wait(self.retry_s):
                break
        if apps_started:
            apps_thread.join(timeout=5)

    def close(self) -> None:
        """Stop both streams (safe from any thread, safe twice)."""
        self.cancel.set()
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.close()

    def _stream_query(self, expected: int) -> None:
        argv = query_gpu_argv(
            STREAM_FIELDS, interval_ms=self.interval_ms, nvidia_smi=self.nvidia_smi
        )
        frames = FrameAssembler(STREAM_FIELDS, expected=expected or None)
        static = {g.index: g for g in self.snapshot().gpus}
        stalled = threading.Event()
        try:
            with self._open(argv) as stream:
                heard = Watchdog(self.stall_s, on_silence=lambda: (stalled.set(), stream.close()))
                for line in heard.lines(self._lines(stream)):
                    for frame in frames.feed_line(line, self.clock()):
                        self._frame([_with_static(s, static.get(s.index)) for s in frame])
                    if frames.errors:
                        state = classify_failure("\n".join(frames.errors), None, self.host.name)
                        frames.errors.clear()
                        if state.status is not GpuStatus.ERROR:
                            self._set(state=state)
                exit_code = stream.exit_code
        except HostError as exc:
            self._set(state=host_error_state(exc, self.host.name))
            return
        if stalled.is_set() and not self.cancel.is_set():
            self._set(
                state=GpuState(
                    GpuStatus.ERROR,
                    f"nvidia-smi on {self.host.name} has not answered for {self.stall_s:g} s "
                    "(a hung driver or a lost GPU?); retrying.",
                )
            )
        elif not self.cancel.is_set():
            self._set(
                state=GpuState(
                    GpuStatus.ERROR,
                    f"nvidia-smi stopped on {self.host.name} (exit {exit_code}); retrying.",
                )
            )

    def _apps_loop(self) -> None:
        interval_ms = max(1, int(self.apps_interval_s * 1000))
        argv = query_apps_argv(interval_ms=interval_ms, nvidia_smi=self.nvidia_smi)
        while not self.cancel.is_set():
            try:
                with self._open(argv) as stream:
                    lines: queue.Queue[str | None] = queue.Queue()
                    reader = threading.Thread(
                        target=pump, args=(self._lines(stream), lines), daemon=True
                    )
                    reader.start()
                    group_ticks(lines, self.apps_interval_s, self._processes_from)
                    reader.join(timeout=5)
            except HostError:
                pass  # the query stream reports the host's state; just retry here
            if self.cancel.wait(self.retry_s):
                return

    def _refresh_processes_once(self) -> None:
        try:
            result = self.host.run(query_apps_argv(nvidia_smi=self.nvidia_smi), timeout=30)
        except HostError:
            return
        if result.exit_code == 0:
            self._processes_from(result.text().splitlines())

    def _processes_from(self, lines: list[str]) -> None:
        processes, other = parse_compute_apps("\n".join(lines))
        if other and not processes:
            return  # an error text, not a list: keep the last good list
        jobs: Mapping[int, str] = {}
        pids = [p.pid for p in processes if p.pid is not None]
        if self.pid_to_job is not None and pids:
            try:
                jobs = self.pid_to_job(pids)
            except ConsoleError:
                jobs = {}  # no job names this time; the processes still show
        processes = [replace(p, job=jobs.get(p.pid)) if p.pid is not None else p for p in processes]
        self._set(processes=tuple(processes))

    @contextlib.contextmanager
    def _open(self, argv: list[str]) -> Iterator[CommandStream]:
        """A stream that ``close()`` can reach from another thread while it is read."""
        stream = self.host.stream(argv, cancel=self.cancel)
        with self._lock:
            self._streams.append(stream)
        try:
            yield stream
        finally:
            stream.close()
            with self._lock:
                self._streams.remove(stream)

    def _lines(self, stream: CommandStream) -> Iterator[str]:
        """The stream's lines; nothing when the monitor was closed while it started."""
        if self.cancel.is_set():
            return iter(())
        return iter_lines(stream)

    def _frame(self, samples: list[GpuSample]) -> None:
        for sample in samples:
            self.history.add(sample)
        self._set(state=GpuState(GpuStatus.OK), gpus=tuple(samples), updated_at=samples[-1].at)

    def _set(self, **changes: object) -> None:
        with self._lock:
            if "state" in changes and changes["state"] == self._snapshot.state:
                del changes["state"]
            self._snapshot = replace(self._snapshot, **changes)  # type: ignore[arg-type]
            snapshot = self._snapshot
        if self.on_update is not None:
            self.on_update(snapshot)


def _with_static(sample: GpuSample, known: GpuSample | None) -> GpuSample:
    """A streamed sample completed with what the first query learnt about that GPU."""
    if known is None:
        return sample
    return replace(sample, **{attr: getattr(known, attr) for attr in STATIC_ATTRS})


def monitor_for(settings: GpuSettings, host: Host, **kwargs: object) -> GpuMonitor:
    """A GpuMonitor for ``host`` configured by the ``[gpu]`` settings (``interval_ms`` may
    be given to override theirs)."""
    return GpuMonitor(
        host,
        interval_ms=int(kwargs.pop("interval_ms", settings.interval_ms)),  # type: ignore[arg-type]
        nvidia_smi=settings.nvidia_smi,
        history_seconds=settings.history_minutes * 60,
        apps_interval_s=settings.apps_interval_seconds,
        **kwargs,  # type: ignore[arg-type]
    )
