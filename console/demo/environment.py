"""The embedded default (``awsconsole --demo``): the demo's shared endpoint and this machine.

``connect_demo`` finds the demo's endpoint (``console.demo.endpoint``: one background process
per demo folder, serving moto on 127.0.0.1 with a seeded fleet) or starts it, and returns a
``DemoEnvironment``: the endpoint's address, the demo's fake keys, and a session with its
clients. Every instance maps to this machine as a host rooted in its sandbox folder
(``demo_host_factory``), whose ``nvidia-smi`` replays a recording of a real GPU of its type;
jobs, logs, counts and transfers are real, only the cloud is simulated. The endpoint, and
with it everything done in the demo, outlives this process: ``awsconsole demo stop`` ends it.

The demo's fake credentials live in its own sessions only; the process environment keeps
the user's (or no) credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession, StaticCredentials
from console.demo import DEMO_REGION
from console.demo.endpoint import Endpoint, ensure_endpoint, request
from console.demo.gpu_replay import DemoInstanceHost, install_standin, recording_for
from console.demo.metadata import NAME as METADATA_NAME
from console.demo.metadata import PREFIX as METADATA_PREFIX
from console.demo.seeding import CHECKPOINT_BUCKET, DATASET_BUCKET, DEMO_CREDENTIALS, FLEET
from console.demo.state import demo_dir_of, prepare_demo_dir
from console.errors import ConsoleError, HostConfigError, HostUnreachableError
from console.hosts.local import LocalHost
from console.models import Instance
from console.runs.local_python import console_environment
from console.settings import Settings

__all__ = [
    "CHECKPOINT_BUCKET",
    "DATASET_BUCKET",
    "DEMO_CREDENTIALS",
    "FLEET",
    "DemoEc2Service",
    "DemoEnvironment",
    "connect_demo",
    "demo_host_factory",
]

#: how often a wait for the dataset asks the endpoint whether it is uploaded
SEEDED_POLL_SECONDS = 0.2


@dataclass
class DemoEnvironment:
    """The demo this process talks to: where its endpoint listens, where the sandboxes are."""

    endpoint: Endpoint
    region: str
    credentials: StaticCredentials
    sandbox: Path
    #: seconds from connect_demo's call to a usable endpoint (a start pays moto and seeding)
    startup_seconds: float = 0.0
    _session: AwsSession | None = None
    _released: bool = False
    _closed: bool = field(default=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return self.endpoint.url

    @property
    def session(self) -> AwsSession:
        """The demo's AWS session (its fake keys, its endpoint)."""
        assert self._session is not None
        return self._session

    def home_for(self, instance_name: str) -> Path:
        """The sandbox folder that stands for an instance's home directory (created)."""
        if not instance_name or "/" in instance_name or instance_name.startswith("."):
            raise HostConfigError(f"Not a usable demo instance name: {instance_name!r}")
        home = self.sandbox / instance_name
        home.mkdir(parents=True, exist_ok=True)
        return home

    def environment(self) -> dict[str, str]:
        """Variables that point a child process (``aws``, a job) at the demo endpoint."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.credentials.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def release_seeding(self) -> None:
        """Ask the endpoint to fill the dataset bucket now (once per process; an endpoint
        that filled it already ignores it). A failure only delays the data."""
        if self._released:
            return
        self._released = True
        try:
            request(self.endpoint, "POST", "release")
        except ConsoleError:
            pass

    def metadata_instance(self, imds_endpoint: str) -> str | None:
        """The demo instance whose metadata stand-in ``imds_endpoint`` is (a trainer's
        ``--imds-endpoint``); None for any other address."""
        prefix = self.endpoint.url.rstrip("/") + METADATA_PREFIX
        name = imds_endpoint.rstrip("/")[len(prefix):] if imds_endpoint.startswith(prefix) else ""
        return name if METADATA_NAME.fullmatch(name) else None

    def announce_interruption(self, instance: str) -> dict:
        """A spot interruption notice on ``instance``'s metadata stand-in, for the trainers
        watching it now (``console.demo.metadata``); the notice. Raises ConsoleError."""
        return request(self.endpoint, "POST", f"interrupt/{instance}")

    @property
    def seeded(self) -> bool:
        """Whether the dataset bucket is filled (asks the endpoint)."""
        return bool(request(self.endpoint, "GET", "status").get("seeded"))

    def wait_until_seeded(self, timeout: float | None = None) -> None:
        """Block until the dataset bucket is filled. Raises ConsoleError when seeding failed,
        the endpoint went away, or ``timeout`` passed."""
        self._released = False
        self.release_seeding()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = request(self.endpoint, "GET", "status")
            if status.get("seed_error"):
                raise ConsoleError(
                    f"Seeding the demo data failed: {status['seed_error']}", title="Demo"
                )
            if status.get("seeded"):
                return
            if deadline is not None and time.monotonic() > deadline:
                raise ConsoleError(
                    f"The demo data was not ready within {timeout} s.", title="Demo"
                )
            time.sleep(SEEDED_POLL_SECONDS)

    def close(self) -> None:
        """Close this process's connections; the endpoint keeps running for the next
        console. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._session is not None:
            self._session.close()


def connect_demo(settings: Settings) -> DemoEnvironment:
    """The demo's endpoint for ``settings.demo_dir`` (started and seeded when none runs) and
    a session on it in ``settings.region`` (the fleet lives in DEMO_REGION).

    Raises ConfigError when the demo folder cannot be used, moto is not installed
    (``pip install 'awsconsole[demo]'``) or the endpoint does not start.
    """
    started = time.perf_counter()
    sandbox = prepare_demo_dir(demo_dir_of(settings.demo_dir))
    endpoint = ensure_endpoint(sandbox)
    region = settings.region or DEMO_REGION
    session = AwsSession(
        Settings(endpoint_url=endpoint.url, region=region), credentials=DEMO_CREDENTIALS
    )
    return DemoEnvironment(
        endpoint=endpoint,
        region=region,
        credentials=DEMO_CREDENTIALS,
        sandbox=sandbox,
        startup_seconds=time.perf_counter() - started,
        _session=session,
    )


class DemoEc2Service(Ec2Service):
    """The EC2 backend of the demo: the first listing lets the bucket seeding begin."""

    def __init__(self, aws_session: AwsSession, demo: DemoEnvironment):
        super().__init__(aws_session)
        self._demo = demo

    def list_instances(self, first_page=None) -> list[Instance]:
        try:
            return super().list_instances(first_page)
        finally:
            self._demo.release_seeding()


def demo_host_factory(
    demo: DemoEnvironment, list_instances: Callable[[], list[Instance]]
) -> Callable[[str], object]:
    """A ``HostPool`` factory: every instance of the demo (by id or Name tag) is this
    machine rooted in its sandbox folder, its GPUs a replayed recording of its type;
    ``"local"`` is this machine with its real home. Instances are looked up on the
    endpoint with ``list_instances`` (one launched in another console is found too).
    Anything else raises HostConfigError. Each runs what it starts with the console's
    environment for the trainer (``console.demo.training``): ``python -m trainer`` in a demo
    job finds the torch installed beside the console. An instance's commands also get the
    demo endpoint's URL and credentials in the ``AWS_*`` variables, as a real instance has
    its role: ``aws s3 cp`` there reads the demo's buckets."""
    environment = console_environment()

    def instance(target: str) -> Instance:
        known = list_instances()
        for candidate in known:
            if target in (candidate.id, candidate.name):
                return candidate
        names = sorted({i.name for i in known if i.name} or {s.name for s in FLEET})
        raise HostConfigError(
            f"{target!r} is not an instance of the demo.",
            hint="Demo instances: " + ", ".join(names),
        )

    def factory(target: str):
        if target == "local":
            return LocalHost(env=environment)
        found = instance(target)
        name = found.name or found.id
        home = demo.home_for(name)
        recording = recording_for(found.type)
        bin_dir = install_standin(demo.sandbox) if recording is not None else None
        host = DemoInstanceHost(
            name, home, bin_dir=bin_dir, recording=recording, state=state_of(found.id, name)
        )
        host.env.update(environment)
        # an instance's role, in the demo: `aws s3 cp` or the trainer's upload on a demo
        # instance reach the demo endpoint (on 127.0.0.1), never AWS or a metadata service
        host.env.update(demo.environment())
        host.env["AWS_EC2_METADATA_DISABLED"] = "true"
        return host

    def state_of(instance_id: str, name: str) -> Callable[[], str | None]:
        """The instance's state now, on the endpoint (None when it is gone)."""

        def state() -> str | None:
            try:
                known = list_instances()
            except ConsoleError as exc:  # the endpoint itself is gone: so is the instance
                raise HostUnreachableError(
                    f"{name}: the demo endpoint does not answer ({exc.message})."
                ) from exc
            return next((str(i.state) for i in known if i.id == instance_id), None)

        return state

    return factory
