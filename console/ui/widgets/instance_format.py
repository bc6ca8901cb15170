"""Moved to ``console.instance_format`` (shared with ``awsconsole instances``); this name
stays only for the launch wizard's import until that module imports it from there."""

from console.instance_format import dollars, duration, gpu_label, uptime_seconds

__all__ = ["dollars", "duration", "gpu_label", "uptime_seconds"]
