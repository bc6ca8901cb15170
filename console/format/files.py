"""How the Files view writes sizes, rates, durations, text progress bars, and the state of a
transfer (the same words in the queue, the bucket browser and ``awsconsole cp``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from console.models import ExtensionCount, FileCount, TransferProgress, TransferState
from console.models.files import FOLDERS_ROW, TransferTotals

if TYPE_CHECKING:
    from rich.text import Text

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


def text_bar(done: int, total: int, width: int = 12, *, style: str = "green") -> Text:
    """A progress bar that fits in a table cell: ``██████░░░░░░  50%`` (an empty total is
    nothing done: ``░░░░░░░░░░░░   0%``)."""
    # rich loads with the screens that draw bars: the CLI's tables never need it
    from rich.text import Text

    fraction = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = int(round(fraction * width))
    bar = Text("█" * filled, style=style)
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {fraction * 100:3.0f}%")
    return bar


#: how each state of a transfer is coloured (its word, its bar)
TRANSFER_STYLES = {
    TransferState.QUEUED: "dim",
    TransferState.RUNNING: "cyan",
    TransferState.PAUSED: "yellow",
    TransferState.DONE: "green",
    TransferState.SKIPPED: "green",
    TransferState.FAILED: "bold red",
    TransferState.CANCELLED: "dim",
}


def transfer_style(progress: TransferProgress) -> str:
    """The colour of a transfer: its state's, and a warning for a done one that refused
    names."""
    if progress.refused and not progress.state.active and progress.state is not TransferState.FAILED:
        return "yellow"
    return TRANSFER_STYLES[progress.state]


def transfer_state_text(progress: TransferProgress) -> str:
    """The state of one transfer in words, with its reason: ``queued``, ``running``,
    ``running: job ID on HOST``, ``paused``, ``done``, ``done, 2 refused``, ``skipped
    (identical)``, ``failed: REASON``, ``cancelled``."""
    state = progress.state
    refused = f", {progress.refused} refused" if progress.refused else ""
    if state is TransferState.SKIPPED:
        return f"skipped (identical){refused}"
    if state is TransferState.FAILED:
        return f"failed: {progress.reason or 'no reason given'}{refused}"
    if state is TransferState.CANCELLED:
        return f"cancelled{refused}"
    if state is TransferState.RUNNING and progress.job_id:
        host = f" on {progress.job_host}" if progress.job_host else ""
        return f"running: job {progress.job_id}{host}{refused}"
    return f"{state.value}{refused}"


def transfer_bar(progress: TransferProgress, width: int = 12) -> Text:
    """A transfer's bar in its state's colour: a done one full (what could be written was),
    any other at the bytes it really moved (a failed copy never shows a full bar)."""
    if progress.state in (TransferState.DONE, TransferState.SKIPPED):
        total = max(progress.bytes_total, 1)
        return text_bar(total, total, width, style=transfer_style(progress))
    return text_bar(progress.bytes_done, progress.bytes_total, width, style=transfer_style(progress))


def transfer_totals_text(totals: TransferTotals) -> str:
    """The queue in one line: each state counted apart, then files, bytes, rate and ETA
    (``3 transfers: 1 running, 1 done, 1 failed · 4/9 files · 1.0 MiB of 2.0 MiB · …``)."""
    if totals.count == 0:
        return "No transfers."
    counts = [
        (totals.running, "running"),
        (totals.paused, "paused"),
        (totals.queued, "queued"),
        (totals.done, "done"),
        (totals.failed, "failed"),
        (totals.cancelled, "cancelled"),
    ]
    states = ", ".join(f"{number} {word}" for number, word in counts if number)
    plural = "transfer" if totals.count == 1 else "transfers"
    parts = [
        f"{totals.count} {plural}: {states}",
        f"{totals.files_done}/{totals.files_total} files",
        f"{human_bytes(totals.bytes_done)} of {human_bytes(totals.bytes_total)}",
    ]
    if totals.running:
        parts.append(f"{human_rate(totals.rate)} · ETA {human_eta(totals.eta)}")
    if totals.refused:
        parts.append(f"{totals.refused} name(s) refused")
    return " · ".join(parts)


def extension_label(extension: str) -> str:
    """An extension as a table shows it (files without one are ``(none)``, the folders of
    a top-level compare ``(folders)``)."""
    if extension == FOLDERS_ROW:
        return "(folders)"
    return extension or "(none)"


def extension_rows(count: FileCount) -> Iterator[ExtensionCount]:
    """The extension rows of a count, most files first (what a table shows)."""
    yield from sorted(count.by_extension, key=lambda row: (-row.files, row.extension))
