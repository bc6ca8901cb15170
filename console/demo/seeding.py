"""What the demo's endpoint holds: a GPU-training fleet and the DeepFashion dataset bucket.

``seed_fleet`` runs first and synchronously (the Instances view is populated the moment the
endpoint says it is ready); ``BucketSeeding`` fills ``deepfashion-data`` on a thread of the
endpoint's process, after a short hold or as soon as a client asks for the data.
Both talk to the endpoint over HTTP with the demo's fake keys, like any client.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from console.aws.session import AwsSession, StaticCredentials
from console.errors import ConsoleError

DEMO_CREDENTIALS = StaticCredentials("AKIADEMOAWSCONSOLE00", "awsconsole-demo-secret")
DATASET_BUCKET = "deepfashion-data"
CHECKPOINT_BUCKET = "checkpoints"
KEY_PAIR = "fashion-key"
SECURITY_GROUP = "fashion-ssh"
#: a documentation address (RFC 5737): SSH open to "my address" /32 only, as the wizard does
SSH_SOURCE_CIDR = "198.51.100.7/32"
AMI_NAME_PATTERN = "Deep Learning AMI*"
UPLOAD_WORKERS = 4
#: the bucket contents wait this long for a client to ask for them before they start
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


def seed_fleet(session: AwsSession) -> tuple[str, dict[str, str]]:
    """Key pair, security group and the FLEET, both buckets (empty); returns the AMI id and
    {instance id: name}. Raises ConsoleError when the endpoint knows no Deep Learning AMI."""
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
    s3 = session.client("s3")
    with session.errors("s3"):
        for bucket in (DATASET_BUCKET, CHECKPOINT_BUCKET):
            s3.create_bucket(Bucket=bucket)
    return image_id, instances


#: ``put(bucket, key, data)`` straight into the endpoint's own moto, in its process
PutInProcess = Callable[[str, str, bytes], None]


class BucketSeeding:
    """Fills ``deepfashion-data`` on its own thread, once released or after
    SEEDING_HOLD_SECONDS; ``cancel()`` ends it between two objects.

    With ``put_in_process`` (the endpoint process, which serves moto itself) the objects go
    straight into moto's S3 store: 2,011 objects in 0.05 s of CPU, where as many signed
    ``PutObject`` requests over HTTP cost about 10 s. Without it, or when that store cannot
    be reached (a moto whose internals moved), they are uploaded in parallel over HTTP.
    """

    def __init__(
        self, session: AwsSession, dataset_cache: Path, put_in_process: PutInProcess | None = None
    ):
        self._session = session
        self._cache = dataset_cache
        self._put_in_process = put_in_process
        self._released = threading.Event()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-seed-buckets", daemon=True)

    def start(self) -> BucketSeeding:
        self._thread.start()
        return self

    def release(self) -> None:
        """Start uploading now (a client waits for the data)."""
        self._released.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop uploading and wait until the thread has ended."""
        self._cancel.set()
        self._released.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        # the dataset generator (and Pillow with it) loads on the seeding thread, not at start
        from console.demo.dataset import dataset_files

        try:
            self._released.wait(SEEDING_HOLD_SECONDS)
            if self._cancel.is_set():
                return
            files = dataset_files(self._cache, cancel=self._cancel)
            # annotation files first: they are what a person opens first
            keys = sorted(files, key=lambda k: (not k.startswith(("Anno/", "Eval/")), k))
            keys = self._put_directly(keys, files)
            s3 = self._session.client("s3")

            def upload(key: str) -> None:
                if self._cancel.is_set():
                    return
                with self._session.errors("s3"):
                    s3.put_object(Bucket=DATASET_BUCKET, Key=key, Body=files[key])

            with ThreadPoolExecutor(UPLOAD_WORKERS, thread_name_prefix="demo-upload") as pool:
                for future in [pool.submit(upload, key) for key in keys]:
                    future.result()
        except BaseException as exc:  # noqa: BLE001 - reported through the endpoint's status
            if not self._cancel.is_set():
                self.error = exc
        finally:
            if not self._cancel.is_set():
                self._done.set()

    def _put_directly(self, keys: list[str], files: dict[str, bytes]) -> list[str]:
        """Put ``keys`` into moto's store in this process; returns those left for HTTP (all
        of them without ``put_in_process``, the rest when the store cannot be reached)."""
        if self._put_in_process is None:
            return keys
        for index, key in enumerate(keys):
            if self._cancel.is_set():
                return []
            try:
                self._put_in_process(DATASET_BUCKET, key, files[key])
            except (AttributeError, KeyError, TypeError, ImportError):
                return keys[index:]
        return []


def put_into_moto(bucket: str, key: str, data: bytes) -> None:
    """``PutObject`` straight into the S3 store of the moto serving in this process (the
    account that owns ``bucket``). Raises AttributeError, KeyError, TypeError or ImportError
    when moto's internals are not what this moto version has."""
    from moto.s3.models import s3_backends  # the endpoint process has moto loaded already

    account = s3_backends.bucket_accounts[bucket]
    s3_backends[account]["aws"].put_object(bucket, key, data)


@contextmanager
def only_moto_default_amis(path: Path) -> Iterator[None]:
    """Let moto load its ~40 default AMIs (the Deep Learning AMIs among them) but not its
    ~1,300 "latest" ones per region: that halves the time of the first EC2 call.

    moto reads MOTO_AMIS_PATH (a plain JSON list) whenever an EC2 backend is created (the
    first EC2 request, and again after a reset), so the variable stays set while the
    endpoint runs; it is removed again on leaving.
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
