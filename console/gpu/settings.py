"""The ``[gpu]`` settings of the config file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.gpu.monitor import GpuMonitor
from console.hosts.base import Host


@dataclass(frozen=True)
class GpuSettings:
    """The ``[gpu]`` table of the config file::

    [gpu]
    nvidia_smi = "nvidia-smi"     # command or absolute path on the hosts
    interval_ms = 1000            # refresh of the long-lived stream
    history_minutes = 10          # sparkline history per GPU
    apps_interval_seconds = 5     # refresh of the process list
    """

    nvidia_smi: str = "nvidia-smi"
    interval_ms: int = 1000
    history_minutes: float = 10.0
    apps_interval_seconds: float = 5.0

    @classmethod
    def from_section(cls, section: Mapping[str, object]) -> GpuSettings:
        """From ``Settings.section("gpu")``. Raises ConfigError naming the bad key."""
        from console.errors import ConfigError

        unknown = sorted(set(section) - {f for f in cls.__dataclass_fields__})
        if unknown:
            raise ConfigError(f"[gpu] has unknown settings: {', '.join(unknown)}")
        values: dict[str, object] = {}
        for key, raw in section.items():
            if key == "nvidia_smi":
                if not isinstance(raw, str) or not raw.strip():
                    raise ConfigError(f"[gpu] nvidia_smi must be a command or a path, not {raw!r}")
                values[key] = raw.strip()
                continue
            try:
                if isinstance(raw, bool):
                    raise ValueError
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ConfigError(f"[gpu] {key} must be a number, not {raw!r}") from None
            if number <= 0:
                raise ConfigError(f"[gpu] {key} must be positive, not {raw!r}")
            values[key] = int(number) if key == "interval_ms" else number
        return cls(**values)  # type: ignore[arg-type]

    def monitor(self, host: Host, **kwargs: object) -> GpuMonitor:
        """A GpuMonitor for ``host`` configured by these settings."""
        return GpuMonitor(
            host,
            interval_ms=int(kwargs.pop("interval_ms", self.interval_ms)),  # type: ignore[arg-type]
            nvidia_smi=self.nvidia_smi,
            history_seconds=self.history_minutes * 60,
            apps_interval_s=self.apps_interval_seconds,
            **kwargs,  # type: ignore[arg-type]
        )
