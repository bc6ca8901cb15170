"""GPUs and the host around them: samples, states, processes, snapshots; host samples, idle warnings, doctor checks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GpuStatus(StrEnum):
    """What a host's nvidia-smi could tell us; everything but OK is a state to show plainly."""

    STARTING = "starting"
    OK = "ok"
    NO_NVIDIA_SMI = "no-nvidia-smi"  # command not found (exit 127)
    NO_DRIVER = "no-driver"  # "couldn't communicate with the NVIDIA driver", NVML init failed
    DRIVER_MISMATCH = "driver-mismatch"  # "Driver/library version mismatch" (reboot needed)
    NO_DEVICES = "no-devices"  # "No devices were found"
    HOST_ERROR = "host-error"  # the host could not be reached
    ERROR = "error"  # any other failure, with nvidia-smi's own words


@dataclass(frozen=True, slots=True)
class GpuState:
    status: GpuStatus
    #: one sentence for a person ("No NVIDIA driver is loaded on gpu-box.")
    message: str = ""
    #: what nvidia-smi (or the shell) printed, for the details view
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is GpuStatus.OK


@dataclass(frozen=True, slots=True)
class GpuSample:
    """One GPU at one moment. Every measurement is None when nvidia-smi reported it unknown
    (``[N/A]``, ``[Not Supported]``, …) — never zero."""

    at: float  # time.time() when the line arrived
    index: int | None = None
    uuid: str | None = None
    name: str | None = None
    utilization_gpu: float | None = None  # %
    utilization_memory: float | None = None  # %
    memory_used_mib: float | None = None
    memory_total_mib: float | None = None
    temperature_c: float | None = None
    power_draw_w: float | None = None
    power_limit_w: float | None = None
    clock_sm_mhz: float | None = None
    fan_percent: float | None = None
    pstate: str | None = None
    driver_version: str | None = None

    @property
    def key(self) -> str:
        """Stable identity across samples: the UUID, else the index."""
        if self.uuid:
            return self.uuid
        return f"#{self.index}" if self.index is not None else "#?"


@dataclass(frozen=True, slots=True)
class GpuProcess:
    pid: int | None
    process_name: str | None
    used_memory_mib: float | None
    gpu_uuid: str | None
    #: the job whose tmux process tree holds this pid, when known
    job: str | None = None


@dataclass(frozen=True, slots=True)
class GpuSnapshot:
    """What the GPU view draws: the latest sample per GPU and the processes on them."""

    host: str
    state: GpuState
    gpus: tuple[GpuSample, ...] = ()
    processes: tuple[GpuProcess, ...] = ()
    updated_at: float | None = None
    #: not a live GPU: what the host's nvidia-smi replays ("recording of a real NVIDIA A10G,
    #: replayed"), None for a real one
    recording: str | None = None


@dataclass(frozen=True, slots=True)
class DiskUsage:
    mount: str
    total_bytes: int
    used_bytes: int
    free_bytes: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used_bytes / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True, slots=True)
class HostSample:
    """CPU, load, memory, disks and network of a host at one moment."""

    host: str
    at: float
    source: str  # "psutil" or "proc": how the numbers were read on the host
    cpu_percent: float | None
    cpu_count: int | None
    load: tuple[float, float, float] | None
    memory_total_bytes: int | None
    memory_available_bytes: int | None
    disks: tuple[DiskUsage, ...] = ()
    net_rx_bytes_per_s: float | None = None
    net_tx_bytes_per_s: float | None = None

    @property
    def memory_used_bytes(self) -> int | None:
        if self.memory_total_bytes is None or self.memory_available_bytes is None:
            return None
        return self.memory_total_bytes - self.memory_available_bytes


@dataclass(frozen=True, slots=True)
class IdleWarning:
    """Every GPU of a host stayed under the threshold for at least the configured period."""

    host: str
    idle_since: float
    idle_seconds: float
    threshold_percent: float
    gpu_count: int
    #: money spent while idle at the given $/hour (None when the price is unknown)
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class DoctorCheck:
    """One line of ``awsconsole doctor``: a pass/fail mark, what was found, how to fix it."""

    name: str
    ok: bool
    found: str
    hint: str = ""


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


class AutoStopPhase(StrEnum):
    """Where one watched instance stands with the autostopper (``console.gpu.autostop``)."""

    #: watched, no GPU frame yet
    WAITING = "waiting"
    #: a GPU at or over the idle threshold in the last frame
    BUSY = "busy"
    #: every GPU under the threshold since ``idle_seconds`` ago
    IDLE = "idle"
    #: a GPU's utilisation is unknown, or nvidia-smi does not answer: never stopped
    UNKNOWN = "unknown"
    #: the host could not be opened (no address, no key, SSH refused)
    UNREACHABLE = "unreachable"
    #: idle for the whole period: the stop was sent
    STOPPING = "stopping"
    #: the stop failed; not tried again in this idle stretch
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AutoStopStatus:
    """One watched instance as the autostopper sees it, for the GPU view."""

    instance_id: str
    name: str
    #: how long every GPU must stay idle before the instance is stopped
    period_seconds: float
    phase: AutoStopPhase
    #: length of the current idle stretch (None when not idle)
    idle_seconds: float | None = None
    #: GPU frames seen, and the time from the first to the last of them
    frames: int = 0
    watched_seconds: float = 0.0
    #: why, for UNKNOWN, UNREACHABLE and FAILED
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AutoStopDecision:
    """Stop this instance: every GPU stayed under the threshold for the autostop period."""

    instance_id: str
    name: str
    idle_seconds: float
    period_seconds: float
    threshold_percent: float
    gpu_count: int
    #: the idle stretch's cost at the instance's price (None when the price is unknown)
    cost_usd: float | None


class AutoStopReportKind(StrEnum):
    STOPPED = "stopped"
    STOP_FAILED = "stop-failed"
    LIST_FAILED = "list-failed"


@dataclass(frozen=True, slots=True)
class AutoStopReport:
    """What the autostopper tells the console: an instance it stopped, a stop that failed
    (``message``: why), or that the instances could not be listed (once until they can)."""

    kind: AutoStopReportKind
    decision: AutoStopDecision | None = None
    message: str = ""
