"""The bundle of backends the app and the CLI receive: ``Services``.

``make_app(settings, services)`` gets one ``Services``; screens reach AWS and hosts only
through it and receive ``console.models`` values. The assembly (``console.services.assembly``
for an account, ``console.demo.services`` for the demo) builds one; tests build one against
moto's server and real hosts.

Every backend call blocks (network, disk): the UI makes them from thread workers only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.aws.ec2.connect import instance_jupyter_argv, instance_shell_argv
from console.errors import ConfigError, HostConfigError
from console.hosts.interactive import run_in_terminal
from console.models import AwsProfile, AwsRegion, AwsTarget, Instance, TrainDefaults
from console.services.guard import guard, refusal
from console.services.protocols import (
    CompletionBackend,
    Ec2Backend,
    FilesBackend,
    HostResolver,
    JobsBackend,
    MonitorsBackend,
    MountsBackend,
    RunsBackend,
    S3Backend,
)
from console.settings import Settings


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
    (``jobs``, ``files``, ``mounts``, ``monitors``, ``runs``).

    Every backend is handed out guarded (``console.services.guard``): what changes
    something is refused while ``read_only`` holds, asked at the moment it runs, whoever
    calls it. ``hosts`` is the one exception (a Host runs any command): the UI and the CLI
    use it for what only looks.
    """

    ec2 = _GuardedMember(Ec2Backend)
    s3 = _GuardedMember(S3Backend)
    #: what the train form starts with (the demo's synthetic dataset on a demo instance);
    #: None: the trainer's own defaults on this machine
    train_defaults: TrainDefaults | None = None

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
                # the backends load the host and AWS layers: on first use, not at start-up
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

    @property
    def monitors(self) -> MonitorsBackend:
        """GPU and host monitors, idle detectors, the autostopper, the doctor."""
        return self._feature("monitors", MonitorsBackend)

    @property
    def runs(self) -> RunsBackend:
        """Training runs: the ledger, launches, metrics, checkpoints, predictions."""
        return self._feature("runs", RunsBackend)

    @property
    def completion(self) -> CompletionBackend:
        """What typed fields complete with: host names, the names in a folder on a host."""
        return self._feature("completion", CompletionBackend)

    # -- which account and region ----------------------------------------------------------

    @property
    def target(self) -> AwsTarget:
        """The profile and region the AWS backends use now."""
        return AwsTarget(profile=self.settings.profile, region=self.settings.region)

    def aws_profiles(self) -> list[AwsProfile]:
        """The profiles one can switch to: the standard chain, then every profile of the
        AWS config and credentials files (SSO ones included); with --demo, only "demo".

        Reads the files (blocking). Raises ConfigError when one cannot be parsed.
        """
        from console.aws.session import available_profiles  # loads botocore: on first use

        return available_profiles()

    def aws_regions(self) -> list[AwsRegion]:
        """The regions EC2 runs in, by name (botocore's endpoint data, else a shipped list);
        the current region is always among them."""
        from console.aws.session import available_regions  # loads botocore: on first use

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
            wanted = self._wanted(profile, region)
            backends = self.connect(wanted)
            # the old session stays open until close(): a worker may still be using it
            self.on_close.append(backends.close)
            self.ec2, self.s3, self.settings = backends.ec2, backends.s3, backends.settings
            return backends.target

    def _wanted(self, profile: str | None, region: str | None) -> Settings:
        """The settings a switch to ``profile`` and ``region`` asks for. Raises ConfigError."""
        return self.settings.with_target(profile=profile, region=region)

    # -- the user's terminal ---------------------------------------------------------------

    def terminal_argv(self, instance: Instance, purpose: str) -> list[str]:
        """The argument list for a shell (``ssh -t USER@IP``) or a Jupyter forward (``ssh -N
        -L 127.0.0.1:8888:localhost:8888 USER@IP``) to ``instance``.

        ``purpose`` is "shell" or "jupyter". Raises HostConfigError (not running, no public
        address).
        """
        if purpose not in ("shell", "jupyter"):
            raise HostConfigError(f"No terminal command for {purpose!r}: use shell or jupyter.")
        settings = self.settings.instances
        if purpose == "shell":
            return instance_shell_argv(instance, settings)
        return instance_jupyter_argv(instance, settings)

    def run_in_terminal(self, argv: list[str]) -> int:
        """Run ``argv`` (no shell) attached to the user's terminal and return its exit status:
        ``ssh -t``, ``tmux attach``, a Jupyter forward. Stands for typing it at a prompt.
        Raises TerminalError when it cannot start. Call it with the app suspended."""
        return run_in_terminal(argv)

    def close(self) -> None:
        callbacks, self.on_close = self.on_close, []
        for callback in reversed(callbacks):
            callback()

    def ready(self) -> None:
        """Block until the backends can answer (the demo may still be starting): call it
        before reading ``settings`` fields the backends fill in, such as the endpoint."""


def unguarded(services: Services, name: str) -> Any:
    """The AWS backend ``name`` ("ec2", "s3") as it was given, for the backends of this
    layer that build on it (the transfer engine needs the S3 client, which the guarded
    backend does not hand out)."""
    return services._raw.get(name)
