"""Reading the locations of a transfer (``TransferSpec`` and ``Policy``, what a person asks a
transfer for, are values of ``console.models``; re-exported here for the engine's modules)."""

from __future__ import annotations

from console.files.transfer.errors import TransferError
from console.models import Policy, TransferSpec
from console.models.location import Location
from console.models.location import parse_location as parse_any_location


def parse_location(text: str) -> Location:
    """Read ``/local/path``, ``HOST:path`` or ``s3://bucket/key`` (console.models.location).

    Raises TransferError for an empty location, a missing bucket or an impossible host name.
    """
    return parse_any_location(text, error=TransferError)


__all__ = ["Policy", "TransferSpec", "parse_location"]
