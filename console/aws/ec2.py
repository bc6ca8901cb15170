"""EC2 for the console: describe instances and turn them into ``console.models.Instance``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from botocore import exceptions as boto

from console.aws.session import AwsSession
from console.models import Instance, InstanceState, InstanceTypeInfo, SpotPrice


class Ec2Service:
    """The EC2 calls the console makes, in the region of ``aws_session``."""

    def __init__(self, aws_session: AwsSession, *, page_size: int = 1000):
        self._aws = aws_session
        #: instances per describe_instances call (EC2 allows 5..1000)
        self._page_size = page_size
        self._types: dict[str, InstanceTypeInfo] = {}
        self._unknown_types: set[str] = set()

    def instance_types(self, names: Iterable[str]) -> dict[str, InstanceTypeInfo]:
        """vCPUs, memory and GPUs (count, model, memory) of each named instance type.

        Shell equivalent: ``aws ec2 describe-instance-types --instance-types NAME …``.
        Answers are cached for the life of the service (a type's hardware never changes);
        names EC2 does not know are left out of the result.
        Raises CredentialsError, AccessDeniedError (ec2:DescribeInstanceTypes), EndpointError,
        ThrottledError.
        """
        wanted = sorted({n for n in names if n})
        missing = [n for n in wanted if n not in self._types and n not in self._unknown_types]
        # the API takes at most 100 names per call
        for start in range(0, len(missing), 100):
            self._fetch_types(missing[start : start + 100])
        return {n: self._types[n] for n in wanted if n in self._types}

    def _fetch_types(self, names: list[str]) -> None:
        client = self._aws.client("ec2")
        try:
            reply = client.describe_instance_types(InstanceTypes=names)
        except boto.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvalidInstanceType":
                raise self._aws.translate(exc, "ec2") from exc
            # one unknown name fails the whole call: ask for each name on its own
            if len(names) == 1:
                self._unknown_types.add(names[0])
            else:
                for name in names:
                    self._fetch_types([name])
            return
        except boto.BotoCoreError as exc:
            raise self._aws.translate(exc, "ec2") from exc
        for raw in reply.get("InstanceTypes", []):
            info = instance_type_from_api(raw)
            self._types[info.name] = info

    def spot_prices(
        self, instance_types: Iterable[str], product: str = "Linux/UNIX"
    ) -> dict[tuple[str, str], SpotPrice]:
        """The latest spot price of each type in each availability zone of the region.

        Shell equivalent: ``aws ec2 describe-spot-price-history --instance-types T …
        --product-descriptions Linux/UNIX --start-time NOW`` (EC2 then returns the price in
        effect now, one per type and zone). Keyed by (instance type, availability zone).
        Raises CredentialsError, AccessDeniedError (ec2:DescribeSpotPriceHistory),
        EndpointError, ThrottledError.
        """
        types = sorted({t for t in instance_types if t})
        latest: dict[tuple[str, str], SpotPrice] = {}
        if not types:
            return latest
        with self._aws.errors("ec2"):
            paginator = self._aws.client("ec2").get_paginator("describe_spot_price_history")
            pages = paginator.paginate(
                InstanceTypes=types,
                ProductDescriptions=[product],
                StartTime=dt.datetime.now(dt.UTC),
            )
            for page in pages:
                for raw in page.get("SpotPriceHistory", []):
                    price = SpotPrice(
                        instance_type=raw["InstanceType"],
                        availability_zone=raw.get("AvailabilityZone", ""),
                        price_per_hour=float(raw["SpotPrice"]),
                        timestamp=raw.get("Timestamp"),
                        product=raw.get("ProductDescription", product),
                    )
                    key = (price.instance_type, price.availability_zone)
                    known = latest.get(key)
                    if known is None or _newer(price, known):
                        latest[key] = price
        return latest

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


def instance_type_from_api(raw: dict[str, Any]) -> InstanceTypeInfo:
    """One ``InstanceTypeInfo`` from an element of describe_instance_types' ``InstanceTypes``."""
    gpus = raw.get("GpuInfo", {}).get("Gpus", [])
    first = gpus[0] if gpus else {}
    return InstanceTypeInfo(
        name=raw["InstanceType"],
        vcpus=int(raw.get("VCpuInfo", {}).get("DefaultVCpus", 0)),
        memory_mib=int(raw.get("MemoryInfo", {}).get("SizeInMiB", 0)),
        gpu_count=sum(int(g.get("Count", 0)) for g in gpus),
        gpu_model=first.get("Name"),
        gpu_manufacturer=first.get("Manufacturer"),
        gpu_memory_mib=first.get("MemoryInfo", {}).get("SizeInMiB"),
    )


def _newer(candidate: SpotPrice, known: SpotPrice) -> bool:
    if candidate.timestamp is None:
        return False
    return known.timestamp is None or candidate.timestamp > known.timestamp
