"""The vCPU limit that applies to launching an instance type (Service Quotas).

EC2 limits running instances by vCPUs per family class, not by count: G and VT share one
quota, P another, and the standard families (A, C, D, H, I, M, R, T, Z) a third; spot has
its own three. Where Service Quotas does not answer (denied, not offered by an emulator)
the launch goes on and the reason is shown instead of a figure. What is already used of a
quota is counted from the region's pending and running instances, whether or not Service
Quotas answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore import exceptions as boto

from console.aws.ec2.answers import instance_type_from_api
from console.aws.session import AwsSession
from console.models import QuotaInfo

#: the states whose instances count against the running-instances vCPU quotas
COUNTED_STATES = ("pending", "running")

#: family class -> (on-demand quota code, spot quota code)
QUOTA_CODES = {
    "g": ("L-DB2E81BA", "L-3819A6DF"),  # Running On-Demand G and VT / All G and VT Spot
    "p": ("L-417A185B", "L-7212CCBC"),  # Running On-Demand P / All P Spot
    "standard": ("L-1216C47A", "L-34B43A08"),  # Running On-Demand Standard / All Standard Spot
}


def family_class(instance_type: str) -> str:
    """``g5.xlarge`` -> "g", ``vt1.3xlarge`` -> "g", ``p4d.24xlarge`` -> "p", else "standard"."""
    family = instance_type.split(".", 1)[0].lower()
    if family.startswith(("g", "vt")):
        return "g"
    if family.startswith("p"):
        return "p"
    return "standard"


class QuotaService:
    def __init__(self, aws_session: AwsSession):
        self._aws = aws_session

    def vcpu_limit(self, instance_type: str, *, spot: bool = False) -> QuotaInfo:
        """The vCPU quota for ``instance_type``'s family class.

        Shell equivalent: ``aws service-quotas get-service-quota --service-code ec2
        --quota-code L-DB2E81BA``. Never raises: when the API is missing, denied or
        unreachable, ``limit`` is None and ``unavailable_reason`` says why.
        """
        family = family_class(instance_type)
        code = QUOTA_CODES[family][1 if spot else 0]
        try:
            reply = self._aws.client("service-quotas").get_service_quota(
                ServiceCode="ec2", QuotaCode=code
            )
        except boto.ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
            return QuotaInfo(family, code, None, None, unavailable_reason=reason)
        except Exception as exc:  # noqa: BLE001 - unreachable or absent: say so, go on
            return QuotaInfo(family, code, None, None, unavailable_reason=str(exc))
        quota = reply.get("Quota") or {}
        value = quota.get("Value")
        if value is None:
            return QuotaInfo(
                family,
                code,
                quota.get("QuotaName"),
                None,
                unavailable_reason="Service Quotas has no value for this quota",
            )
        return QuotaInfo(family, code, quota.get("QuotaName"), float(value))

    def vcpus_in_use(self, instance_type: str, *, spot: bool = False) -> int:
        """vCPUs of the region's pending and running instances that count against the same
        quota as ``instance_type`` (its family class, spot or on-demand).

        Shell equivalent: ``aws ec2 describe-instances --filters
        Name=instance-state-name,Values=pending,running`` and ``aws ec2
        describe-instance-types`` for their vCPUs (the type's default count where an
        instance does not report its CpuOptions). Raises CredentialsError,
        AccessDeniedError, EndpointError, ThrottledError.
        """
        family = family_class(instance_type)
        counted: list[dict[str, Any]] = []
        with self._aws.errors("ec2"):
            pages = self._aws.client("ec2").get_paginator("describe_instances").paginate(
                Filters=[{"Name": "instance-state-name", "Values": list(COUNTED_STATES)}]
            )
            for page in pages:
                for reservation in page.get("Reservations", []):
                    for raw in reservation.get("Instances", []):
                        is_spot = raw.get("InstanceLifecycle") == "spot"
                        if is_spot == spot and family_class(raw.get("InstanceType", "")) == family:
                            counted.append(raw)
        defaults = self._default_vcpus(raw.get("InstanceType", "") for raw in counted)
        return sum(_vcpus_of(raw, defaults) for raw in counted)

    def _default_vcpus(self, names: Iterable[str]) -> dict[str, int]:
        wanted = sorted({n for n in names if n})
        if not wanted:
            return {}
        with self._aws.errors("ec2"):
            reply = self._aws.client("ec2").describe_instance_types(InstanceTypes=wanted)
        infos = (instance_type_from_api(raw) for raw in reply.get("InstanceTypes", []))
        return {info.name: info.vcpus for info in infos}


def _vcpus_of(raw: dict[str, Any], defaults: dict[str, int]) -> int:
    """An instance's vCPUs: its CpuOptions (cores x threads), else its type's default."""
    options = raw.get("CpuOptions") or {}
    cores, threads = options.get("CoreCount"), options.get("ThreadsPerCore")
    if cores and threads:
        return int(cores) * int(threads)
    return defaults.get(raw.get("InstanceType", ""), 0)
