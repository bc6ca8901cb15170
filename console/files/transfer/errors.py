"""The errors a transfer stops with (each one line for a person, with a hint where one helps)."""

from __future__ import annotations

from console.errors import ConsoleError

#: what to do about a full disk, wherever it is
DISK_FULL_HINT = "Free some space there (or choose another destination) and copy again."


class TransferError(ConsoleError):
    title = "Transfer"


class DiskFullError(TransferError):
    title = "Disk full"


class TransferCancelled(TransferError):
    title = "Transfer cancelled"


def cancelled() -> TransferCancelled:
    """The one way a cancelled transfer is told."""
    return TransferCancelled("The transfer was cancelled.")


def disk_full(where: str, detail: str = "") -> DiskFullError:
    """``The disk holding WHERE is full[: DETAIL].`` with the hint."""
    message = f"The disk holding {where} is full{': ' + detail if detail else ''}."
    return DiskFullError(message, hint=DISK_FULL_HINT)
