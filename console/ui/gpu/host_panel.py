"""CPU %, load, memory, disks and network of a host, from HostSampler's latest sample."""

from __future__ import annotations

from console.format.gpu import UNKNOWN, byte_size, number, rate
from console.models import HostSample
from console.ui.common.literal import Static


def gib(value: float | None) -> float | None:
    return None if value is None else value / 1024**3


def cpu_line(sample: HostSample) -> str:
    cores = f" ×{sample.cpu_count}" if sample.cpu_count else ""
    load = " ".join(f"{x:.2f}" for x in sample.load) if sample.load else UNKNOWN
    memory = (
        f"{number(gib(sample.memory_used_bytes), '', 1)}/{number(gib(sample.memory_total_bytes), '', 1)} GiB"
        if sample.memory_total_bytes is not None
        else UNKNOWN
    )
    return (
        f"CPU {number(sample.cpu_percent, '%')}{cores} · load {load} · mem {memory}"
        f" · net ↓{rate(sample.net_rx_bytes_per_s)} ↑{rate(sample.net_tx_bytes_per_s)}"
    )


def disk_line(sample: HostSample) -> str:
    if not sample.disks:
        return f"disks {UNKNOWN}"
    return "disks " + " · ".join(
        f"{d.mount} {d.percent:.0f}% of {byte_size(d.total_bytes)}" for d in sample.disks
    )


class HostPanel(Static):
    """Two lines about the host; the sampler's error in its place when it has one."""

    DEFAULT_CSS = """
    HostPanel {
        height: auto;
        padding: 0 1;
        border-top: solid $primary 40%;
    }
    HostPanel.error {
        color: $error;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("Host: waiting for the first sample…", **kwargs)  # type: ignore[arg-type]
        #: what is drawn, as plain text
        self.text = ""

    def show(self, host: str, sample: HostSample | None, error: str | None) -> None:
        if error and sample is None:
            text = f"{host}: {error}"
        elif sample is None:
            text = f"{host}: waiting for the first sample…"
        else:
            text = f"{cpu_line(sample)}\n{host} ({sample.source}) · {disk_line(sample)}"
            if error:
                text += f"\n{error}"
        self.set_class(bool(error), "error")
        if text != self.text:
            self.text = text
            self.update(text)
