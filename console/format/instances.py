"""How instance figures read, in the Instances view and in ``awsconsole instances`` alike:
GPUs, uptime, dollars. Pure functions of the models: no UI, no AWS."""

from __future__ import annotations

import datetime as dt

from console.models import Instance, InstanceTypeInfo


def gpu_label(info: InstanceTypeInfo | None) -> str:
    """``4× A10G 24 GiB`` (count, model, memory of one GPU); blank without a GPU."""
    if info is None or not info.gpu_count:
        return ""
    label = f"{info.gpu_count}× {info.gpu_model or 'GPU'}"
    if info.gpu_memory_mib:
        label += f" {round(info.gpu_memory_mib / 1024)} GiB"
    return label


def uptime_seconds(instance: Instance, now: dt.datetime) -> float | None:
    """Seconds since launch for a running instance (EC2's LaunchTime is the last start)."""
    if instance.state != "running" or instance.launch_time is None:
        return None
    return max(0.0, (now - instance.launch_time).total_seconds())


def duration(seconds: float | None) -> str:
    """``3d 4h``, ``2h 05m``, ``7m``; blank for None."""
    if seconds is None:
        return ""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def dollars(value: float | None) -> str:
    """``$1.006``, ``$32.77``; tiny figures keep five decimals; blank for None."""
    if value is None:
        return ""
    if 0 < value < 0.01:
        return f"${value:.5f}"  # tiny figures (an emulator's spot price) stay visible
    return f"${value:,.3f}" if value < 10 else f"${value:,.2f}"
