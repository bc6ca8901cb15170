"""Frozen value objects that cross from the backends into the UI.

No value object does I/O and none holds a boto3 dict or a paramiko object. Add a class here
when a new kind of thing has to reach a screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

# --- Hosts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What ``Host.run`` returns: the argument list that ran and what it left behind."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


class FileKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class FileStat:
    """One entry of a directory on a host (``stat``/``lstat`` semantics: links are not followed)."""

    path: str
    name: str
    kind: FileKind
    size: int
    mtime: float
    mode: int


# --- AWS -------------------------------------------------------------------------------


class InstanceState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    name: str
    type: str
    state: InstanceState
    public_ip: str | None = None
    private_ip: str | None = None
    availability_zone: str | None = None
    launch_time: dt.datetime | None = None
    market: str = "on-demand"  # "spot" or "on-demand"
    key_name: str | None = None
    image_id: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    created: dt.datetime | None = None
    region: str | None = None


# --- GPU and host monitor ----------------------------------------------------------------


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


# --- Jobs and logs ---------------------------------------------------------------------


class JobState(StrEnum):
    RUNNING = "running"  # its tmux session is alive and it has not written exit_code
    EXITED = "exited"  # it wrote exit_code
    LOST = "lost"  # no tmux session and no exit_code (the host rebooted, tmux was killed)


@dataclass(frozen=True, slots=True)
class JobStatus:
    state: JobState
    #: the command's exit status; 128 + N when signal N ended it. None unless EXITED.
    exit_code: int | None = None

    @property
    def finished(self) -> bool:
        return self.state is not JobState.RUNNING

    def __str__(self) -> str:
        if self.state is JobState.EXITED:
            return f"exited ({self.exit_code})"
        return self.state.value


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What to run: the user's text kept verbatim (argv, never a shell line)."""

    command: tuple[str, ...]
    name: str = ""
    cwd: str = "~"
    env: tuple[tuple[str, str], ...] = ()
    #: jobs started together (a multi-node torchrun launch) share a group id
    group: str | None = None
    node_rank: int | None = None
    #: the name the group was started under (its members' names add "[node i/N]")
    group_name: str = ""
    #: how many nodes the group was started on (None for a job started alone)
    group_size: int | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A job as read back from its host: ``~/.awsconsole/jobs/<id>/`` plus tmux."""

    id: str
    host: str
    spec: JobSpec
    status: JobStatus
    started: dt.datetime
    #: when exit_code was written (None while running or when lost)
    ended: dt.datetime | None = None
    session: str = ""
    log_path: str = ""
    log_size: int = 0
    last_line: str = ""

    @property
    def name(self) -> str:
        return self.spec.name or " ".join(self.spec.command)


@dataclass(frozen=True, slots=True)
class LogChunk:
    """Bytes of a log from byte ``offset``: ``data`` ends on a line boundary (b"\\n").

    ``pending`` is the unfinished last line as it stood when the chunk was read (a tqdm bar
    still drawing); it is for display only and comes again, complete, in a later chunk.
    """

    offset: int
    data: bytes
    pending: bytes = b""

    @property
    def end(self) -> int:
        """The offset just after ``data``: where the next chunk starts."""
        return self.offset + len(self.data)


# --- Files: counts and unpack ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExtensionCount:
    """Regular files with one extension (lower-cased, ``""`` for none) and their bytes
    (0 when sizes were not measured: the count's ``bytes`` is then None)."""

    extension: str
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class CountProgress:
    """A partial count while a big tree is still being walked."""

    location: str
    files: int
    dirs: int
    symlinks: int
    other: int
    bytes: int


@dataclass(frozen=True, slots=True)
class FileCount:
    """What lies under a path of this machine, a host or an S3 prefix (the root not counted).

    ``bytes`` sums regular files only and is None when it was not measured; ``paths`` holds
    the files' paths relative to the root (``/``-separated) when they were asked for.
    """

    location: str
    files: int
    dirs: int
    symlinks: int
    other: int
    bytes: int | None
    recursive: bool
    by_extension: tuple[ExtensionCount, ...] = ()
    paths: frozenset[str] | None = None
    error_count: int = 0
    errors: tuple[str, ...] = ()
    #: how it was counted: "scandir" (python on the host), "find" (no python there), "s3"
    method: str = "scandir"
    cancelled: bool = False

    @property
    def entries(self) -> int:
        return self.files + self.dirs + self.symlinks + self.other


@dataclass(frozen=True, slots=True)
class ExtensionComparison:
    """One extension across the compared locations; index 0 is the reference."""

    extension: str
    files: tuple[int, ...]
    #: per location: files of the reference this location lacks (0 for the reference)
    missing: tuple[int, ...]
    #: per location: files this location has beyond the reference
    extra: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CountComparison:
    """Two or three counts side by side: did everything arrive?

    With ``by_path`` the missing/extra figures come from the sets of relative paths (and
    ``missing_paths``/``extra_paths`` list them per location); otherwise from counts.
    """

    counts: tuple[FileCount, ...]
    by_extension: tuple[ExtensionComparison, ...]
    by_path: bool
    missing_paths: tuple[tuple[str, ...], ...] = ()
    extra_paths: tuple[tuple[str, ...], ...] = ()

    @property
    def matches(self) -> bool:
        return all(not any(row.missing) and not any(row.extra) for row in self.by_extension)


class UnpackFailureKind(StrEnum):
    CORRUPT = "corrupt"  # the archive cannot be read: the others go on
    REFUSED = "refused"  # one entry would land outside the destination: skipped
    UNSUPPORTED = "unsupported"  # a device node, fifo or other entry not extracted
    ERROR = "error"  # writing failed (disk full, permission)


@dataclass(frozen=True, slots=True)
class UnpackFailure:
    archive: str
    kind: UnpackFailureKind
    reason: str
    #: the entry inside the archive, for refusals and unsupported entries
    entry: str | None = None


@dataclass(frozen=True, slots=True)
class UnpackProgress:
    archives_done: int
    archives_total: int
    #: archive bytes processed so far (the total is the sum of the archives' sizes)
    bytes_done: int
    bytes_total: int
    files_written: int
    written_bytes: int
    failed: int


@dataclass(frozen=True, slots=True)
class UnpackResult:
    directory: str
    destination: str
    parallel: int
    archives_total: int
    archives_ok: int
    files_written: int
    written_bytes: int
    failures: tuple[UnpackFailure, ...]
    #: distinct worker processes that extracted archives (never more than ``parallel``)
    workers_used: int
    seconds: float


# --- EC2 instance types ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstanceTypeInfo:
    """What an instance type offers (``aws ec2 describe-instance-types``); no GPU: count 0."""

    name: str
    vcpus: int
    memory_mib: int
    gpu_count: int = 0
    #: e.g. "A10G", "A100", "T4"
    gpu_model: str | None = None
    gpu_manufacturer: str | None = None
    #: memory of one GPU
    gpu_memory_mib: int | None = None


# --- transfers ---------------------------------------------------------------------------


class TransferState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    SKIPPED = "skipped"  # an identical file was already there (policy "skip")
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class TransferProgress:
    """Where one transfer stands; ``rate`` in bytes/s over the last seconds, ``eta`` in s."""

    transfer_id: int
    source: str
    destination: str
    state: TransferState
    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
    rate: float = 0.0
    eta: float | None = None
    #: the file being copied now (relative to the source folder for a folder transfer)
    current: str = ""
    #: connections that dropped and were re-opened, resuming where they stopped
    resumes: int = 0
    #: bytes an earlier, interrupted run had already copied (counted in ``bytes_done``,
    #: not sent again)
    bytes_resumed: int = 0
    #: names from the source refused so far (see ``RefusedName``)
    refused: int = 0


@dataclass(frozen=True, slots=True)
class RefusedName:
    """A name from outside (an S3 key, a host's listing) that a copy did not write, and why.

    ``name`` is the name as the source gave it, relative to the copied folder (bytes that
    were not UTF-8 kept as surrogate escapes); ``reason`` is the containment rule's words
    (``console.files.paths``): "a '..' segment leads outside the destination", ...
    """

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a finished transfer did; ``files`` lists every file copied, skipped or renamed."""

    transfer_id: int
    source: str
    destination: str
    state: TransferState
    bytes_total: int
    files_copied: int
    files_skipped: int
    seconds: float
    resumes: int = 0
    #: how each file was checked: "sha256", "s3-sha256", "s3-etag-md5", "size"
    verified: str = ""
    #: final paths written (keep-both may have given a file a suffix)
    written: tuple[str, ...] = ()
    error: str | None = None
    #: a host <-> S3 copy runs as a job on the host: its id
    job_id: str | None = None
    #: bytes found already copied by an earlier, interrupted run (not sent again)
    bytes_resumed: int = 0
    #: names skipped because writing them would leave the destination (the rest was copied)
    refused: tuple[RefusedName, ...] = ()


@dataclass(frozen=True, slots=True)
class SpotPrice:
    """The latest spot price of a type in one availability zone, and where it came from."""

    instance_type: str
    availability_zone: str
    #: US dollars per hour
    price_per_hour: float
    timestamp: dt.datetime | None
    product: str
    source: str = "EC2 spot price history"


# --- S3 objects ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class S3Object:
    """One object: its full key, size in bytes, last modification and storage class."""

    key: str
    size: int
    modified: dt.datetime | None = None
    storage_class: str = "STANDARD"


@dataclass(frozen=True, slots=True)
class S3Page:
    """One ``list_objects_v2`` page of a folder-like listing (``Delimiter="/"``).

    ``folders`` are the common prefixes (full, ending in ``/``); ``next_token`` is None on
    the last page.
    """

    bucket: str
    prefix: str
    folders: tuple[str, ...]
    objects: tuple[S3Object, ...]
    next_token: str | None = None


# --- EC2 instance details, prices and launch ------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourlyPrice:
    """What an instance costs per hour and where that figure came from.

    ``source`` is shown beside the price: ``"table 2024-09-01"`` (the shipped on-demand
    table and its date), ``"spot price history"`` (live) or ``"Pricing API"`` (live).
    """

    instance_type: str
    region: str
    #: US dollars per hour
    price_per_hour: float
    source: str
    market: str = "on-demand"


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    """One inbound or outbound permission of a security group, flattened per source."""

    group_id: str
    group_name: str
    direction: str  # "inbound" or "outbound"
    protocol: str  # "tcp", "udp", "icmp", "all"
    port_range: str  # "22", "8000-8100", "all"
    source: str  # a CIDR, or another group's id


@dataclass(frozen=True, slots=True)
class VolumeInfo:
    volume_id: str
    device: str
    size_gib: int | None = None
    volume_type: str | None = None
    delete_on_termination: bool | None = None


@dataclass(frozen=True, slots=True)
class InstanceDetail:
    """Everything the detail screen shows about one instance."""

    instance: Instance
    security_groups: tuple[tuple[str, str], ...] = ()  # (id, name)
    rules: tuple[SecurityGroupRule, ...] = ()
    volumes: tuple[VolumeInfo, ...] = ()
    iam_role: str | None = None
    image_name: str | None = None
    #: (key type, SHA256 fingerprint) printed by cloud-init in the console output
    host_key_fingerprints: tuple[tuple[str, str], ...] = ()
    console_output_available: bool = False


@dataclass(frozen=True, slots=True)
class ImageInfo:
    image_id: str
    name: str
    created: str  # ISO 8601, as EC2 gives it
    description: str = ""
    architecture: str = ""


@dataclass(frozen=True, slots=True)
class KeyPairInfo:
    name: str
    key_pair_id: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class QuotaInfo:
    """The vCPU limit that applies to launching an instance family (Service Quotas)."""

    family: str
    quota_code: str | None
    quota_name: str | None
    #: vCPUs allowed; None when the API did not answer
    limit: float | None
    #: why there is no figure (the API is missing, denied, or knows no quota for the family)
    unavailable_reason: str | None = None


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    """What the launch wizard asks EC2 for (``aws ec2 run-instances`` in one object)."""

    image_id: str
    instance_type: str
    name: str
    key_name: str | None = None
    security_group_ids: tuple[str, ...] = ()
    spot: bool = False
    root_volume_gib: int | None = None
    #: the AMI's root device (e.g. /dev/sda1); looked up when None
    root_device: str | None = None


# --- AWS account and region -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwsProfile:
    """A profile of ~/.aws/config or ~/.aws/credentials, as the profile picker lists it."""

    #: the profile's name; None stands for the standard chain (environment variables,
    #: AWS_PROFILE, the default profile, an instance role)
    name: str | None
    #: how it gets credentials: "sso", "role", "process", "keys", "config", "chain", "demo"
    kind: str
    #: the region the profile names, if any
    region: str | None = None

    @property
    def label(self) -> str:
        return self.name if self.name is not None else "(standard chain)"


@dataclass(frozen=True, slots=True)
class AwsRegion:
    """A region EC2 runs in, with its human name (``eu-west-1``, "Europe (Ireland)")."""

    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class AwsIdentity:
    """Who the credentials belong to (``aws sts get-caller-identity``)."""

    account: str
    arn: str


@dataclass(frozen=True, slots=True)
class AwsTarget:
    """The account and region the console talks to now (the header shows it)."""

    #: None: the standard credential chain
    profile: str | None
    region: str | None
    #: filled in after a switch, when the credentials were checked
    identity: AwsIdentity | None = None


# --- Job groups (appended) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobGroup:
    """The jobs of one multi-node launch (one per node, sharing ``spec.group``), seen as one.

    ``members`` are the jobs found, by node rank; ``size`` is how many nodes it was started
    on (more than ``len(members)`` when a node's job was forgotten or its host not read).
    The combined status: running while any member runs; otherwise exited with the code of
    the first member that failed (the earliest to end, ``failed_member`` says which);
    otherwise lost when a member is lost; exited (0) only when every member exited 0.
    """

    id: str
    members: tuple[Job, ...]
    name: str = ""
    size: int = 0

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(job.host for job in self.members)

    @property
    def nodes(self) -> int:
        return max(self.size, len(self.members))

    @property
    def failed_member(self) -> Job | None:
        """The member that ended first with a non-zero code (None when none did)."""
        failed = [
            job
            for job in self.members
            if job.status.state is JobState.EXITED and job.status.exit_code != 0
        ]
        if not failed:
            return None
        latest = dt.datetime.max.replace(tzinfo=dt.UTC)
        return min(failed, key=lambda job: (job.ended or latest, job.spec.node_rank or 0))

    @property
    def lost_member(self) -> Job | None:
        return next((job for job in self.members if job.status.state is JobState.LOST), None)

    @property
    def status(self) -> JobStatus:
        if any(job.status.state is JobState.RUNNING for job in self.members):
            return JobStatus(JobState.RUNNING)
        failed = self.failed_member
        if failed is not None:
            return JobStatus(JobState.EXITED, failed.status.exit_code)
        if self.lost_member is not None:
            return JobStatus(JobState.LOST)
        return JobStatus(JobState.EXITED, 0)

    def status_text(self) -> str:
        """``running (2/3 nodes)``, ``exited (1) on node 1 (gpu-b)``, ``lost (node 2)``,
        ``exited (0)``; says when nodes are missing from the listing."""
        status = self.status
        text = str(status)
        if status.state is JobState.RUNNING:
            running = sum(1 for job in self.members if job.status.state is JobState.RUNNING)
            if running < self.nodes:
                text += f" ({running}/{self.nodes} nodes)"
        elif (failed := self.failed_member) is not None:
            text += f" on node {failed.spec.node_rank} ({failed.host})"
        elif (lost := self.lost_member) is not None:
            text += f" (node {lost.spec.node_rank}, {lost.host})"
        missing = self.nodes - len(self.members)
        if missing:
            text += f", {missing} node{'s' if missing > 1 else ''} not found"
        return text

    @property
    def started(self) -> dt.datetime:
        return min(job.started for job in self.members)

    @property
    def ended(self) -> dt.datetime | None:
        """When the last member ended (None while any runs or one has no end time)."""
        ends = [job.ended for job in self.members]
        if any(end is None for end in ends):
            return None
        return max(end for end in ends if end is not None)

    @property
    def rank0(self) -> Job:
        """The member of the lowest node rank (rank 0 unless its job is gone)."""
        return self.members[0]

    @property
    def last_line(self) -> str:
        return self.rank0.last_line
