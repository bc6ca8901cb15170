"""The Files view's way to its backends: counts and the transfer queue of the services'
files backend (which refuses, while the console is read-only, every copy that changes
something)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import FilesBackend, Services, TransferQueue


def counter_for(services: Services) -> FilesBackend:
    """Counts of local paths, hosts and S3 through ``services`` (the CLI's ``count`` twin):
    ``count(location, options, …)`` and ``compare(locations, options, …)``."""
    return services.files


def transfer_engine_for(services: Services) -> TransferQueue:
    """The transfer queue of ``awsconsole cp`` on these services (blocking on first use:
    the engine's S3 side loads boto3)."""
    return services.files.transfers
