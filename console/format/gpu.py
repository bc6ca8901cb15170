"""How GPU and host numbers read on screen. An unknown value is "–", never 0.

Pure functions (no widgets), shared by the GPU rows, the process table and the host panel.
"""

from __future__ import annotations

from collections.abc import Sequence

from console.models import GpuSample, GpuSnapshot, IdleWarning

#: what a value nvidia-smi (or the host) did not report reads as
UNKNOWN = "–"

_GIB = 1024.0


def number(value: float | None, unit: str = "", digits: int = 0) -> str:
    """``number(59.0, "°C")`` -> ``"59°C"``; None -> ``"–"``."""
    return UNKNOWN if value is None else f"{value:.{digits}f}{unit}"


def pair(used: float | None, total: float | None, unit: str, digits: int = 0) -> str:
    """``"632/700W"``; a side that is unknown reads ``"–"``; both unknown, just ``"–"``."""
    if used is None and total is None:
        return UNKNOWN
    return f"{number(used, '', digits)}/{number(total, '', digits)}{unit}"


def gib_from_mib(value: float | None) -> float | None:
    return None if value is None else value / _GIB


def gpu_memory(sample: GpuSample) -> str:
    """Memory used/total in GiB, one decimal: ``"19.4/79.6G"``."""
    return pair(gib_from_mib(sample.memory_used_mib), gib_from_mib(sample.memory_total_mib), "G", 1)


def mib(value: float | None) -> str:
    return number(value, " MiB")


def byte_size(value: float | None) -> str:
    """``1536`` -> ``"1.5 KiB"``; None -> ``"–"``."""
    if value is None:
        return UNKNOWN
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return UNKNOWN  # not reached


def rate(value: float | None) -> str:
    return UNKNOWN if value is None else f"{byte_size(value)}/s"


def known(series: Sequence[float | None]) -> list[float]:
    """The known points of a history, for a sparkline (an unknown point is left out,
    not drawn as zero)."""
    return [value for value in series if value is not None]


def models(gpus: Sequence[GpuSample]) -> str:
    """``"8 × NVIDIA A100-SXM4-40GB"``, or each model with its count when they differ."""
    counts: dict[str, int] = {}
    for gpu in gpus:
        counts[gpu.name or "unknown model"] = counts.get(gpu.name or "unknown model", 0) + 1
    return ", ".join(f"{count} × {name}" for name, count in counts.items())


def idle_warning_text(warning: IdleWarning) -> str:
    """``"All 8 GPUs of gpu-box under 5 % for 17 min — $9.28 spent idle."``"""
    minutes = int(warning.idle_seconds // 60)
    gpus = "The GPU" if warning.gpu_count == 1 else f"All {warning.gpu_count} GPUs"
    text = f"{gpus} of {warning.host} under {warning.threshold_percent:g} % for {minutes} min"
    if warning.cost_usd is not None:
        text += f" — ${warning.cost_usd:,.2f} spent idle"
    return text + "."


def gpu_summary(snapshot: GpuSnapshot) -> str:
    """One line for a run's screen: ``"GPUs on gpu-box: 1 × NVIDIA A10G · utilisation 87% ·
    memory 18.2/24.0G · 210/300W"`` (several GPUs: the mean utilisation and its lowest, the
    sums of memory and power); the host's state in plain words when it has no GPU to show;
    a replayed recording says so."""
    if not snapshot.state.ok or not snapshot.gpus:
        said = snapshot.state.message or "waiting for nvidia-smi…"
        return f"GPUs on {snapshot.host}: {said}"
    gpus = snapshot.gpus
    utilisation = known([gpu.utilization_gpu for gpu in gpus])
    if not utilisation:
        busy = UNKNOWN
    elif len(gpus) == 1:
        busy = number(utilisation[0], "%")
    else:
        busy = f"{number(sum(utilisation) / len(utilisation), '%')} mean, lowest {number(min(utilisation), '%')}"

    def total(values: Sequence[float | None]) -> float | None:
        found = known(values)
        return sum(found) if len(found) == len(values) else None

    memory = pair(gib_from_mib(total([g.memory_used_mib for g in gpus])),
                  gib_from_mib(total([g.memory_total_mib for g in gpus])), "G", 1)  # fmt: skip
    power = pair(total([g.power_draw_w for g in gpus]), total([g.power_limit_w for g in gpus]), "W")
    line = f"GPUs on {snapshot.host}: {models(gpus)} · utilisation {busy} · memory {memory} · {power}"
    return line + (" (a replayed recording)" if snapshot.recording else "")
