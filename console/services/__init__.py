"""The bundle of backends the app receives.

``make_app(settings, services)`` gets one ``Services``; screens reach AWS and hosts only
through it and receive ``console.models`` values. Tests build a ``Services`` against moto's
server and real hosts; the demo builds one against its in-process endpoint.

Every method here blocks (network, disk): the UI calls them from thread workers only.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from console.errors import ConfigError, ConsoleError, HostConfigError, UnknownHostKeyError
from console.files.location import parse_location
from console.hosts.base import Host
from console.models import (
    AwsProfile,
    AwsRegion,
    AwsTarget,
    Bucket,
    CountComparison,
    CountProgress,
    FileCount,
    HourlyPrice,
    ImageInfo,
    Instance,
    InstanceDetail,
    InstanceTypeInfo,
    Job,
    JobGroup,
    JobSpec,
    KeyPairInfo,
    LaunchRequest,
    QuotaInfo,
    S3Page,
    SpotPrice,
    TransferProgress,
    TransferResult,
    UnpackFailure,
    UnpackProgress,
    UnpackResult,
)
from console.services.guard import changes, guard, hands_out, internal, reads, refusal
from console.settings import Settings

if TYPE_CHECKING:  # the backends themselves load only when first used
    from console.files.count.engine import CountOptions
    from console.files.mount import MountEntry, MountOptions
    from console.files.transfer.engine import TransferHandle, TransferSpec
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


class QuotaBackend(Protocol):
    """Service Quotas of one region (``console.aws.ec2.quotas.QuotaService``)."""

    @reads
    def vcpu_limit(self, instance_type: str, *, spot: bool = False) -> QuotaInfo:
        """The vCPU quota of the type's family (``aws service-quotas get-service-quota``);
        a quota Service Quotas does not answer says why in ``unavailable_reason``."""
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


# --- hosts: jobs, files, mounts ---------------------------------------------------------------


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
    ) -> TransferResult:
        """Run one copy in this thread. Raises TransferError, DiskFullError,
        TransferCancelled, HostError subclasses."""
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


#: the one profile the demo has (its fake account)
DEMO_PROFILE = "demo"


@dataclass
class AwsBackends:
    """The AWS half of ``Services`` for one profile and region: what a switch replaces."""

    settings: Settings
    ec2: Ec2Backend
    s3: S3Backend
    #: closes the connections of these backends' session
    close: Callable[[], None]
    target: AwsTarget


class _GuardedMember:
    """An AWS backend of the bundle: stored as given, handed out guarded (the same guarded
    object as long as the backend is the same one)."""

    def __init__(self, protocol: type):
        self.protocol = protocol
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, services: Services | None, owner: type | None = None) -> Any:
        if services is None:
            return self
        raw = services._raw.get(self.name)
        cached = services._guarded.get(self.name)
        if cached is not None and cached[0] is raw:
            return cached[1]
        guarded = guard(raw, self.protocol, services._read_only_now)
        services._guarded[self.name] = (raw, guarded)
        return guarded

    def __set__(self, services: Services, backend: Any) -> None:
        services._raw[self.name] = backend


class Services:
    """The bundle of backends: AWS (``ec2``, ``s3``), hosts, and what runs on them
    (``jobs``, ``files``, ``mounts``).

    Every backend is handed out guarded (``console.services.guard``): what changes
    something is refused while ``read_only`` holds, asked at the moment it runs, whoever
    calls it. ``hosts`` is the one exception (a Host runs any command): the UI and the CLI
    use it for what only looks.
    """

    ec2 = _GuardedMember(Ec2Backend)
    s3 = _GuardedMember(S3Backend)

    def __init__(
        self,
        settings: Settings,
        ec2: Ec2Backend | None,
        s3: S3Backend | None,
        hosts: HostResolver,
        on_close: list[Callable[[], None]] | None = None,
        demo: object | None = None,
        connect: Callable[[Settings], AwsBackends] | None = None,
    ):
        self._raw: dict[str, Any] = {}
        self._guarded: dict[str, tuple[Any, Any]] = {}
        self.settings = settings
        self.ec2 = ec2
        self.s3 = s3
        self.hosts = hosts
        #: called once by ``close()``: stop the demo endpoint, close SSH connections
        self.on_close: list[Callable[[], None]] = on_close if on_close is not None else []
        #: the running ``console.demo.environment.DemoEnvironment`` with --demo (its endpoint, sandbox
        #: and whether the bucket contents are uploaded yet); None against a real account
        self.demo = demo
        #: builds the AWS backends for other settings (another profile or region); None
        #: where the services were assembled by hand and cannot switch
        self.connect = connect
        #: changes locked for the rest of the session (ctrl+l), on top of the settings
        self.locked = False
        self._switching = threading.Lock()
        self._building = threading.Lock()
        self._features: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(target={self.target}, read_only={self.read_only})"

    # -- read-only ---------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Whether changes are refused now: started read-only, or locked since."""
        return bool(self.settings.read_only) or self.locked

    def _read_only_now(self) -> bool:
        return self.read_only

    def lock(self, locked: bool = True) -> None:
        """Refuse (or allow again) every change from now on: ctrl+l in the console. A session
        started read-only stays read-only whatever this says."""
        self.locked = locked

    def refuse_if_read_only(self, what: str) -> None:
        """Raise ReadOnlyError for ``what`` (``"kill job 'x'"``) now, before asking anything:
        for a command that would otherwise ask a question only to be refused."""
        if self.read_only:
            raise refusal(what)

    # -- what runs on hosts ------------------------------------------------------------------

    def _feature(self, name: str, protocol: type) -> Any:
        with self._building:
            if name not in self._features:
                from console.services import backends as services_backends

                backend = services_backends.build(name, self)
                self._features[name] = guard(backend, protocol, self._read_only_now)
            return self._features[name]

    @property
    def jobs(self) -> JobsBackend:
        """Jobs in tmux on every known host."""
        return self._feature("jobs", JobsBackend)

    @property
    def files(self) -> FilesBackend:
        """Counts, copies and unpacking."""
        return self._feature("files", FilesBackend)

    @property
    def mounts(self) -> MountsBackend:
        """S3 mounts on hosts."""
        return self._feature("mounts", MountsBackend)

    # -- which account and region ----------------------------------------------------------

    @property
    def target(self) -> AwsTarget:
        """The profile and region the AWS backends use now (the demo's profile is "demo")."""
        profile = DEMO_PROFILE if self.demo is not None else self.settings.profile
        return AwsTarget(profile=profile, region=self.settings.region)

    def aws_profiles(self) -> list[AwsProfile]:
        """The profiles one can switch to: the standard chain, then every profile of the
        AWS config and credentials files (SSO ones included); with --demo, only "demo".

        Reads the files (blocking). Raises ConfigError when one cannot be parsed.
        """
        if self.demo is not None:
            from console.demo.environment import DEMO_REGION

            return [AwsProfile(DEMO_PROFILE, "demo", DEMO_REGION)]
        from console.aws.session import available_profiles

        return available_profiles()

    def aws_regions(self) -> list[AwsRegion]:
        """The regions EC2 runs in, by name (botocore's endpoint data, else a shipped list);
        the current region is always among them."""
        from console.aws.session import available_regions

        regions = available_regions("ec2")
        current = self.settings.region
        if current and current not in {r.name for r in regions}:
            regions = sorted([*regions, AwsRegion(current)], key=lambda r: r.name)
        return regions

    def switch_aws(self, profile: str | None, region: str | None) -> AwsTarget:
        """Talk to another profile and/or region from now on (``--profile P --region R``
        without a restart): new session and clients, checked with ``aws sts
        get-caller-identity`` before anything is replaced. Hosts, jobs and open SSH
        connections are kept; the previous session's connections close with ``close()``
        (a listing still running on them may finish).

        Returns the new target with the account it belongs to. Raises ConfigError (unknown
        profile, naming the ones that exist; a profile the demo does not have),
        CredentialsError (expired SSO session or token, rejected keys: nothing changes
        then), EndpointError.
        """
        if self.connect is None:
            raise ConfigError("These services were built without AWS: there is nothing to switch.")
        self.ready()
        with self._switching:
            if self.demo is not None and profile not in (None, DEMO_PROFILE):
                raise ConfigError(
                    f"The demo has no AWS profile {profile!r}: its one account is "
                    f"{DEMO_PROFILE!r}.",
                    hint="Switch regions within the demo, or run without --demo to use "
                    "your own profiles.",
                )
            wanted = self.settings.with_target(
                profile=None if self.demo is not None else profile, region=region
            )
            backends = self.connect(wanted)
            # the old session stays open until close(): a worker may still be using it
            self.on_close.append(backends.close)
            self.ec2, self.s3, self.settings = backends.ec2, backends.s3, backends.settings
            return backends.target

    # -- the user's terminal ---------------------------------------------------------------

    def terminal_argv(self, instance: Instance, purpose: str) -> list[str]:
        """The argument list for a shell (``ssh -t USER@IP``) or a Jupyter forward (``ssh -N
        -L 8888:localhost:8888 USER@IP``) to ``instance``; with --demo a local shell in the
        instance's sandbox folder (blocking: it looks the sandbox up).

        ``purpose`` is "shell" or "jupyter". Raises HostConfigError (not running, no public
        address, a bad [instances] setting, Jupyter asked of the demo).
        """
        from console.aws.ec2.connect import (
            ConnectSettings,
            instance_jupyter_argv,
            instance_shell_argv,
            sandbox_shell_argv,
        )

        if purpose not in ("shell", "jupyter"):
            raise HostConfigError(f"No terminal command for {purpose!r}: use shell or jupyter.")
        settings = ConnectSettings.from_section(self.settings.section("instances"))
        if self.demo is not None:
            # demo instances are this machine: a local shell in the instance's sandbox folder
            if purpose != "shell":
                raise HostConfigError(
                    "The demo's instances are this machine: open Jupyter on localhost directly."
                )
            return sandbox_shell_argv(self.hosts.host_for(instance.id).home())
        if purpose == "shell":
            return instance_shell_argv(instance, settings)
        return instance_jupyter_argv(instance, settings)

    def close(self) -> None:
        callbacks, self.on_close = self.on_close, []
        for callback in reversed(callbacks):
            callback()

    def ready(self) -> None:
        """Block until the backends can answer (the demo may still be starting): call it
        before reading ``settings`` fields the backends fill in, such as the endpoint."""


class _DemoStarter:
    """Starts the demo endpoint on first use, so the console draws its first screen before
    moto imports and seeds (most of the demo's start-up time). Starting it in parallel
    with the UI was slower for both: the two fight over the interpreter lock. Backends wait
    for it, which the UI only does from thread workers."""

    def __init__(self, settings: Settings, on_ready: Callable[[Settings], None]):
        self._settings = settings
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._error: BaseException | None = None
        self.parts: dict[str, object] = {}

    def _start(self) -> None:
        try:
            self.parts = _demo_parts(self._settings)
            self._on_ready(self.parts["settings"])  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised to every caller of get()
            self._error = exc
        finally:
            self._done.set()

    def get(self, name: str) -> object:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._start, name="demo-start", daemon=True)
                self._thread.start()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self.parts[name]

    def stop(self) -> None:
        with self._lock:
            started = self._thread is not None
            if not started:  # closed before any use: never start it afterwards either
                self._thread = threading.current_thread()
                self._error = ConfigError("The demo was closed before it started.")
                self._done.set()
        if not started:
            return
        self._done.wait()
        for callback in reversed(self.parts.get("on_close", [])):  # type: ignore[union-attr]
            callback()


class _WhenReady:
    """Stands for one backend of a demo that is still starting: attribute access waits."""

    def __init__(self, starter: _DemoStarter, name: str):
        self._starter = starter
        self._name = name

    def __getattr__(self, attribute: str) -> object:
        return getattr(self._starter.get(self._name), attribute)


class _DeferredDemoServices(Services):
    starter: _DemoStarter | None = None

    def ready(self) -> None:
        if self.starter is not None:
            self.starter.get("settings")


def _demo_parts(settings: Settings) -> dict[str, object]:
    """Start the demo and build its backends. Raises ConfigError when it cannot start."""
    from console.aws.s3.service import S3Service
    from console.demo.environment import DemoEc2Service, demo_host_factory, start_demo
    from console.hosts import HostPool

    demo = start_demo(settings)
    try:
        # the demo's own session: its clients exist already (creating one parses the
        # service's model, a noticeable share of the start-up time)
        aws = demo.session
        ec2 = DemoEc2Service(aws, demo)
        # an instance launched after a region switch is looked up in the region shown now
        shown = [ec2]
        hosts = HostPool(factory=demo_host_factory(demo, lambda: shown[0].list_instances()))
    except BaseException:
        demo.stop()
        raise
    started = settings.with_overrides(endpoint_url=demo.endpoint_url, region=demo.region)
    return {
        "demo": demo,
        "ec2": ec2,
        "s3": S3Service(aws),
        "hosts": hosts,
        "settings": started,
        "connect": lambda wanted: _demo_backends(demo, wanted, shown),
        # close() runs these in reverse: hosts, then AWS connections, then the demo server
        "on_close": [demo.stop, aws.close, hosts.close_all],
    }


def _demo_backends(demo, wanted: Settings, shown: list) -> AwsBackends:
    """The demo's backends in another region of its endpoint (moto keeps every region
    apart: the seeded fleet lives in the demo's own region, another one starts empty)."""
    from console.aws.s3.service import S3Service
    from console.aws.session import AwsSession
    from console.demo.environment import DEMO_REGION, DemoEc2Service

    settings = wanted.with_target(profile=None, region=wanted.region or DEMO_REGION)
    settings = settings.with_overrides(endpoint_url=demo.endpoint_url)
    aws = AwsSession(
        Settings(endpoint_url=demo.endpoint_url, region=settings.region),
        credentials=demo.credentials,
    )
    try:
        identity = aws.identity()
    except BaseException:
        aws.close()
        raise
    ec2 = DemoEc2Service(aws, demo)
    shown[0] = ec2
    return AwsBackends(
        settings=settings,
        ec2=ec2,
        s3=S3Service(aws),
        close=aws.close,
        target=AwsTarget(DEMO_PROFILE, settings.region, identity),
    )


def _account_backends(settings: Settings) -> AwsBackends:
    """The backends for a real account (or an endpoint such as moto's server) with
    ``settings``' profile and region, the credentials tried once with ``aws sts
    get-caller-identity`` so that expired, rejected or missing ones raise CredentialsError
    here rather than in every view. Raises ConfigError (unknown profile)."""
    from console.aws.session import AwsSession

    aws = AwsSession(settings)
    try:
        identity = aws.identity()
    except BaseException:
        aws.close()
        raise
    return _session_backends(aws, AwsTarget(settings.profile, aws.region, identity))


def _session_backends(aws, target: AwsTarget) -> AwsBackends:
    from console.aws.ec2.service import Ec2Service
    from console.aws.s3.service import S3Service

    return AwsBackends(
        settings=aws.settings,
        ec2=Ec2Service(aws),
        s3=S3Service(aws),
        close=aws.close,
        target=target,
    )


def unguarded(services: Services, name: str) -> Any:
    """The AWS backend ``name`` ("ec2", "s3") as it was given, for the backends of this
    layer that build on it (the transfer engine needs the S3 client, which the guarded
    backend does not hand out)."""
    return services._raw.get(name)


def build_demo_services_in_background(settings: Settings) -> Services:
    """The demo's Services at once, its endpoint started on first use in a thread
    (interactive start-up: the first screen shows first; every backend call waits until
    the endpoint is up)."""
    from console.demo.environment import DEMO_REGION

    services = _DeferredDemoServices(
        settings=settings.with_overrides(region=settings.region or DEMO_REGION),
        ec2=None,  # type: ignore[arg-type]
        s3=None,  # type: ignore[arg-type]
        hosts=None,  # type: ignore[arg-type]
    )

    def on_ready(started: Settings) -> None:
        services.settings = started

    starter = _DemoStarter(settings, on_ready)
    services.starter = starter
    services.ec2 = _WhenReady(starter, "ec2")  # type: ignore[assignment]
    services.s3 = _WhenReady(starter, "s3")  # type: ignore[assignment]
    services.hosts = _WhenReady(starter, "hosts")  # type: ignore[assignment]
    services.demo = _WhenReady(starter, "demo")
    services.connect = lambda wanted: starter.get("connect")(wanted)  # type: ignore[operator]
    services.on_close.append(starter.stop)
    return services


def build_services(settings: Settings, *, require_credentials: bool = False) -> Services:
    """The backends for ``settings``: a real account, or with ``settings.demo`` the embedded one.

    With the demo, its in-process endpoint is started here and stopped by ``close()``, and
    every instance is this machine rooted in a sandbox folder. Otherwise "local" is this
    machine and any other target an SSH host (alias, ``user@host:port``).
    Raises ConfigError (unknown profile, demo cannot start) and, with
    ``require_credentials``, CredentialsError when no credentials are configured.
    """
    if settings.demo:
        parts = _demo_parts(settings)
        return Services(
            settings=parts["settings"],  # type: ignore[arg-type]
            ec2=parts["ec2"],  # type: ignore[arg-type]
            s3=parts["s3"],  # type: ignore[arg-type]
            hosts=parts["hosts"],  # type: ignore[arg-type]
            on_close=parts["on_close"],  # type: ignore[arg-type]
            demo=parts["demo"],
            connect=parts["connect"],  # type: ignore[arg-type]
        )
    from console.aws.session import AwsSession
    from console.hosts import HostPool

    session = AwsSession(settings)
    if require_credentials:
        # no API call: only whether the chain (env, profile, SSO, role) yields credentials
        session.require_credentials()
    aws = _session_backends(session, AwsTarget(settings.profile, session.region))
    hosts = HostPool()
    return Services(
        settings=settings,
        ec2=aws.ec2,
        s3=aws.s3,
        hosts=hosts,
        # close() runs these in reverse: hosts, then the AWS connections
        on_close=[aws.close, hosts.close_all],
        connect=_account_backends,
    )
