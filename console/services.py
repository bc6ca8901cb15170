"""The bundle of backends the app receives.

``make_app(settings, services)`` gets one ``Services``; screens reach AWS and hosts only
through it and receive ``console.models`` values. Tests build a ``Services`` against moto's
server and real hosts; the demo builds one against its in-process endpoint.

Every method here blocks (network, disk): the UI calls them from thread workers only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from console.errors import ConfigError, HostConfigError, UnknownHostKeyError
from console.hosts.base import Host
from console.models import (
    AwsProfile,
    AwsRegion,
    AwsTarget,
    Bucket,
    CountProgress,
    FileCount,
    HourlyPrice,
    Instance,
    InstanceDetail,
    InstanceTypeInfo,
    S3Page,
    SpotPrice,
    TransferProgress,
    TransferResult,
)
from console.settings import Settings


class Ec2Backend(Protocol):
    def list_instances(self) -> list[Instance]:
        """All instances of the region, terminated ones included (``aws ec2 describe-instances``).

        Raises CredentialsError, AccessDeniedError, EndpointError, ThrottledError.
        """
        ...

    def prefetch_first_page(self) -> None:
        """Ask for the instances' first page now, in a thread; the next listing starts from
        it (the console's first rows arrive while its window is still being built)."""
        ...

    def instance_types(self, names: Iterable[str]) -> dict[str, InstanceTypeInfo]:
        """vCPUs, memory and GPUs of each named type, cached (``aws ec2 describe-instance-types``).

        Unknown names are left out. Raises like ``list_instances``.
        """
        ...

    def spot_prices(
        self, instance_types: Iterable[str], product: str = "Linux/UNIX"
    ) -> dict[tuple[str, str], SpotPrice]:
        """Latest spot price per (type, zone) (``aws ec2 describe-spot-price-history``)."""
        ...

    def hourly_prices(self, instances: Iterable[Instance]) -> dict[str, HourlyPrice]:
        """Instance id -> $/hour with where the price came from (spot, Pricing API, table)."""
        ...

    def change_state(self, action: str, instance_id: str, *, read_only: bool = False) -> str:
        """start / stop / reboot / terminate one instance (``aws ec2 stop-instances …``);
        returns the next state. Raises ReadOnlyError when ``read_only``."""
        ...

    def instance_detail(self, instance_id: str) -> InstanceDetail:
        """Tags, security-group rules, volumes, AMI, IAM role, host-key fingerprints."""
        ...

    def console_output(self, instance_id: str) -> str | None:
        """The serial console text (``aws ec2 get-console-output``), None when absent."""
        ...

    #: the launch wizard's backend (``console.aws.launch.Launcher``)
    launcher: Any
    #: Service Quotas (``console.aws.quotas.QuotaService``)
    quotas: Any
    #: ``console.aws.prices.PriceBook`` of the region
    price_book: Any


class S3Backend(Protocol):
    def list_buckets(self) -> list[Bucket]:
        """All buckets of the account (``aws s3api list-buckets``)."""
        ...

    def list_page(
        self, bucket: str, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> S3Page:
        """One folder-like page (``aws s3api list-objects-v2 --delimiter /``)."""
        ...

    def iter_objects(
        self, bucket: str, prefix: str = "", *, recursive: bool = False, page_size: int = 1000
    ) -> Iterator[S3Page]:
        """Every page under a prefix, lazily (``aws s3 ls [--recursive]``)."""
        ...

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

    def delete(self, bucket: str, key: str) -> int:
        """Delete an object, or a folder with a key ending in / (``aws s3 rm [--recursive]``)."""
        ...

    def presign(self, bucket: str, key: str, expires: int = 3600) -> str:
        """A presigned GET URL (``aws s3 presign``)."""
        ...

    def preview_text(self, bucket: str, key: str, limit: int = 1024 * 1024) -> str:
        """A small text object's content; raises PreviewRefused (``aws s3 cp s3://… -``)."""
        ...

    def transfer(
        self,
        source: str,
        destination: str,
        *,
        recursive: bool = False,
        on_progress: Callable[[TransferProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> TransferResult:
        """Copy between this machine and S3 with progress (``aws s3 cp [--recursive]``)."""
        ...


class HostResolver(Protocol):
    def host_for(self, target: str) -> Host:
        """The host for an instance id, an ssh alias, or "local". Raises HostConfigError."""
        ...

    def trust_host_key(self, error: UnknownHostKeyError) -> None:
        """Add the key of an ``UnknownHostKeyError`` to the known_hosts file that was
        checked, after the user compared its fingerprint and said yes (ssh's own question;
        allowed read-only too: it changes what this machine trusts, nothing on AWS or a
        host). Raises HostConfigError."""
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


@dataclass
class Services:
    settings: Settings
    ec2: Ec2Backend
    s3: S3Backend
    hosts: HostResolver
    #: called once by ``close()``: stop the demo endpoint, close SSH connections
    on_close: list[Callable[[], None]] = field(default_factory=list)
    #: the running ``console.demo.DemoEnvironment`` with --demo (its endpoint, sandbox and
    #: whether the bucket contents are uploaded yet); None against a real account
    demo: object | None = None
    #: builds the AWS backends for other settings (another profile or region); None where
    #: the services were assembled by hand and cannot switch
    connect: Callable[[Settings], AwsBackends] | None = field(default=None, repr=False)
    _switching: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def read_only(self) -> bool:
        return self.settings.read_only

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
            from console.demo import DEMO_REGION

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
        from console.aws.connect import (
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


@dataclass
class _DeferredDemoServices(Services):
    starter: _DemoStarter | None = None

    def ready(self) -> None:
        if self.starter is not None:
            self.starter.get("settings")


def _demo_parts(settings: Settings) -> dict[str, object]:
    """Start the demo and build its backends. Raises ConfigError when it cannot start."""
    from console.aws.s3 import S3Service
    from console.demo import DemoEc2Service, demo_host_factory, start_demo
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
    from console.aws.s3 import S3Service
    from console.aws.session import AwsSession
    from console.demo import DEMO_REGION, DemoEc2Service

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
    from console.aws.ec2 import Ec2Service
    from console.aws.s3 import S3Service

    return AwsBackends(
        settings=aws.settings,
        ec2=Ec2Service(aws),
        s3=S3Service(aws),
        close=aws.close,
        target=target,
    )


def build_demo_services_in_background(settings: Settings) -> Services:
    """The demo's Services at once, its endpoint started on first use in a thread
    (interactive start-up: the first screen shows first; every backend call waits until
    the endpoint is up)."""
    from console.demo import DEMO_REGION

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
