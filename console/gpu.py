"""nvidia-smi on a host: the query builder, the streaming parser, the states, the history.

One long-lived ``nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N`` stream per
host feeds ``GpuMonitor``; the processes come from a second long-lived
``nvidia-smi --query-compute-apps=… -lms M`` stream at a lower rate. Nothing is started per
refresh: on a machine without persistence mode each nvidia-smi start initialises the driver
for every GPU, which is what makes ``watch nvidia-smi`` costly. The refresh stream asks only
for the fields that change; names, UUIDs and limits come from one first query.

Values nvidia-smi does not know (``[N/A]``, ``[Not Supported]``, ``[Function Not Found]``,
``[Unknown Error]``, a bare ``N/A``, an empty field) become ``None`` — "unknown" — never zero.
A host with no nvidia-smi, no driver or no GPU is a ``GpuState`` to show, not an exception.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from console.errors import CommandTimeoutError, ConsoleError, HostError
from console.hosts.base import CommandStream, Host
from console.models import GpuProcess, GpuSample, GpuSnapshot, GpuState, GpuStatus

# --- fields ---------------------------------------------------------------------------------

#: what the GPU view shows, in the order asked of nvidia-smi
QUERY_FIELDS: tuple[str, ...] = (
    "index",
    "uuid",
    "name",
    "driver_version",
    "utilization.gpu",
    "utilization.memory",
    "memory.used",
    "memory.total",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "clocks.sm",
    "fan.speed",
    "pstate",
)

#: what changes from one refresh to the next: the only fields the long-lived stream asks
#: for (a third of the bytes of QUERY_FIELDS); the rest comes from the first query
STREAM_FIELDS: tuple[str, ...] = (
    "index",
    "utilization.gpu",
    "utilization.memory",
    "memory.used",
    "temperature.gpu",
    "power.draw",
    "clocks.sm",
    "fan.speed",
    "pstate",
)
#: what the first query learns once per GPU and every streamed sample carries
STATIC_ATTRS: tuple[str, ...] = (
    "uuid",
    "name",
    "driver_version",
    "memory_total_mib",
    "power_limit_w",
)

#: what the process list shows
APPS_FIELDS: tuple[str, ...] = ("gpu_uuid", "pid", "used_memory", "process_name")

# nvidia-smi accepts aliases but prints the canonical name in the CSV header
# (``clocks.sm`` comes back as ``clocks.current.sm``, ``gpu_name`` as ``name``). Both spellings
# map to the same GpuSample attribute; the converter says how to read the value.
_INT, _FLOAT, _TEXT = "int", "float", "text"
_SAMPLE_ATTRS: dict[str, tuple[str, str]] = {
    "index": ("index", _INT),
    "uuid": ("uuid", _TEXT),
    "gpu_uuid": ("uuid", _TEXT),
    "name": ("name", _TEXT),
    "gpu_name": ("name", _TEXT),
    "driver_version": ("driver_version", _TEXT),
    "utilization.gpu": ("utilization_gpu", _FLOAT),
    "utilization.memory": ("utilization_memory", _FLOAT),
    "memory.used": ("memory_used_mib", _FLOAT),
    "memory.total": ("memory_total_mib", _FLOAT),
    "temperature.gpu": ("temperature_c", _FLOAT),
    "power.draw": ("power_draw_w", _FLOAT),
    "power.limit": ("power_limit_w", _FLOAT),
    "clocks.sm": ("clock_sm_mhz", _FLOAT),
    "clocks.current.sm": ("clock_sm_mhz", _FLOAT),
    "fan.speed": ("fan_percent", _FLOAT),
    "pstate": ("pstate", _TEXT),
}
_APPS_ATTRS: dict[str, tuple[str, str]] = {
    "pid": ("pid", _INT),
    "process_name": ("process_name", _TEXT),
    "name": ("process_name", _TEXT),
    "used_memory": ("used_memory_mib", _FLOAT),
    "used_gpu_memory": ("used_memory_mib", _FLOAT),
    "gpu_uuid": ("gpu_uuid", _TEXT),
}


def canonical_field(header_cell: str) -> str:
    """``"utilization.gpu [%]"`` -> ``"utilization.gpu"`` (a header cell without its unit)."""
    return header_cell.strip().split(" [", 1)[0].strip().strip('"')


def query_gpu_argv(
    fields: Sequence[str] = QUERY_FIELDS,
    *,
    interval_ms: int | None = None,
    nvidia_smi: str = "nvidia-smi",
) -> list[str]:
    """``nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits [-lms N]``."""
    argv = [nvidia_smi, "--query-gpu=" + ",".join(fields), "--format=csv,noheader,nounits"]
    if interval_ms is not None:
        argv += ["-lms", str(int(interval_ms))]
    return argv


def query_apps_argv(
    fields: Sequence[str] = APPS_FIELDS,
    *,
    interval_ms: int | None = None,
    nvidia_smi: str = "nvidia-smi",
) -> list[str]:
    """``nvidia-smi --query-compute-apps=<fields> --format=csv,noheader,nounits [-lms N]``."""
    argv = [nvidia_smi, "--query-compute-apps=" + ",".join(fields), "--format=csv,noheader,nounits"]
    if interval_ms is not None:
        argv += ["-lms", str(int(interval_ms))]
    return argv


# --- values ---------------------------------------------------------------------------------


def is_unknown(raw: str) -> bool:
    """True for what nvidia-smi prints when it has no value: any ``[bracketed text]``
    (``[N/A]``, ``[Not Supported]``, ``[Function Not Found]``, ``[Unknown Error]``,
    ``[Requested functionality has been deprecated]``), a bare ``N/A``, or nothing."""
    text = raw.strip()
    return text in ("", "N/A") or (text.startswith("[") and text.endswith("]"))


def parse_text(raw: str) -> str | None:
    return None if is_unknown(raw) else raw.strip()


def parse_number(raw: str) -> float | None:
    """``"631.95"``, ``"631.95 W"``, ``"100 %"`` -> float; unknown or unreadable -> None."""
    if is_unknown(raw):
        return None
    head = raw.strip().split()[0]
    try:
        return float(head)
    except ValueError:
        return None


def parse_int(raw: str) -> int | None:
    number = parse_number(raw)
    return int(number) if number is not None and number == int(number) else None


_CONVERTERS: dict[str, Callable[[str], object]] = {
    _INT: parse_int,
    _FLOAT: parse_number,
    _TEXT: parse_text,
}


def split_row(line: str, width: int, free_column: int | None = None) -> list[str] | None:
    """Split one CSV row of nvidia-smi (cells are joined by ``", "``, never quoted).

    A value that itself holds ``", "`` (a Windows process path) yields too many cells: they are
    joined back into ``free_column``. Returns None when the row cannot have ``width`` cells.
    """
    cells = line.rstrip("\r\n").split(", ")
    if len(cells) == width:
        return cells
    if len(cells) > width and free_column is not None:
        extra = len(cells) - width
        merged = ", ".join(cells[free_column : free_column + extra + 1])
        return cells[:free_column] + [merged] + cells[free_column + extra + 1 :]
    return None


_HEADER_CELL = re.compile(r"^[a-z][a-zA-Z0-9_.]*( \[[^\]]+\])?$")


def _looks_like_header(cells: Sequence[str], fields: Sequence[str]) -> bool:
    """A CSV header: every cell a field name (nvidia-smi may print an alias's canonical
    name, ``name`` for ``gpu_name``), at least one of them one we know."""
    if not cells or not all(_HEADER_CELL.match(c.strip()) for c in cells):
        return False
    known = set(fields) | set(_SAMPLE_ATTRS) | set(_APPS_ATTRS)
    return any(canonical_field(c) in known for c in cells)


def sample_from_cells(fields: Sequence[str], cells: Sequence[str], at: float) -> GpuSample:
    values: dict[str, object] = {}
    for field, cell in zip(fields, cells, strict=True):
        spec = _SAMPLE_ATTRS.get(canonical_field(field))
        if spec is None:
            continue  # a column the view does not use
        attr, kind = spec
        if values.get(attr) is None:  # an alias asked twice: keep the first known value
            values[attr] = _CONVERTERS[kind](cell)
    return GpuSample(at=at, **values)  # type: ignore[arg-type]


def process_from_cells(fields: Sequence[str], cells: Sequence[str]) -> GpuProcess:
    values: dict[str, object] = {
        "pid": None,
        "process_name": None,
        "used_memory_mib": None,
        "gpu_uuid": None,
    }
    for field, cell in zip(fields, cells, strict=True):
        spec = _APPS_ATTRS.get(canonical_field(field))
        if spec is not None:
            attr, kind = spec
            values[attr] = _CONVERTERS[kind](cell)
    return GpuProcess(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ParsedCsv:
    """Rows nvidia-smi printed in CSV, and the lines that were not rows (error text)."""

    fields: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    other_lines: tuple[str, ...]


def parse_csv(text: str, fields: Sequence[str] | None = None, free_field: str = "") -> ParsedCsv:
    """Split a whole CSV answer. With a header line, its names win over ``fields``.

    Comment lines starting with ``#`` (our recordings' provenance lines) are skipped.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    names = tuple(fields) if fields else ()
    if lines and (not names or _looks_like_header(lines[0].split(", "), names)):
        header = lines[0].split(", ")
        if not names or len(header) == len(names):
            names = tuple(canonical_field(cell) for cell in header)
            lines = lines[1:]
    if not names:
        return ParsedCsv((), (), tuple(lines))
    free = names.index(free_field) if free_field in names else None
    rows, other = [], []
    for line in lines:
        cells = split_row(line, len(names), free)
        if cells is None:
            other.append(line)
        else:
            rows.append(tuple(cells))
    return ParsedCsv(names, tuple(rows), tuple(other))


def parse_query_gpu(
    text: str, fields: Sequence[str] = QUERY_FIELDS, at: float = 0.0
) -> tuple[list[GpuSample], list[str]]:
    """GpuSamples from a ``--query-gpu`` answer (any format), plus the lines that were not rows."""
    parsed = parse_csv(text, fields, free_field="name")
    samples = [
        with_position(sample_from_cells(parsed.fields, row, at), n)
        for n, row in enumerate(parsed.rows)
    ]
    return samples, list(parsed.other_lines)


def with_position(sample: GpuSample, position: int) -> GpuSample:
    """A row with neither index nor uuid (a query that asked for neither) is known by its
    place: nvidia-smi prints the GPUs of one answer or one tick in order."""
    if sample.uuid is None and sample.index is None:
        return dataclasses.replace(sample, index=position)
    return sample


def parse_compute_apps(
    text: str, fields: Sequence[str] = APPS_FIELDS
) -> tuple[list[GpuProcess], list[str]]:
    """GpuProcesses from a ``--query-compute-apps`` answer, plus the lines that were not rows."""
    parsed = parse_csv(text, fields, free_field="process_name")
    if "process_name" not in parsed.fields and "name" in parsed.fields:
        parsed = parse_csv(text, fields, free_field="name")
    return [process_from_cells(parsed.fields, row) for row in parsed.rows], list(parsed.other_lines)


# --- states ---------------------------------------------------------------------------------

_NO_BINARY = re.compile(
    r"command not found|: not found|No such file or directory|not recognized as|"
    r"n.o . reconhecido|executable file not found",
    re.IGNORECASE,
)
_NO_DRIVER = re.compile(r"couldn't communicate with the NVIDIA driver|Failed to initialize NVML")
_MISMATCH = re.compile(r"Driver/library version mismatch")
_NO_DEVICES = re.compile(r"No devices were found")


def classify_failure(text: str, exit_code: int | None, host: str = "the host") -> GpuState:
    """The state behind nvidia-smi's (or the shell's) words and exit status.

    Exit 127 is the shell's "command not found". The texts are those of real machines
    (tests/data/nvidia-smi/errors.txt).
    """
    detail = text.strip()
    if _MISMATCH.search(text):
        return GpuState(
            GpuStatus.DRIVER_MISMATCH,
            f"The NVIDIA driver on {host} does not match its library (reboot to load the new one).",
            detail,
        )
    if _NO_DRIVER.search(text):
        return GpuState(GpuStatus.NO_DRIVER, f"No NVIDIA driver is loaded on {host}.", detail)
    if _NO_DEVICES.search(text):
        return GpuState(GpuStatus.NO_DEVICES, f"{host} has no NVIDIA GPU.", detail)
    if exit_code == 127 or (exit_code not in (0, None) and _NO_BINARY.search(text)):
        return GpuState(GpuStatus.NO_NVIDIA_SMI, f"nvidia-smi is not installed on {host}.", detail)
    return GpuState(
        GpuStatus.ERROR,
        f"nvidia-smi failed on {host}" + (f" (exit {exit_code})." if exit_code else "."),
        detail,
    )


# --- plain tables -------------------------------------------------------------------------

_TABLE_DRIVER = re.compile(r"(?:Driver|KMD) Version:\s*([\w.]+)")
_TABLE_CUDA = re.compile(r"CUDA (?:UMD )?Version:\s*([\w.]+)")
# "| 53%   75C    P2   223W / 250W |  10807MiB / 11178MiB |     98%      Default |"
_TABLE_GPU_ROW = re.compile(
    r"^\|\s*(?P<fan>\d+%|N/A)\s+(?P<temp>\d+C|N/A)\s+(?P<perf>P\d+|N/A)\s+"
    r"(?P<draw>\d+W|N/A)\s*/\s*(?P<cap>\d+W|N/A)\s*\|\s*"
    r"(?P<used>\d+MiB|N/A)\s*/\s*(?P<total>\d+MiB|N/A)\s*\|\s*(?P<util>\d+%|N/A)"
)
_TABLE_NAME_ROW = re.compile(r"^\|\s+(?P<index>\d+)\s+(?P<name>.+?)\s{2,}\S+\s*\|")


@dataclass(frozen=True)
class TableSummary:
    """What the plain ``nvidia-smi`` table says: versions and one sample per GPU."""

    driver_version: str | None
    cuda_version: str | None
    gpus: tuple[GpuSample, ...]


def looks_like_table(text: str) -> bool:
    return "NVIDIA-SMI " in text and ("Driver Version" in text or "KMD Version" in text)


def parse_table(text: str, at: float = 0.0) -> TableSummary:
    """Read the plain ``nvidia-smi`` table (old 79-column and new 91-column layouts)."""
    driver = _TABLE_DRIVER.search(text)
    cuda = _TABLE_CUDA.search(text)
    gpus: list[GpuSample] = []
    pending: tuple[int, str] | None = None
    for line in text.splitlines():
        if line.startswith("| MIG devices") or line.startswith("| Processes"):
            break  # per-process and MIG blocks are not GPUs
        name_row = _TABLE_NAME_ROW.match(line)
        if name_row and pending is None:
            pending = (int(name_row["index"]), name_row["name"])
            continue
        row = _TABLE_GPU_ROW.match(line)
        if row and pending is not None:
            gpus.append(
                GpuSample(
                    at=at,
                    index=pending[0],
                    name=pending[1],
                    driver_version=driver[1] if driver else None,
                    fan_percent=parse_number(row["fan"].rstrip("%")),
                    temperature_c=parse_number(row["temp"].rstrip("C")),
                    pstate=parse_text(row["perf"]),
                    power_draw_w=parse_number(row["draw"].rstrip("W")),
                    power_limit_w=parse_number(row["cap"].rstrip("W")),
                    memory_used_mib=parse_number(row["used"].removesuffix("MiB")),
                    memory_total_mib=parse_number(row["total"].removesuffix("MiB")),
                    utilization_gpu=parse_number(row["util"].rstrip("%")),
                )
            )
            pending = None
    return TableSummary(driver[1] if driver else None, cuda[1] if cuda else None, tuple(gpus))


# --- streaming --------------------------------------------------------------------------------


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Whole lines out of a byte stream that arrives in arbitrary pieces."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace").rstrip("\r")
    if buffer:
        yield buffer.decode("utf-8", errors="replace").rstrip("\r")


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
        if _looks_like_header(cells, self.fields):
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


# --- the monitor ----------------------------------------------------------------------------

#: pids -> job name, e.g. from the jobs' tmux process trees
PidToJob = Callable[[Iterable[int]], Mapping[int, str]]


def jobs_by_process_tree(host: Host, roots: Callable[[], Mapping[int, str]]) -> PidToJob:
    """A ``pid_to_job`` for GpuMonitor: a GPU process belongs to the job whose root process
    (its tmux pane's pid, ``tmux list-panes -F '#{pane_pid}'``) is among its ancestors.

    ``roots()`` gives {root pid: job name} at the moment of the call. Runs
    ``ps -e -o pid=,ppid=`` on the host (only when there are roots and GPU processes).
    Raises the host's HostError subclasses; GpuMonitor then shows no job names.
    """

    def mapping(pids: Iterable[int]) -> Mapping[int, str]:
        root_jobs = dict(roots())
        wanted = list(pids)
        if not root_jobs or not wanted:
            return {}
        result = host.run(["ps", "-e", "-o", "pid=,ppid="], timeout=30)
        parents: dict[int, int] = {}
        for line in result.text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                parents[int(parts[0])] = int(parts[1])
        found: dict[int, str] = {}
        for pid in wanted:
            current: int | None = pid
            seen: set[int] = set()
            while current is not None and current not in seen:
                if current in root_jobs:
                    found[pid] = root_jobs[current]
                    break
                seen.add(current)
                current = parents.get(current)
        return found

    return mapping


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
        self._snapshot = GpuSnapshot(host=host.name, state=GpuState(GpuStatus.STARTING))
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
            self._set(state=_host_error(exc, self.host.name), gpus=(), processes=())
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
                heard = _Watchdog(self.stall_s, on_silence=lambda: (stalled.set(), stream.close()))
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
            self._set(state=_host_error(exc, self.host.name))
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
                        target=_pump, args=(self._lines(stream), lines), daemon=True
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


class _Watchdog:
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


def _pump(lines: Iterator[str], into: queue.Queue[str | None]) -> None:
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


def _host_error(exc: HostError, host: str) -> GpuState:
    return GpuState(GpuStatus.HOST_ERROR, f"{host}: {exc.message}", str(exc))


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuSettings:
    """The ``[gpu]`` table of the config file::

    [gpu]
    nvidia_smi = "nvidia-smi"     # command or absolute path on the hosts
    interval_ms = 1000            # refresh of the long-lived stream
    history_minutes = 10          # sparkline history per GPU
    apps_interval_seconds = 5     # refresh of the process list
    """

    nvidia_smi: str = "nvidia-smi"
    interval_ms: int = 1000
    history_minutes: float = 10.0
    apps_interval_seconds: float = 5.0

    @classmethod
    def from_section(cls, section: Mapping[str, object]) -> GpuSettings:
        """From ``Settings.section("gpu")``. Raises ConfigError naming the bad key."""
        from console.errors import ConfigError

        unknown = sorted(set(section) - {f for f in cls.__dataclass_fields__})
        if unknown:
            raise ConfigError(f"[gpu] has unknown settings: {', '.join(unknown)}")
        values: dict[str, object] = {}
        for key, raw in section.items():
            if key == "nvidia_smi":
                if not isinstance(raw, str) or not raw.strip():
                    raise ConfigError(f"[gpu] nvidia_smi must be a command or a path, not {raw!r}")
                values[key] = raw.strip()
                continue
            try:
                if isinstance(raw, bool):
                    raise ValueError
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ConfigError(f"[gpu] {key} must be a number, not {raw!r}") from None
            if number <= 0:
                raise ConfigError(f"[gpu] {key} must be positive, not {raw!r}")
            values[key] = int(number) if key == "interval_ms" else number
        return cls(**values)  # type: ignore[arg-type]

    def monitor(self, host: Host, **kwargs: object) -> GpuMonitor:
        """A GpuMonitor for ``host`` configured by these settings."""
        return GpuMonitor(
            host,
            interval_ms=int(kwargs.pop("interval_ms", self.interval_ms)),  # type: ignore[arg-type]
            nvidia_smi=self.nvidia_smi,
            history_seconds=self.history_minutes * 60,
            apps_interval_s=self.apps_interval_seconds,
            **kwargs,  # type: ignore[arg-type]
        )
