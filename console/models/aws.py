"""AWS values: instances and their types, prices, details and launch requests; buckets and S3 pages; profiles, regions and targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class ObjectPreview:
    """The first part of an object as text: ``shown`` of its ``size`` bytes were read."""

    bucket: str
    key: str
    text: str
    #: the object's whole size in bytes
    size: int
    #: how many of its bytes ``text`` holds (fewer than ``size`` for a large object)
    shown: int

    @property
    def partial(self) -> bool:
        return self.shown < self.size


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
