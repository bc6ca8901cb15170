"""What the launch wizard's review page shows before anything is created."""

from __future__ import annotations

from dataclasses import dataclass

from console.models.aws import HourlyPrice, ImageInfo, InstanceTypeInfo, LaunchRequest, QuotaInfo


@dataclass(frozen=True, slots=True)
class DryRunAnswer:
    """EC2's answer to ``aws ec2 run-instances --dry-run`` for the request."""

    would_succeed: bool
    #: EC2's error code and message when it would not
    reason: str = ""
    #: parts of the request the dry run could not include because they are created on
    #: confirm (a new key pair, the SSH security group), named for the reader
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuotaUse:
    """The vCPU quota the launch counts against and how much of it is taken."""

    quota: QuotaInfo
    #: vCPUs of the region's pending and running instances under the same quota (None when
    #: they could not be listed)
    in_use: int | None
    #: vCPUs the launch adds (None when the type is unknown)
    adds: int | None


@dataclass(frozen=True, slots=True)
class LaunchReview:
    """Everything a launch will do and cost, gathered without creating anything."""

    request: LaunchRequest
    #: None when EC2 does not know the AMI (the dry run then says why)
    image: ImageInfo | None
    type_info: InstanceTypeInfo | None
    price: HourlyPrice | None
    quota: QuotaUse
    dry_run: DryRunAnswer
    #: the AMI's root device the volume size applies to (None when the AMI is unknown)
    root_device: str | None
