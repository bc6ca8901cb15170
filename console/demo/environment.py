"""The embedded default (``awsconsole --demo``): an in-process AWS endpoint and this machine.

``start_demo`` starts moto's server on a free loopback port, seeds a GPU-training fleet
(instances first and synchronously, so the Instances view is populated at once; the
dataset bucket's content fills in on a background thread) and prepares one sandbox folder
per instance. Every instance then maps to this machine as a ``LocalHost`` rooted in its
folder, so jobs, logs, counts and transfers are real; only the cloud is simulated.

The demo's fake credentials live in its own sessions only; the process environment keeps
the user's (or no) credentials.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession, StaticCredentials
from console.demo import DEMO_REGION
from console.errors import ConfigError, ConsoleError, HostConfigError
from console.hosts.local import LocalHost
from console.models import Instance
from console.settings import Settings

DEMO_CREDENTIALS = StaticCredentials("AKIADEMOAWSCONSOLE00", "awsconsole-demo-secret")
DATASET_BUCKET = "deepfashion-data"
CHECKPOINT_BUCKET = "checkpoints"
KEY_PAIR = "fashion-key"
SECURITY_GROUP = "fashion-ssh"
#: a documentation address (RFC 5737): SSH open to "my address" /32 only, as the wizard does
SSH_SOURCE_CIDR = "198.51.100.7/32"
AMI_NAME_PATTERN = "Deep Learning AMI*"
UPLOAD_WORKERS = 4
#: the bucket contents wait this long for the first instance listing before they start
#: filling in: generating and uploading 2,000 images would slow the first screen down
SEEDING_HOLD_SECONDS = 5.0


@dataclass(frozen=True)
class DemoInstance:
    """One instance of the seeded fleet: its Name tag, type, market and the state it ends in."""

    name: str
    type: str
    state: str
    market: str = "on-demand"


FLEET: tuple[DemoInstance, ...] = (
    DemoInstance("fashion-train", "g5.xlarge", "running"),
    DemoInstance("fashion-spot", "g4dn.xlarge", "running", market="spot"),
    DemoInstance("fashion-p4d", "p4d.24xlarge", "stopped"),
    DemoInstance("fashion-first-try", "g4dn.xlarge", "terminated"),
)


def default_demo_dir() -> Path:
    return Path(platformdirs.user_cache_dir("awsconsole")) / "demo"


@dataclass
class DemoEnvironment:
    """A running demo: where its endpoint listens and where each instance's sandbox is."""

    endpoint_url: str
    region: str
    credentials: StaticCredentials
    sandbox: Path
    #: instance id -> Name tag, for every seeded instance
    instances: dict[str, str]
    image_id: str
    #: seconds from start_demo's call to a seeded fleet (server start + instances)
    startup_seconds: float = 0.0
    _server: object = None
    _session: AwsSession | None = None
    _seeding: threading.Thread | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _seeded: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)
    _seed_error: BaseException | None = None
    _restore_logging: Callable[[], None] | None = None
    _stopped: bool = False

    @property
    def session(self) -> AwsSession:
        """The demo's AWS session (its fake keys, its endpoint); clients already created."""
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
        """Start filling the buckets now (the first screen is drawn, or someone waits for it)."""
        self._released.set()

    def wait_until_seeded(self, timeout: float | None = None) -> None:
        """Block until the bucket contents are uploaded. Raises ConsoleError if seeding failed."""
        self.release_seeding()
        if not self._seeded.wait(timeout):
            raise ConsoleError(f"The demo data was not ready within {timeout} s.", title="Demo")
        if self._seed_error is not None:
            raise ConsoleError(f"Seeding the demo data failed: {self._seed_error}", title="Demo")

    @property
    def seeded(self) -> bool:
        return self._seeded.is_set()

    def stop(self) -> None:
        """Stop seeding and the server; no thread of the demo survives. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._cancel.set()
        self._released.set()
        if self._seeding is not None:
            self._seeding.join()
        if self._session is not None:
            self._session.close()
        if self._server is not None:
            self._server.stop()
            # the server thread is gone; its per-connection threads end when their sockets
            # close, which closing our clients just did
            server = getattr(self._server, "_server", None)
            if server is not None:
                server.server_close()
            _join_request_threads(timeout=5.0)
        if self._restore_logging is not None:
            self._restore_logging()


def start_demo(settings: Settings) -> DemoEnvironment:
    """Start the in-process endpoint, seed the fleet, and return the running demo.

    Raises ConfigError when the sandbox folder cannot be created or moto is not installed
    (``pip install 'awsconsole[demo]'``).
    """
    started = time.perf_counter()
    sandbox = Path(settings.demo_dir).expanduser() if settings.demo_dir else default_demo_dir()
    try:
        sandbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the demo folder {sandbox}: {exc.strerror}") from exc

    server, restore_logging = _start_server()
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    # moto keeps its state per process, not per server: start from an empty account
    _reset(endpoint_url)
    region = settings.region or DEMO_REGION
    session = AwsSession(
        Settings(endpoint_url=endpoint_url, region=region), credentials=DEMO_CREDENTIALS
    )
    demo = DemoEnvironment(
        endpoint_url=endpoint_url,
        region=region,
        credentials=DEMO_CREDENTIALS,
        sandbox=sandbox,
        instances={},
        image_id="",
        _server=server,
        _session=session,
        _restore_logging=restore_logging,
    )
    try:
        with _profile_hidden_from_moto(), _only_moto_default_amis(sandbox / ".moto-amis.json"):
            demo.image_id, demo.instances = _seed_fleet(session)
            s3 = session.client("s3")
            with session.errors("s3"):
                for bucket in (DATASET_BUCKET, CHECKPOINT_BUCKET):
                    s3.create_bucket(Bucket=bucket)
        for name in demo.instances.values():
            demo.home_for(name)
    except BaseException:
        demo.stop()
        raise
    demo.startup_seconds = time.perf_counter() - started
    demo._seeding = threading.Thread(
        target=_seed_buckets, args=(demo, session), name="demo-seed-buckets", daemon=True
    )
    demo._seeding.start()
    return demo


def _start_server():
    # moto reads these when it is first imported; setdefault keeps a caller's choice
    os.environ.setdefault("MOTO_ENABLE_AMI_VALIDATION", "true")
    os.environ.setdefault("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
    try:  # moto loads (a second of imports) only when the demo endpoint starts
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise ConfigError(
            "The demo needs moto's server, which is not installed.",
            hint="pip install 'awsconsole[demo]'",
        ) from exc
    # werkzeug logs every request to stderr, which would draw over the terminal UI
    werkzeug_log = logging.getLogger("werkzeug")
    was_disabled = werkzeug_log.disabled
    werkzeug_log.disabled = True

    def restore() -> None:
        werkzeug_log.disabled = was_disabled

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server, restore


@contextmanager
def _profile_hidden_from_moto() -> Iterator[None]:
    """moto's backends create (and cache) plain boto3 sessions when they first serve EC2 and
    S3; with AWS_PROFILE naming a profile this machine lacks, that fails inside the server.
    The user's choice of profile is irrelevant to the demo, so hide it while they are made."""
    hidden = {
        k: os.environ.pop(k) for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if k in os.environ
    }
    try:
        yield
    finally:
        os.environ.update(hidden)


@contextmanager
def _only_moto_default_amis(path: Path) -> Iterator[None]:
    """Let moto load its ~40 default AMIs (the Deep Learning AMIs among them) but not its
    ~1,300 "latest" ones per region: that halves the time of the first EC2 call.

    moto reads MOTO_AMIS_PATH (a plain JSON list) when its EC2 backend is created, i.e. on
    the first EC2 request; the variable is removed again once the fleet is seeded.
    """
    if "MOTO_AMIS_PATH" in os.environ:
        yield
        return
    try:
        if not path.is_file():
            # moto's resources are read once, when the AMI file is first written
            from moto.utilities.utils import load_resource

            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(load_resource("ec2/resources/amis.json")))
            tmp.replace(path)
    except (ImportError, OSError, ValueError):
        yield  # only a speed-up: without it moto loads every AMI it knows
        return
    os.environ["MOTO_AMIS_PATH"] = str(path)
    try:
        yield
    finally:
        os.environ.pop("MOTO_AMIS_PATH", None)


def _reset(endpoint_url: str) -> None:
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()


def _seed_fleet(session: AwsSession) -> tuple[str, dict[str, str]]:
    """Key pair, security group and the FLEET; returns the AMI id and {instance id: name}."""
    ec2 = session.client("ec2")
    with session.errors("ec2"):
        images = ec2.describe_images(Filters=[{"Name": "name", "Values": [AMI_NAME_PATTERN]}])
        # newest first, Ubuntu preferred: what a person picks in the launch wizard
        candidates = sorted(
            images["Images"],
            key=lambda i: (
                "Ubuntu" in i.get("Name", ""),
                i.get("CreationDate", ""),
                i.get("Name", ""),
            ),
            reverse=True,
        )
        if not candidates:
            raise ConsoleError(
                f"The demo endpoint knows no AMI named {AMI_NAME_PATTERN!r}.", title="Demo"
            )
        image_id = candidates[0]["ImageId"]
        ec2.create_key_pair(KeyName=KEY_PAIR)
        group_id = ec2.create_security_group(
            GroupName=SECURITY_GROUP, Description="SSH from my address only"
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": SSH_SOURCE_CIDR, "Description": "my address"}],
                }
            ],
        )
        instances: dict[str, str] = {}
        for spec in FLEET:
            extra = {}
            if spec.market == "spot":
                extra["InstanceMarketOptions"] = {"MarketType": "spot"}
            reply = ec2.run_instances(
                ImageId=image_id,
                InstanceType=spec.type,
                MinCount=1,
                MaxCount=1,
                KeyName=KEY_PAIR,
                SecurityGroupIds=[group_id],
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [
                            {"Key": "Name", "Value": spec.name},
                            {"Key": "project", "Value": "deepfashion"},
                        ],
                    }
                ],
                **extra,
            )
            instances[reply["Instances"][0]["InstanceId"]] = spec.name
        by_name = {name: instance_id for instance_id, name in instances.items()}
        stopped = [by_name[s.name] for s in FLEET if s.state == "stopped"]
        terminated = [by_name[s.name] for s in FLEET if s.state == "terminated"]
        if stopped:
            ec2.stop_instances(InstanceIds=stopped)
        if terminated:
            ec2.terminate_instances(InstanceIds=terminated)
    return image_id, instances


def _seed_buckets(demo: DemoEnvironment, session: AwsSession) -> None:
    """Fill ``deepfashion-data`` (parallel uploads); runs on its own thread, stops on cancel."""
    # the dataset generator (and Pillow with it) loads on the seeding thread, not at start
    from console.demo.dataset import dataset_files

    try:
        demo._released.wait(SEEDING_HOLD_SECONDS)
        if demo._cancel.is_set():
            return
        files = dataset_files(demo.sandbox / ".dataset-cache", cancel=demo._cancel)
        s3 = session.client("s3")

        def upload(key: str) -> None:
            if demo._cancel.is_set():
                return
            with session.errors("s3"):
                s3.put_object(Bucket=DATASET_BUCKET, Key=key, Body=files[key])

        # annotation files first: they are what a person opens first
        keys = sorted(files, key=lambda k: (not k.startswith(("Anno/", "Eval/")), k))
        with ThreadPoolExecutor(UPLOAD_WORKERS, thread_name_prefix="demo-upload") as pool:
            for future in [pool.submit(upload, key) for key in keys]:
                future.result()
    except BaseException as exc:  # reported through wait_until_seeded
        if not demo._cancel.is_set():
            demo._seed_error = exc
    finally:
        demo._seeded.set()


def _join_request_threads(timeout: float) -> None:
    """Wait for the server's per-connection threads (socketserver's process_request_thread)."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


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
    demo: DemoEnvironment, list_instances: Callable[[], list] | None = None
) -> Callable[[str], object]:
    """A ``HostPool`` factory: every demo instance (by id or Name tag) is this machine,
    rooted in its sandbox folder; ``"local"`` is this machine with its real home.

    An instance launched after the demo started is looked up on the demo endpoint with
    ``list_instances`` and gets its own folder. Anything else raises HostConfigError.
    """

    def instance_name(target: str) -> str:
        known = dict(demo.instances)
        if target in known.values():
            return target
        if target in known:
            return known[target]
        if list_instances is not None:
            for instance in list_instances():
                if target in (instance.id, instance.name):
                    return instance.name or instance.id
        raise HostConfigError(
            f"{target!r} is not an instance of the demo.",
            hint="Demo instances: " + ", ".join(sorted(known.values())),
        )

    def factory(target: str):
        if target == "local":
            return LocalHost()
        name = instance_name(target)
        return LocalHost(name=name, home=demo.home_for(name))

    return factory
