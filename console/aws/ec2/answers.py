"""EC2's answers as value objects: an element of describe_instances or
describe_instance_types in, a ``console.models`` value out (pure, no client)."""

from __future__ import annotations

from typing import Any

from console.models import Instance, InstanceState, InstanceTypeInfo


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
