"""The contract the UI and the CLI code against: one typed Protocol per backend.

Each Protocol says, per member, whether it only reads (``@reads``) or changes something
(``@changes("what")``: refused while the console is read-only, by ``console.services.guard``)
and, in its docstring, what it raises and the shell command it stands for. The bundle
(``console.services.Services``) hands every backend out guarded; nothing here imports a
backend at run time, so loading the contract costs nothing.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from console.errors import ConsoleError, UnknownHostKeyError
from console.models import (
    AutoStopReport,
    AutoStopStatus,
    Bucket,
    Checkpoint,
    Comparison,
    CountComparison,
    CountOptions,
    CountProgress,
    DoctorCheck,
    FileCount,
    FolderEntry,
    GpuSample,
    GpuSnapshot,
    HostSample,
    HourlyPrice,
    IdleStatus,
    ImageInfo,
    Instance,
    InstanceDetail,
    InstanceTypeInfo,
    Job,
    JobGroup,
    JobSpec,
    JupyterLink,
    KeyPairInfo,
    LaunchRequest,
    LogChunk,
    LogWindow,
    MetricRecord,
    MountEntry,
    MountOptions,
    MountTools,
    ObjectPreview,
    Prediction,
    QuotaInfo,
    RunListing,
    RunProgress,
    RunRecord,
    S3Page,
    SpotPrice,
    TrainRequest,
    TransferProgress,
    TransferResult,
    TransferSpec,
    UnpackFailure,
    UnpackProgress,
    UnpackResult,
)
from console.models.launch import DryRunAnswer, LaunchReview
from console.models.location import parse_location
from console.services.guard import changes, hands_out, internal, reads

if TYPE_CHECKING:  # the backends' own types, for the annotations only
    from console.files.transfer.engine import TransferHandle
    from console.hosts.base import Host
    from console.jobs.directory import JobListing


# --- what read-only lets through ------------------------------------------------------------
#
# Read-only refuses every change to AWS and to hosts. A copy whose destination is a path on
# this machine, with a policy that never replaces a file (skip: identical files are skipped,
# a different one is an error; keep-both: the copy gets a new name), only adds files here:
# downloading to look at something is allowed. A copy to S3 or to a host (``local:`` too),
# and any copy with the overwrite policy, is refused.


def _into_new_local_files(destination: str, policy: str = "skip") -> bool:
    try:
        kind = parse_location(destination).kind
    except ConsoleError:
        return False  # not a location at all: the copy will fail on its own, refuse first
    return kind == "local" and str(policy) != "overwrite"


def _copy_changes_nothing(arguments: Mapping[str, Any]) -> bool:
    spec = arguments["spec"]
    return _into_new_local_files(spec.destination, spec.policy)


def _copy_what(arguments: Mapping[str, Any]) -> str:
    spec = arguments["spec"]
    verb = "overwrite files at" if str(spec.policy) == "overwrite" else "copy into"
    return f"{verb} {spec.destination} (from {spec.source})"


def _group_what(action: str) -> Callable[[Mapping[str, Any]], str]:
    def what(arguments: Mapping[str, Any]) -> str:
        members = arguments["members"]
        first = members[0][1] if members else None
        label = (first.spec.group_name or first.spec.group or first.name) if first else "(empty)"
        return f"{arguments.get('action', action)} job group {label!r}"

    return what


# --- AWS --------------------------------------------------------------------------------------


class LaunchBackend(Protocol):
    """The launch wizard's backend (``console.aws.ec2.launch.Launcher``) for one region."""

    @reads
    def find_images(
        self, name_filter: str = "Deep Learning*", owners: tuple[str, ...] = ("amazon",)
    ) -> list[ImageInfo]:
        """AMIs by name, newest first (``aws ec2 describe-images --owners amazon --filters
        Name=name,Values=…``). Raises AccessDeniedError, CredentialsError, EndpointError."""
        ...

    @reads
    def image(self, image_id: str) -> ImageInfo:
        """One AMI (``aws ec2 describe-images --image-ids ID``). Raises LaunchError."""
        ...

    @reads
    def image_root_device(self, image_id: str) -> str:
        """The AMI's root device name (``describe-images``), ``/dev/sda1`` when unsaid."""
        ...

    @reads
    def key_pairs(self) -> list[KeyPairInfo]:
        """The region's key pairs (``aws ec2 describe-key-pairs``)."""
        ...

    @reads
    def public_key_candidates(self, ssh_dir: str = "~/.ssh") -> list[str]:
        """``ls ~/.ssh/id_*.pub``: keys the wizard offers to import."""
        ...

    @reads
    def my_public_ip(self) -> str | None:
        """This machine's public IPv4 address (``curl checkip.amazonaws.com``), or None."""
        ...

    @reads
    def run_arguments(self, request: LaunchRequest) -> dict[str, Any]:
        """The keyword arguments of run-instances for ``request`` (nothing is sent)."""
        ...

    @changes("create key pair {name!r}")
    def create_key_pair(self, name: str, key_dir: str = "~/.ssh") -> str:
        """``aws ec2 create-key-pair`` and save ``~/.ssh/NAME.pem`` (0600, never over a file).
        Raises LaunchError, AwsError."""
        ...

    @changes("import key pair {name!r}")
    def import_key_pair(self, name: str, public_key_path: str) -> KeyPairInfo:
        """``aws ec2 import-key-pair --public-key-material fileb://…``. Raises LaunchError."""
        ...

    @changes("create security group {name!r} for SSH from {cidr}")
    def create_ssh_group(self, name: str, cidr: str, *, confirmed: str | None = None) -> str:
        """``aws ec2 create-security-group`` and ``authorize-security-group-ingress`` for tcp
        22 from ``cidr``. A range wider than one address needs ``confirmed`` equal to it.
        Raises LaunchError, AwsError."""
        ...

    @changes("launch instance {request.name!r}")
    def launch(self, request: LaunchRequest, *, read_only: bool = False) -> Instance:
        """A dry run, then ``aws ec2 run-instances``. Raises LaunchError, AwsError."""
        ...

    @reads
    def dry_run(self, request: LaunchRequest) -> DryRunAnswer:
        """``aws ec2 run-instances --dry-run``: would it launch, or EC2's reason why not.
        Creates nothing. Raises CredentialsError, EndpointError."""
        ...

    @reads
    def review(
        self,
        request: LaunchRequest,
        *,
        price: HourlyPrice | None = None,
        created_on_confirm: tuple[str, ...] = (),
    ) -> LaunchReview:
        """The wizard's review page: AMI, hardware, vCPU quota and its use, the dry run's
        answer (``describe-images``, ``describe-instance-types``, ``service-quotas
        get-service-quota``, ``describe-instances``, ``run-instances --dry-run``). Creates
        nothing. Raises CredentialsError, EndpointError."""
        ...


class QuotaBackend(Protocol):
    """Service Quotas of one region (``console.aws.ec2.quotas.QuotaService``)."""

    @reads
    def vcpu_limit(self, instance_type: str, *, spot: bool = False) -> QuotaInfo:
        """The vCPU quota of the type's family (``aws service-quotas get-service-quota``);
        a quota Service Quotas does not answer says why in ``unavailable_reason``."""
        ...

    @reads
    def vcpus_in_use(self, instance_type: str, *, spot: bool = False) -> int:
        """vCPUs of the pending and running instances under the same quota
        (``aws ec2 describe-instances``, ``describe-instance-types``). Raises AwsError."""
        ...


class Ec2Backend(Protocol):
    @reads
    def list_instances(self, first_page: Callable[[list[Instance]], None] | None = None) -> list[Instance]:
        """All instances of the region, terminated ones included (``aws ec2 describe-instances``);
        ``first_page`` gets the first page as soon as it arrives.

        Raises CredentialsError, AccessDeniedError, EndpointError, ThrottledError.
        """
        ...

    @reads
    def iter_instance_pages(self, first_page_size: int | None = None) -> Iterator[list[Instance]]:
        """The instances page by page (``aws ec2 describe-instances --max-items N``)."""
        ...

    @reads
    def prefetch_first_page(self) -> None:
        """Ask for the instances' first page now, in a thread; the next listing starts from
        it (the console's first rows arrive while its window is still being built)."""
        ...

    @reads
    def instance_types(self, names: Iterable[str]) -> dict[str, InstanceTypeInfo]:
        """vCPUs, memory and GPUs of each named type, cached (``aws ec2 describe-instance-types``).

        Unknown names are left out. Raises like ``list_instances``.
        """
        ...

    @reads
    def spot_prices(
        self, instance_types: Iterable[str], product: str = "Linux/UNIX"
    ) -> dict[tuple[str, str], SpotPrice]:
        """Latest spot price per (type, zone) (``aws ec2 describe-spot-price-history``)."""
        ...

    @reads
    def hourly_prices(self, instances: Iterable[Instance]) -> dict[str, HourlyPrice]:
        """Instance id -> $/hour with where the price came from (spot, Pricing API, table)."""
        ...

    @changes("{action} instance {instance_id}")
    def change_state(self, action: str, instance_id: str, *, read_only: bool = False) -> str:
        """start / stop / reboot / terminate one instance (``aws ec2 stop-instances …``);
        returns the next state. Raises ReadOnlyError (read-only), NotFoundError, AwsError."""
        ...

    @reads
    def instance_detail(self, instance_id: str) -> InstanceDetail:
        """Tags, security-group rules, volumes, AMI, IAM role, host-key fingerprints."""
        ...

    @reads
    def console_output(self, instance_id: str) -> str | None:
        """The serial console text (``aws ec2 get-console-output``), None when absent."""
        ...

    @property
    @hands_out(LaunchBackend)
    def launcher(self) -> LaunchBackend:
        """The launch wizard's backend for this region."""
        ...

    @property
    @hands_out(QuotaBackend)
    def quotas(self) -> QuotaBackend:
        """Service Quotas for this region."""
        ...

    @property
    @reads
    def price_book(self) -> Any:
        """``console.aws.ec2.prices.PriceBook`` of the region: looks prices up, changes nothing."""
        ...


class S3Backend(Protocol):
    @reads
    def list_buckets(self) -> list[Bucket]:
        """All buckets of the account (``aws s3api list-buckets``)."""
        ...

    @reads
    def list_page(
        self, bucket: str, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> S3Page:
        """One folder-like page (``aws s3api list-objects-v2 --delimiter /``)."""
        ...

    @reads
    def iter_objects(
        self, bucket: str, prefix: str = "", *, recursive: bool = False, page_size: int = 1000
    ) -> Iterator[S3Page]:
        """Every page under a prefix, lazily (``aws s3 ls [--recursive]``)."""
        ...

    @reads
    def count_prefix(
        self,
        bucket: str,
        prefix: str,
        *,
        on_progress: Callable[[CountProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCount:
        """Objects and bytes under a prefix, listed in parallel (``aws s3 ls --recursive
        --summarize``)."""
        ...

    @changes("delete s3://{bucket}/{key}")
    def delete(self, bucket: str, key: str) -> int:
        """Delete an object, or a folder with a key ending in / (``aws s3 rm [--recursive]``)."""
        ...

    @reads
    def presign(self, bucket: str, key: str, expires: int = 3600) -> str:
        """A presigned GET URL (``aws s3 presign``): computed here, nothing is sent."""
        ...

    @reads
    def preview_text(self, bucket: str, key: str, limit: int = 1024 * 1024) -> str:
        """A small text object's content; raises PreviewRefused (``aws s3 cp s3://… -``)."""
        ...

    @reads
    def preview(self, bucket: str, key: str, head: int = 256 * 1024) -> ObjectPreview:
        """The first ``head`` bytes of any object as text, with its size (``aws s3api
        get-object --range``); raises PreviewRefused for bytes that are not text."""
        ...

    @changes(
        "copy into {destination} (from {source})",
        unless=lambda a: _into_new_local_files(a["destination"]),
    )
    def transfer(
        self,
        source: str,
        destination: str,
        *,
        recursive: bool = False,
        on_progress: Callable[[TransferProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> TransferResult:
        """Copy between this machine and S3 with progress (``aws s3 cp [--recursive]``); an
        existing different file is an error, never overwritten."""
        ...

    @internal("the boto3 client itself, for the count and transfer engines of this layer")
    def client(self) -> Any: ...

    @internal("botocore errors translated, for the backend's own calls")
    def errors(self) -> Any: ...


class HostResolver(Protocol):
    def host_for(self, target: str) -> Host:
        """The host for an instance id, an ssh alias, or "local". Raises HostConfigError.

        Not guarded: a Host runs any command. The UI and CLI use it for what only looks
        (GPU monitor, logs, doctor, mount tools); every change to a host goes through the
        jobs, files and mounts backends below.
        """
        ...

    def trust_host_key(self, error: UnknownHostKeyError) -> None:
        """Add the key of an ``UnknownHostKeyError`` to the known_hosts file that was
        checked, after the user compared its fingerprint and said yes (ssh's own question;
        allowed read-only too: it changes what this machine trusts, nothing on AWS or a
        host). Raises HostConfigError."""
        ...


class CompletionBackend(Protocol):
    """What a typed field completes with (``console.services.completion.HostCompletion``).
    Both calls block: the UI makes them from its own threads and caches the answers."""

    @reads
    def host_names(self) -> list[str]:
        """Every host one can name: "local", the running instances' Name tags and ids
        (``aws ec2 describe-instances``; none when EC2 cannot be asked), the ``Host`` aliases
        of the ssh config (``grep -i '^host ' ~/.ssh/config``, patterns skipped, Include
        followed) and ``[jobs] hosts``; names a target cannot have are left out."""
        ...

    @reads
    def list_folder(self, host: str | None, folder: str) -> list[FolderEntry]:
        """The names in ``folder`` on ``host`` ("local", an instance, an ssh alias; ``~`` and
        relative paths against its home), links to folders counted as folders (``ls -1pL``:
        SFTP for an SSH host). ``host`` None is this machine as the console's process sees
        it (relative to its working folder). Raises HostConfigError, HostError subclasses,
        ConsoleError (a folder that cannot be listed)."""
        ...


# --- hosts: jobs, files, mounts ---------------------------------------------------------------


class LogReader(Protocol):
    """One log file on one host, read by byte offset (``console.logs.follower.HostLog``)."""

    @property
    @reads
    def path(self) -> str:
        """The file's path on its host."""
        ...

    @reads
    def tail(self, max_bytes: int = 256 * 1024) -> LogWindow:
        """The last whole lines within ``max_bytes`` (``tail -c MAX FILE``, one ranged read).
        Raises RemoteFileError (not written yet), HostError."""
        ...

    @reads
    def before(self, offset: int, max_bytes: int = 256 * 1024) -> LogWindow:
        """The whole lines that end at ``offset``, up to ``max_bytes`` of them."""
        ...

    @reads
    def follow(self, offset: int, cancel: threading.Event) -> Iterator[LogChunk]:
        """Chunks of whole lines from ``offset`` until ``cancel`` is set (``tail -c +N -F
        FILE``, restarted from the last line boundary after a dropped connection).
        Raises LogError when the file is truncated."""
        ...


class JobManagerBackend(Protocol):
    """The jobs of one host (``console.jobs.manager.JobManager``): tmux sessions and their folders."""

    @property
    @reads
    def host(self) -> Host:
        """The host the jobs run on (for following a log: reads only)."""
        ...

    @property
    @reads
    def tmux_socket(self) -> str:
        """The tmux socket name (``tmux -L NAME``)."""
        ...

    @property
    @reads
    def home(self) -> str:
        """The host's home folder (``echo ~``)."""
        ...

    @property
    @reads
    def jobs_root(self) -> str:
        """``~/.awsconsole/jobs`` on the host, absolute."""
        ...

    @reads
    def job_dir(self, job_id: str) -> str:
        """The job's folder. Raises JobNotFoundError for a malformed id."""
        ...

    @reads
    def log_path(self, job_id: str) -> str:
        """The job's ``output.log``."""
        ...

    @reads
    def expand(self, path: str) -> str:
        """``~/…`` against the host's home."""
        ...

    @reads
    def list_jobs(self, ids: Sequence[str] = ()) -> list[Job]:
        """Every job of the host (``python3 -I -S -c LISTER ~/.awsconsole/jobs``)."""
        ...

    @reads
    def get(self, job_id: str) -> Job:
        """One job. Raises JobNotFoundError."""
        ...

    @reads
    def pane_roots(self) -> dict[int, str]:
        """{pane pid: job id} (``tmux list-panes -a -F '#{pane_pid} #{session_name}'``)."""
        ...

    @reads
    def attach_argv(self, job_id: str) -> list[str]:
        """``tmux attach-session -t =ID`` (over ``ssh -t`` for an SSH host)."""
        ...

    @hands_out(LogReader)
    def log(self, job_id: str) -> LogReader:
        """The job's ``output.log``, read by byte offset."""
        ...

    @changes(lambda a: f"start {shlex.join(a['spec'].command)} as a job")
    def start(self, spec: JobSpec) -> Job:
        """``tmux new-session -d -s ID python3 -c RUNNER JOB_DIR``. Raises JobError, HostError."""
        ...

    @changes("re-run job {job_id!r}")
    def rerun(self, job_id: str) -> Job:
        """Start a new job with the same command, folder and environment. Raises JobError."""
        ...

    @changes("interrupt job {job_id!r}")
    def interrupt(self, job_id: str, *, read_only: bool = False) -> None:
        """Ctrl-C: ``tmux send-keys -t =ID: C-c``. Raises JobNotFoundError, JobError."""
        ...

    @changes("kill job {job_id!r}")
    def kill(self, job_id: str, *, read_only: bool = False) -> None:
        """``tmux kill-session -t =ID``. Raises JobNotFoundError, JobError."""
        ...

    @changes("forget job {job_id!r}")
    def forget(self, job_id: str, *, read_only: bool = False) -> None:
        """``rm -rf -- ~/.awsconsole/jobs/ID`` of a finished job. Raises JobError."""
        ...

    @changes("discard job {job_id!r}")
    def discard(self, job_id: str) -> None:
        """Undo a start: ``tmux kill-session -t =ID; rm -rf -- ~/.awsconsole/jobs/ID``."""
        ...


class JobsBackend(Protocol):
    """Jobs on every known host ("local", the demo's instances, ``[jobs] hosts``, extras),
    shared by the Jobs view and the ``run``/``jobs``/``kill`` commands. The managers it
    hands out (alone, in a listing or with a job found) are guarded."""

    @hands_out(JobManagerBackend)
    def manager(self, target: str) -> JobManagerBackend:
        """The jobs of one host ("local", an instance, an ssh alias) on the configured tmux
        socket. Opens no connection. Raises HostConfigError."""
        ...

    @changes("open Jupyter on {target}")
    def jupyter(self, target: str, cancel: threading.Event | None = None) -> JupyterLink:
        """Jupyter on ``target``: the server running there (``jupyter server list --json``),
        else one started as a job named "jupyter" and waited for; on a host reached over
        SSH a free local port forwarded to it (``ssh -N -L 127.0.0.1:…``, kept while the
        console runs). The URL is on 127.0.0.1 with the token. Raises JupyterMissingError
        (no Jupyter there), JupyterError, JobError, HostError subclasses."""
        ...

    @reads
    def parse_env(self, pairs: Iterable[str]) -> tuple[tuple[str, str], ...]:
        """``["K=V", …]`` -> pairs. Raises JobError naming a pair without ``=`` or a bad name."""
        ...

    @reads
    def template_spec(self, name: str) -> JobSpec:
        """The JobSpec of ``[templates."NAME"]`` in the config file. Raises JobError."""
        ...

    @reads
    def with_groups(self, jobs: Iterable[Job]) -> list[Job | JobGroup]:
        """The jobs with each multi-node group's members as one JobGroup, in order."""
        ...

    @reads
    def list(self, extra: Iterable[str] = ()) -> JobListing:
        """Every job of the known hosts and ``extra``, one listing per host in parallel; a
        host that cannot be read is in ``errors``."""
        ...

    @reads
    def find(
        self, reference: str, extra: Iterable[str] = ()
    ) -> tuple[Job, JobManagerBackend] | tuple[JobGroup, list[tuple[JobManagerBackend, Job]]]:
        """The job (``ID``, ``HOST:ID``, an id prefix, a name) or job group ``reference``
        names, with its manager(s). Raises JobNotFoundError, HostConfigError."""
        ...

    @changes(lambda a: f"start {shlex.join(a['spec'].command)} on {', '.join(a['targets'])}")
    def start(
        self,
        targets: Sequence[str],
        spec: JobSpec,
        *,
        master_addr: str = "",
        master_port: int = 29500,
    ) -> list[Job]:
        """One job on one host, or a multi-node group (one job per node, torchrun's
        MASTER_ADDR/PORT, NNODES, NODE_RANK set). Raises JobError, HostError."""
        ...

    @changes(_group_what("control"))
    def control_group(self, members: Sequence[tuple[Any, Job]], action: str) -> dict[str, Any]:
        """"interrupt" or "kill" every running node of a group; errors by job id."""
        ...

    @changes(_group_what("forget"))
    def forget_group(self, members: Sequence[tuple[Any, Job]]) -> dict[str, Any]:
        """Delete every node's job folder of a finished group; errors by job id."""
        ...

    @changes(_group_what("re-run"))
    def rerun_group(self, members: Sequence[tuple[Any, Job]]) -> list[Job]:
        """Start the group again on the same hosts, ranks, master address and port."""
        ...


class TransferQueue(Protocol):
    """The transfer engine (``console.files.transfer.engine.TransferEngine``): local, hosts, S3."""

    @changes(_copy_what, unless=_copy_changes_nothing)
    def submit(
        self, spec: TransferSpec, on_progress: Callable[[TransferProgress], None] | None = None
    ) -> TransferHandle:
        """Queue a copy (``scp``/``aws s3 cp`` with resume and verification); it starts when
        a worker is free. The handle pauses, resumes, cancels and gives the result."""
        ...

    @changes(_copy_what, unless=_copy_changes_nothing)
    def run(
        self,
        spec: TransferSpec,
        on_progress: Callable[[TransferProgress], None] | None = None,
        *,
        cancel: threading.Event | None = None,
        follow_job: bool = False,
    ) -> TransferResult:
        """Run one copy in this thread; a host <-> S3 copy returns once its job started, or
        with ``follow_job`` once it ended. Raises TransferError (a followed job that failed
        too), DiskFullError, TransferCancelled, HostError subclasses."""
        ...

    @reads
    def overall(self) -> TransferProgress | None:
        """Every queued copy summed: bytes, files, rate, ETA."""
        ...


class FilesBackend(Protocol):
    """Counts, copies and unpacking on this machine, hosts and S3."""

    @property
    @hands_out(TransferQueue)
    def transfers(self) -> TransferQueue:
        """The transfer queue of these services (made on first use)."""
        ...

    @reads
    def count(
        self,
        location: str,
        options: CountOptions | None = None,
        *,
        on_progress: Callable[[CountProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCount:
        """Files, folders and bytes under a local path, ``HOST:path`` or ``s3://…``
        (``find … | wc -l``, ``aws s3 ls --recursive --summarize``). Raises CountError,
        HostError, AwsError subclasses."""
        ...

    @reads
    def compare(
        self,
        locations: Sequence[str],
        options: CountOptions | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> CountComparison:
        """Two or three locations counted at once and compared. Raises CountError."""
        ...

    @reads
    def compare_counts(self, counts: Sequence[FileCount]) -> CountComparison:
        """Counts made apart, compared: totals, extensions, and paths when collected."""
        ...

    @changes("unpack the archives of {host}:{directory}")
    def unpack(
        self,
        host: str,
        directory: str,
        *,
        dest: str | None = None,
        parallel: int | None = None,
        on_progress: Callable[[UnpackProgress], None] | None = None,
        on_failure: Callable[[UnpackFailure], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> UnpackResult:
        """Every archive under ``directory`` on ``host`` unpacked by ``parallel`` workers
        (``find DIR -name '*.zip' -print0 | xargs -0 -P N unzip …``). Raises UnpackError."""
        ...


class MountsBackend(Protocol):
    """S3 buckets as folders on hosts (``console.files.mount``: s3fs or mount-s3)."""

    @reads
    def list(self, host: str) -> list[MountEntry]:
        """The S3 mounts of ``host`` (``cat /proc/mounts``). Raises HostError."""
        ...

    @reads
    def tools(
        self,
        host: str,
        *,
        s3fs_binary: str = "s3fs",
        mount_s3_binary: str = "mount-s3",
        fuse_device: str = "/dev/fuse",
    ) -> MountTools:
        """Which mount clients ``host`` has (``s3fs --version``, ``mount-s3 --version``) and
        whether it has FUSE (``test -c /dev/fuse``). Raises HostError."""
        ...

    @changes("mount {url} at {host}:{mountpoint}")
    def mount(
        self,
        host: str,
        url: str,
        mountpoint: str,
        options: MountOptions | None = None,
        *,
        prefer_mount_s3: bool = False,
        s3fs_binary: str = "s3fs",
        mount_s3_binary: str = "mount-s3",
        make_mountpoint: bool = False,
    ) -> MountEntry:
        """``s3fs BUCKET[:/PREFIX] MOUNTPOINT -o passwd_file=…`` (or ``mount-s3``) with the
        console's credentials and endpoint. Raises MountError subclasses, CredentialsError."""
        ...

    @changes("unmount {host}:{mountpoint}")
    def unmount(self, host: str, mountpoint: str) -> None:
        """``fusermount3 -u MOUNTPOINT`` (else ``fusermount -u``, else ``umount``).
        Raises MountpointError, MountError."""
        ...


# --- watching a host: GPUs, the host itself, idle GPUs, the doctor ---------------------------


class SampleHistory(Protocol):
    """The recent samples of each GPU, for sparklines (``console.gpu.GpuHistory``)."""

    def samples(self, key: str) -> tuple[GpuSample, ...]: ...

    def series(self, key: str, attr: str) -> list[float | None]: ...


class GpuMonitorHandle(Protocol):
    """One host's GPUs kept current by long-lived nvidia-smi streams
    (``nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N``)."""

    history: SampleHistory

    def run(self) -> None:
        """Stream until the cancellation event given at creation is set (blocks)."""
        ...

    def snapshot(self) -> GpuSnapshot:
        """The latest frame, processes and state (never blocks)."""
        ...

    def close(self) -> None:
        """Stop the streams from another thread."""
        ...


class HostSamplerHandle(Protocol):
    """CPU, memory, disks and network of one host, sampled in a loop (``/proc`` reads)."""

    error: str | None

    def run(self) -> None: ...

    def latest(self) -> HostSample | None: ...

    def close(self) -> None: ...


class IdleDetecting(Protocol):
    """Whether every GPU of a host stayed idle for the ``[idle]`` period (pure logic)."""

    host: str
    price_per_hour: float | None

    def feed(self, frame: Sequence[GpuSample], now: float) -> IdleStatus: ...


class AutoStopHandle(Protocol):
    """Autostop while the console runs (``console.services.autostop.AutoStopper``): the
    running GPU instances watched through GPU monitors, each stopped once every GPU stayed
    idle for ``[idle] autostop_minutes`` (``aws ec2 stop-instances``)."""

    @property
    def enabled(self) -> bool:
        """False when ``[idle] autostop_minutes`` is 0 (``run`` then returns at once)."""
        ...

    def run(self) -> None:
        """List, watch and stop until the cancellation event given at creation is set
        (blocks); then every stream is closed. Reports through ``on_report``."""
        ...

    def status(self, instance_id: str) -> AutoStopStatus | None:
        """What it knows of ``instance_id`` now (never blocks); None when not watched."""
        ...

    def close(self) -> None:
        """Stop it and its streams from another thread."""
        ...


class MonitorsBackend(Protocol):
    """Watching hosts: their GPUs, themselves, idle GPUs, and whether they can train."""

    @reads
    def gpu_monitor(
        self,
        target: str,
        *,
        cancel: threading.Event,
        on_update: Callable[[GpuSnapshot], None] | None = None,
        interval_ms: int | None = None,
    ) -> GpuMonitorHandle:
        """A monitor of ``target``'s GPUs ("local", an instance, an ssh alias) with the
        ``[gpu]`` settings; its processes are matched to jobs through their tmux panes.
        Resolving the host may block. Raises HostConfigError, HostError."""
        ...

    @reads
    def host_sampler(
        self, target: str, *, interval_s: float, cancel: threading.Event
    ) -> HostSamplerHandle:
        """A sampler of ``target`` itself (psutil here; one ``python3``/``sh`` loop on a
        host). Raises HostConfigError, HostError."""
        ...

    @reads
    def idle_detector(self, host_label: str, price_per_hour: float | None) -> IdleDetecting:
        """A detector of idle stretches with the ``[idle]`` settings."""
        ...

    @reads
    def autostopper(
        self,
        *,
        cancel: threading.Event,
        on_report: Callable[[AutoStopReport], None] | None = None,
        relist_s: float | None = None,
    ) -> AutoStopHandle:
        """The autostopper of the ``[idle]`` settings (see ``AutoStopHandle``), listing the
        instances every ``relist_s`` seconds (default 60). Creating it changes nothing; the
        stops it sends go through ``ec2.change_state``, refused while read-only like any
        other, and it decides none while read-only."""
        ...

    @reads
    def doctor(self, target: str, *, python: str | None = None) -> list[DoctorCheck]:
        """Is ``target`` ready to train: driver, CUDA, Python, torch, disk, tmux, S3 mount
        tools, AWS CLI (``nvidia-smi``, ``python3 -c 'import torch'``, ``df -Pk ~``, …).
        Raises HostConfigError, HostError."""
        ...


# --- the training workflow: runs, metrics, checkpoints, predictions ----------------------------


def _train_what(arguments: Mapping[str, Any]) -> str:
    request = arguments["request"]
    return f"start training on {', '.join(request.hosts) or '(no host)'}"


class MetricsFeed(Protocol):
    """A run's ``metrics.jsonl`` on its host, read by byte offset
    (``console.runs.metrics.MetricsReader``; the schema is in that module's docstring)."""

    @property
    @reads
    def path(self) -> str:
        """The file's path on its host."""
        ...

    @property
    @reads
    def offset(self) -> int:
        """Bytes read so far, as whole lines (a new feed from this offset repeats nothing)."""
        ...

    @reads
    def read_new(self) -> list[MetricRecord]:
        """The records appended since the last call (``tail -c +OFFSET+1 metrics.jsonl``).
        A file not written yet gives []; a file that shrank is read again from its start
        (the records' offsets start over). Raises HostError subclasses."""
        ...

    @reads
    def follow(self, cancel: threading.Event) -> Iterator[list[MetricRecord]]:
        """New records as they are written until ``cancel`` is set (``tail -c +N -F``,
        resumed after a dropped connection without loss or repeats). Raises LogError when
        the file shrinks."""
        ...


class RunsBackend(Protocol):
    """Training runs (``console.services.runs.HostRuns`` over ``console.runs``): the ledger on
    this machine, launches as jobs, metrics, checkpoints, relaunch after a spot interruption,
    and predictions run here. Everything blocks: the UI calls it from thread workers.

    Read-only refuses ``train`` and ``relaunch`` (they start jobs on hosts). Fetching a
    checkpoint and predicting stay allowed: they only add new files on this machine (the
    checkpoint cache, a drawn picture under a new name), as a download does. Bringing ledger
    records up to date (``list``, ``refresh``) writes only the ledger, this machine's notes
    of what it saw.
    """

    @property
    @reads
    def ledger_path(self) -> str:
        """Where the ledger lives (``[runs] ledger`` or the user data folder's runs.jsonl)."""
        ...

    @reads
    def list(self, refresh: bool = True) -> RunListing:
        """Every run of the ledger, newest first, with its unreadable lines. With ``refresh``
        each running run's jobs and run folder are looked at first (``tmux has-session``,
        ``cat exit_code``, ``tail -c +N metrics.jsonl`` on its host, in parallel); a host that
        cannot be reached lands in ``errors``. Raises LedgerError."""
        ...

    @reads
    def get(self, reference: str) -> RunRecord:
        """The run ``reference`` names (its id, a unique id prefix or a unique name), as the
        ledger has it. Raises RunNotFoundError, LedgerError."""
        ...

    @reads
    def refresh(self, reference: str) -> RunRecord:
        """The run brought up to date from its jobs and run folder (see ``list``) and stored.
        A run that has ended is returned as it is. Raises RunNotFoundError, LedgerError,
        HostError subclasses (its host cannot be read)."""
        ...

    @hands_out(MetricsFeed)
    def metrics(self, reference: str, offset: int = 0) -> MetricsFeed:
        """The run's ``metrics.jsonl`` on node 0, from byte ``offset``. Opens no connection.
        Raises RunNotFoundError, HostConfigError."""
        ...

    @reads
    def records(self, reference: str) -> list[MetricRecord]:
        """Every record of the run's ``metrics.jsonl`` (``cat metrics.jsonl``); [] when it
        does not exist yet. Raises RunNotFoundError, HostError subclasses."""
        ...

    @reads
    def progress(
        self, run: RunRecord, records: Sequence[MetricRecord], now: Any = None
    ) -> RunProgress:
        """ETA, cost so far and projected, best and latest evaluation and the over-confidence
        flag (``[runs] over_confident_epochs``) of ``run`` from its records (pure: no I/O)."""
        ...

    @reads
    def downloaded(self, location: str) -> list[Checkpoint]:
        """The copies ``download`` fetched to this machine's cache from the folder
        ``location`` (``HOST:DIR`` or ``s3://BUCKET/PREFIX/``), newest version first, each
        with its local path as location; [] for a folder on this machine. Raises
        CheckpointListError, HostConfigError."""
        ...

    @reads
    def checkpoints(self, location: str) -> list[Checkpoint]:
        """The checkpoints of ``HOST:RUN_DIR``, ``s3://bucket/prefix`` or a local folder (or
        one checkpoint file named there), from their JSON sidecars (``ls -la DIR; cat
        NAME.json``, ``aws s3 ls s3://…/``). Raises CheckpointListError, HostError
        subclasses, AwsError subclasses."""
        ...

    @reads
    def latest_checkpoint(self, reference: str) -> Checkpoint | None:
        """The checkpoint a relaunch of the run would resume from: the newer (by step) of
        ``last.pt`` in its run folder and under its ``--s3-uri``; None when there is none.
        Raises RunNotFoundError."""
        ...

    @reads
    def download(
        self,
        source: str,
        into: str | None = None,
        *,
        on_progress: Callable[[TransferProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """A local copy of the checkpoint ``HOST:path`` or ``s3://…`` (a local path, or a
        HOST that is this machine, is returned as it is), with its sidecar, in a new folder per version under the cache
        (``[runs] cache_dir``) or ``into`` (``scp``/``aws s3 cp`` through the transfer
        engine). Only adds files here: allowed read-only. Raises CheckpointListError,
        TransferError, HostError and AwsError subclasses."""
        ...

    @reads
    def python(self) -> str:
        """The interpreter that runs the trainer on this machine (``[runs] python``, else
        the console's own when it can import torch). Raises PredictError when there is none."""
        ...

    @reads
    def predict(
        self,
        checkpoint: str,
        image: str,
        *,
        out_dir: str | None = None,
        top_attributes: int = 3,
        bbox: Sequence[int] | None = None,
    ) -> Prediction:
        """``python -m trainer predict CHECKPOINT IMAGE --json --draw OUT.png`` on this
        machine (a remote checkpoint is fetched first, see ``download``): top-5 categories,
        attributes by type, landmarks and the drawn picture, written under a new name in
        ``out_dir`` (default: the cache's predictions folder). Only adds files here: allowed
        read-only. Raises PredictError, and what ``download`` raises."""
        ...

    @reads
    def command(self, request: TrainRequest) -> list[str]:
        """The argv ``train`` would start on the request's first host (``python -m trainer
        train …`` or ``python -m torch.distributed.run --nproc_per_node N -m trainer train
        …``), for a form to show. Raises RunError, HostConfigError."""
        ...

    @reads
    def relaunch_request(self, reference: str, hosts: Sequence[str] = ()) -> TrainRequest:
        """What ``relaunch`` would start: the run's request on ``hosts`` (default its own)
        with ``--resume`` naming its latest checkpoint. Raises RunError (still running,
        finished, no checkpoint), RunNotFoundError."""
        ...

    @reads
    def rerun_request(self, reference: str) -> TrainRequest:
        """The run's request as it was launched (hosts, trainer options without ``--resume``,
        name, GPUs, working folder, environment), for the train form to open pre-filled: a
        new run from the start, in a folder of its own. Raises RunNotFoundError."""
        ...

    @changes(_train_what)
    def train(self, request: TrainRequest) -> RunRecord:
        """Start ``python -m trainer train ARGS`` as a job (torchrun for several GPUs, a
        multi-node group for several hosts: ``tmux new-session -d …`` on each) and record it
        in the ledger with its command, git commit (``git -C CWD rev-parse HEAD``), instance
        type and price. Raises RunError (bad request; in the demo, a spot watcher that would
        ask the link-local metadata address), JobError, HostError, LedgerError."""
        ...

    @reads
    def compare(self, references: Sequence[str]) -> Comparison:
        """The runs ``references`` names (ids, unique id prefixes or names; one row each, in
        that order) side by side: every run's ``metrics.jsonl`` read (``records``), the best
        of each column over its current evaluations, the leaders of each column, and cost.
        A run whose file cannot be read keeps an empty row and is named in ``notes``.
        Raises RunNotFoundError."""
        ...

    @changes("announce a spot interruption to run {reference!r}")
    def announce_interruption(self, reference: str) -> str:
        """The demo only: a spot interruption notice on the metadata stand-in the running
        run's trainer watches (its ``--imds-endpoint``); the demo instance's name. The trainer
        then saves a checkpoint and exits 75, and the run reads "interrupted". Raises
        RunError (not the demo, not running, no demo stand-in watched), RunNotFoundError."""
        ...

    @changes("relaunch run {reference!r}")
    def relaunch(self, reference: str, hosts: Sequence[str] = ()) -> RunRecord:
        """Start the run again on ``hosts`` (default its own) resuming from its latest
        checkpoint (copied to the new host's run folder first when it is only in the old
        one), recorded as a continuation of it. Raises what ``relaunch_request`` and
        ``train`` raise, TransferError."""
        ...

    @changes("relaunch run {reference!r} on the new instance {instance_id}")
    def relaunch_on_new_instance(
        self, reference: str, instance_id: str, *, cancel: threading.Event | None = None,
        timeout: float = 900.0, poll: float = 2.0,
    ) -> RunRecord:
        """``relaunch`` on an instance just launched (the launch wizard's): waits until it
        runs, then retries while its SSH does not answer yet, up to ``timeout`` seconds.
        Raises RunError (gone, not running in time), what ``relaunch`` raises."""
        ...
