"""The words of costly instance actions: what a start costs, and the launch review page.
Pure functions of the models: no UI, no AWS."""

from __future__ import annotations

from console.format.instances import dollars, gpu_label
from console.models import HourlyPrice, Instance
from console.models.launch import DryRunAnswer, LaunchReview, QuotaUse

#: the quota of each family class, as Service Quotas names it
QUOTA_CLASSES = {
    "g": "G and VT instances",
    "p": "P instances",
    "standard": "Standard (A, C, D, H, I, M, R, T, Z) instances",
}


def hourly(price: HourlyPrice | None) -> str:
    """``$1.006/hour (on-demand, table 2024-09-01)``, or says the price is unknown."""
    if price is None:
        return "price per hour unknown"
    return f"{dollars(price.price_per_hour)}/hour ({price.market}, {price.source})"


def start_detail(instance: Instance, price: HourlyPrice | None) -> str:
    """The line under "Start NAME?": what the instance costs while it runs."""
    where = f"{instance.id} ({instance.type})"
    if price is None:
        return f"{where}: its price per hour is unknown; it is billed from the start."
    return f"{where} costs {hourly(price)} while it runs."


def quota_text(use: QuotaUse, spot: bool) -> str:
    """``12 of 64 vCPUs used (Running On-Demand G and VT instances); this adds 4`` or, when
    Service Quotas gives no figure, says so with its reason and what is used anyway."""
    quota = use.quota
    market = "spot" if spot else "on-demand"
    name = quota.quota_name or f"{market} {QUOTA_CLASSES.get(quota.family, quota.family)}"
    used = "unknown" if use.in_use is None else str(use.in_use)
    adds = f"; this launch adds {use.adds}" if use.adds is not None else ""
    if quota.limit is None:
        reason = quota.unavailable_reason or "no answer"
        return (
            f"vCPU quota unknown for {name} (Service Quotas: {reason}); {used} vCPUs in use{adds}."
        )
    text = f"{used} of {quota.limit:g} vCPUs used ({name}){adds}"
    if use.in_use is not None and use.adds is not None and use.in_use + use.adds > quota.limit:
        text += f": over the quota by {use.in_use + use.adds - quota.limit:g}"
    return text + "."


def dry_run_text(answer: DryRunAnswer) -> str:
    """``would succeed`` or ``would fail: CODE: message``, with what it had to leave out."""
    text = "would succeed" if answer.would_succeed else f"would fail: {answer.reason}"
    if answer.left_out:
        text += f" (checked without {', '.join(answer.left_out)}: created on confirm)"
    return text


def review_rows(review: LaunchReview, *, key: str, ssh_from: str) -> list[tuple[str, str]]:
    """The review page, one (label, value) per line. ``key`` and ``ssh_from`` are the
    wizard's words for the key pair and the SSH rule it will create or use."""
    request = review.request
    image = review.image
    ami = f"{image.name} ({image.image_id})" if image else f"{request.image_id} (not found)"
    info = review.type_info
    if info is not None:
        hardware = ", ".join(
            part
            for part in (
                gpu_label(info) or "no GPU",
                f"{info.vcpus} vCPU",
                f"{round(info.memory_mib / 1024)} GiB",
            )
            if part
        )
        kind = f"{request.instance_type}: {hardware}"
    else:
        kind = f"{request.instance_type} (unknown to EC2 here)"
    market = "spot (may be interrupted)" if request.spot else "on-demand"
    volume = f"{request.root_volume_gib} GiB gp3" if request.root_volume_gib else "the AMI's"
    if review.root_device:
        volume += f" on {review.root_device}"
    return [
        ("Name", request.name),
        ("Type", f"{kind}, {market}"),
        ("AMI", ami),
        ("Key pair", key),
        ("Security group", f"inbound tcp 22 (SSH) from {ssh_from} only; all outbound"),
        ("Storage", f"{volume}, deleted with the instance"),
        ("Price", hourly(review.price)),
        ("Quota", quota_text(review.quota, request.spot)),
        ("Dry run", dry_run_text(review.dry_run)),
    ]
