"""The vCPU limit that applies to launching an instance type (Service Quotas).

EC2 limits running instances by vCPUs per family class, not by count: G and VT share one
quota, P another, and the standard families (A, C, D, H, I, M, R, T, Z) a third; spot has
its own three. Where Service Quotas does not answer (denied, not offered by an emulator)
the launch goes on and the reason is shown instead of a figure.
"""

from __future__ import annotations

from botocore import exceptions as boto

from console.aws.session import AwsSession
from console.models import QuotaInfo

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
