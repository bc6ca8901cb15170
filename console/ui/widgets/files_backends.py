"""The Files view's way to its backends: counts, unpacking and the transfer engine, built on
what ``services`` exposes (hosts by name, the shared S3 client) and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.files.count import CountError, FileCounter

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services


def s3_client_of(services: Services) -> Any:
    """The services' shared S3 client (blocking: creating it reads the service model).

    Raises CountError when the S3 backend offers no client (S3 locations cannot be used).
    """
    client = getattr(services.s3, "client", None)
    if not callable(client):
        raise CountError("This console's S3 backend offers no client: S3 prefixes cannot be used.")
    return client()


def counter_for(services: Services) -> FileCounter:
    """A FileCounter reaching hosts and S3 through ``services`` (the CLI's ``count`` twin)."""
    return FileCounter(host_for=services.hosts.host_for, s3_client=lambda: s3_client_of(services))


def transfer_engine_for(services: Services) -> Any:
    """The transfer queue engine of ``awsconsole cp`` on these services.

    Imported here, on first use: the engine's S3 side loads boto3, which the UI must not
    load merely by being imported.
    """
    from console.files.transfer import engine_for

    return engine_for(services)
