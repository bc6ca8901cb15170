"""What a person asks a transfer for: from where, to where, and what to do with a file
that is already there."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.files.transfer.errors import TransferError
from console.models.location import Location
from console.models.location import parse_location as parse_any_location


class Policy(StrEnum):
    """What happens to a file that already exists: ``skip`` (an identical one is skipped, a
    different one is an error: nothing is overwritten), ``overwrite``, or ``keep-both``
    (the new copy gets a `` (1)`` suffix)."""

    SKIP = "skip"
    OVERWRITE = "overwrite"
    KEEP_BOTH = "keep-both"


@dataclass(frozen=True)
class TransferSpec:
    source: str
    destination: str
    recursive: bool = False
    policy: Policy = Policy.SKIP
    #: ssh streams per big file (None: chosen from the file's size and the host's round
    #: trip, see ssh_streams.choose_streams)
    streams: int | None = None


def parse_location(text: str) -> Location:
    """Read ``/local/path``, ``HOST:path`` or ``s3://bucket/key`` (console.models.location).

    Raises TransferError for an empty location, a missing bucket or an impossible host name.
    """
    return parse_any_location(text, error=TransferError)
