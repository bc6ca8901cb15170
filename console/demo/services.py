"""The demo's bundle of services: its endpoint, its fleet, its instances as this machine.

``build_demo_services`` connects to the demo's shared endpoint now (starting it when none
runs); ``build_demo_services_in_background`` returns at once and connects on first use, so
the console's first screen shows while boto3 loads (and, on a first start, while the
endpoint starts and seeds). Closing the bundle closes this process's connections only: the
endpoint keeps the demo's state for the next console or CLI call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from console.aws.ec2.connect import sandbox_shell_argv
from console.demo import DEMO_PROFILE, DEMO_REGION
from console.demo.training import DEMO_TRAIN_DEFAULTS, demo_train_defaults
from console.errors import ConfigError, HostConfigError
from console.models import AwsProfile, AwsTarget, Instance, TrainDefaults
from console.services import AwsBackends, Services
from console.settings import Settings


class _DemoStarter:
    """Connects to the demo endpoint on first use, so the console draws its first screen
    before boto3 loads (and a first start of the endpoint seeds). Backends wait for it,
    which the UI only does from thread workers."""

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

    def ready_now(self, name: str) -> object | None:
        """The part ``name`` when the demo is up, None while it starts or when it failed
        (never waits)."""
        if not self._done.is_set() or self._error is not None:
            return None
        return self.parts.get(name)

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


class DemoServices(Services):
    """The demo's bundle: its one profile is "demo", its instances are this machine (a
    shell is a local one in the instance's sandbox folder), and with ``starter`` its
    endpoint is started on first use."""

    starter: _DemoStarter | None = None

    @property
    def train_defaults(self) -> TrainDefaults:  # type: ignore[override]
        """With the endpoint up, the spot watcher asks its metadata stand-in; while it is
        still starting (never waited for here: the UI thread asks), the watcher is off."""
        demo = self.demo if self.starter is None else self.starter.ready_now("demo")
        url = getattr(demo, "endpoint_url", None) if demo is not None else None
        return demo_train_defaults(url) if url else DEMO_TRAIN_DEFAULTS

    def ready(self) -> None:
        if self.starter is not None:
            self.starter.get("settings")

    @property
    def target(self) -> AwsTarget:
        return AwsTarget(profile=DEMO_PROFILE, region=self.settings.region)

    def aws_profiles(self) -> list[AwsProfile]:
        return [AwsProfile(DEMO_PROFILE, "demo", DEMO_REGION)]

    def _wanted(self, profile: str | None, region: str | None) -> Settings:
        if profile not in (None, DEMO_PROFILE):
            raise ConfigError(
                f"The demo has no AWS profile {profile!r}: its one account is {DEMO_PROFILE!r}.",
                hint="Switch regions within the demo, or run without --demo to use "
                "your own profiles.",
            )
        return self.settings.with_target(profile=None, region=region)

    def terminal_argv(self, instance: Instance, purpose: str) -> list[str]:
        """A local shell in the instance's sandbox folder: the demo's instances are this
        machine. Raises HostConfigError for Jupyter (nothing listens for it here)."""
        if purpose != "shell":
            raise HostConfigError(
                "The demo's instances are this machine: open Jupyter on localhost directly."
            )
        return sandbox_shell_argv(self.hosts.host_for(instance.id).home())


def _demo_parts(settings: Settings) -> dict[str, object]:
    """Connect to the demo and build its backends. Raises ConfigError when it cannot start."""
    # boto3 and the host layer load here, on the demo's connecting thread
    from console.demo.environment import DemoEc2Service, connect_demo, demo_host_factory
    from console.demo.training import with_demo_templates
    from console.hosts import HostPool
    from console.services.s3_files import s3_with_files

    demo = connect_demo(settings)
    try:
        aws = demo.session
        ec2 = DemoEc2Service(aws, demo)
        # an instance launched after a region switch is looked up in the region shown now
        shown = [ec2]
        hosts = HostPool(factory=demo_host_factory(demo, lambda: shown[0].list_instances()))
    except BaseException:
        demo.close()
        raise
    # the demo's job templates (training on this machine) beside the config file's
    started = settings.with_overrides(endpoint_url=demo.endpoint_url, region=demo.region,
                                      templates=with_demo_templates(settings.templates))  # fmt: skip
    return {
        "demo": demo,
        "ec2": ec2,
        "s3": s3_with_files(aws),
        "hosts": hosts,
        "settings": started,
        "connect": lambda wanted: _demo_backends(demo, wanted, shown),
        # close() runs these in reverse: hosts, then this process's AWS connections; the
        # endpoint keeps running (``awsconsole demo stop`` ends it)
        "on_close": [demo.close, hosts.close_all],
    }


def _demo_backends(demo, wanted: Settings, shown: list) -> AwsBackends:
    """The demo's backends in another region of its endpoint (moto keeps every region
    apart: the seeded fleet lives in the demo's own region, another one starts empty)."""
    # loaded on the first region switch (the demo's session exists already by then)
    from console.aws.session import AwsSession
    from console.demo.environment import DemoEc2Service
    from console.services.s3_files import s3_with_files

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
        s3=s3_with_files(aws),
        close=aws.close,
        target=AwsTarget(DEMO_PROFILE, settings.region, identity),
    )


def build_demo_services_in_background(settings: Settings) -> Services:
    """The demo's Services at once, connected to its endpoint on first use in a thread
    (interactive start-up: the first screen shows first; every backend call waits until
    the connection is made, and on a first start until the endpoint is seeded)."""
    services = DemoServices(
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


def build_demo_services(settings: Settings) -> Services:
    """The demo's Services, connected here to its endpoint (started when none runs; it
    outlives ``close()``); every instance is this machine rooted in a sandbox folder.
    Raises ConfigError when the demo cannot start."""
    parts = _demo_parts(settings)
    return DemoServices(
        settings=parts["settings"],  # type: ignore[arg-type]
        ec2=parts["ec2"],  # type: ignore[arg-type]
        s3=parts["s3"],  # type: ignore[arg-type]
        hosts=parts["hosts"],  # type: ignore[arg-type]
        on_close=parts["on_close"],  # type: ignore[arg-type]
        demo=parts["demo"],
        connect=parts["connect"],  # type: ignore[arg-type]
    )
