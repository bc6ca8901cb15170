"""EC2 for the console: describe instances and turn them into ``console.models.Instance``."""

from __future__ import annotations

from typing import Any

from console.aws.session import AwsSession
from console.models import Instance, InstanceState


class Ec2Service:
    """The EC2 calls the console makes, in the region of ``aws_session``."""

    def __init__(self, aws_session: AwsSession, *, page_size: int = 1000):
        self._aws = aws_session
        #: instances per describe_instances call (EC2 allows 5..1000)
        self._page_size = page_size

    def list_instances(self) -> list[Instance]:
        """Every instance of the region, terminated ones included, in the order EC2 returns them.

        Shell equivalent: ``aws ec2 describe-instances`` (all pages).
        Raises CredentialsError (none, expired, rejected), AccessDeniedError
        (ec2:DescribeInstances not allowed), EndpointError (unreachable endpoint or region),
        ThrottledError (still throttled after adaptive retries), ConfigError (no region).
        """
        with self._aws.errors("ec2"):
            paginator = self._aws.client("ec2").get_paginator("describe_instances")
            instances = []
            for page in paginator.paginate(PaginationConfig={"PageSize": self._page_size}):
                for reservation in page.get("Reservations", []):
                    instances.extend(
                        instance_from_api(raw) for raw in reservation.get("Instances", [])
                    )
            return instances


def instance_from_api(raw: dict[str, Any]) -> Instance:
    """One ``Instance`` from an element of describe_instances' ``Reservations[].Instances``."""
    tags = tuple(sorted((t["Key"], t.get("Value", "")) for t in raw.get("Tags", [])))
    state_name = raw.get("State", {}).get("Name", "unknown")
    try:
        state = InstanceState(state_name)
    except ValueError:
        state = InstanceState.UNKNOWN
    return Instance(
        id=raw["InstanceId"],
        name=dict(tags).get("Name", ""),
        type=raw.get("InstanceType", ""),
        state=state,
        public_ip=raw.get("PublicIpAddress") or None,
        private_ip=raw.get("PrivateIpAddress") or None,
        availability_zone=raw.get("Placement", {}).get("AvailabilityZone") or None,
        launch_time=raw.get("LaunchTime"),
        # InstanceLifecycle is "spot" or "scheduled" and absent for on-demand instances
        market="spot" if raw.get("InstanceLifecycle") == "spot" else "on-demand",
        key_name=raw.get("KeyName") or None,
        image_id=raw.get("ImageId") or None,
        tags=tags,
    )
