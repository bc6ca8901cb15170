"""How the Files view writes sizes, rates, durations and text progress bars."""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text

from console.models import ExtensionCount, FileCount

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(value: float | None) -> str:
    """``1536`` -> ``1.5 KiB``; None (not measured) -> ``—``."""
    if value is None:
        return "—"
    amount = float(value)
    for unit in _UNITS:
        if abs(amount) < 1024 or unit == _UNITS[-1]:
            return f"{int(amount)} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} {_UNITS[-1]}"


def human_rate(bytes_per_second: float) -> str:
    return f"{human_bytes(bytes_per_second)}/s" if bytes_per_second > 0 else "—"


def human_eta(seconds: float | None) -> str:
    """``75`` -> ``1m15s``; unknown -> ``—``."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def text_bar(done: int, total: int, width: int = 12) -> Text:
    """A progress bar that fits in a table cell: ``██████░░░░░░  50%``."""
    fraction = 1.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = int(round(fraction * width))
    bar = Text("█" * filled, style="green")
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {fraction * 100:3.0f}%")
    return bar


def extension_label(extension: str) -> str:
    """An extension as a table shows it (files without one are ``(none)``)."""
    return extension or "(none)"


def extension_rows(count: FileCount) -> Iterator[ExtensionCount]:
    """The extension rows of a count, most files first (what a table shows)."""
    yield from sorted(count.by_extension, key=lambda row: (-row.files, row.extension))
