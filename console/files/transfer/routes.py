"""Which way files go between two kinds of side: one table keyed on the endpoint types.

    this machine -> this machine   BlockCopy (the endpoints' own reads and writes)
    this machine <-> host          HostUpload / HostDownload (pooled connection for small
                                   files, OpenSSH streams for big ones, resumable)
    this machine <-> S3            S3Upload / S3Download (boto3's managed transfer)
    host <-> S3                    ``aws s3 cp`` as a job on the host (also for this
                                   machine reached as a host)
    host -> host, S3 -> S3         refused

A pair missing from the table is looked up again with each side's parent types, so this
machine reached as a host copies to a host, or to this machine, as this machine does.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.files.transfer.copiers import BlockCopy, FileCopier, S3Download, S3Upload
from console.files.transfer.endpoints import (
    Endpoint,
    HostEndpoint,
    LocalEndpoint,
    LocalHostEndpoint,
    S3Endpoint,
)
from console.files.transfer.errors import TransferError
from console.files.transfer.host_copiers import HostDownload, HostUpload
from console.files.transfer.host_s3_job import HostS3Job, HostToS3Job, S3ToHostJob


@dataclass(frozen=True)
class Route:
    """File by file with ``copier``, or one ``job`` on the host, or ``refusal``."""

    copier: type[FileCopier] | None = None
    job: type[HostS3Job] | None = None
    refusal: str | None = None


ROUTES: dict[tuple[type[Endpoint], type[Endpoint]], Route] = {
    (LocalEndpoint, LocalEndpoint): Route(copier=BlockCopy),
    (LocalEndpoint, HostEndpoint): Route(copier=HostUpload),
    (HostEndpoint, LocalEndpoint): Route(copier=HostDownload),
    (LocalEndpoint, S3Endpoint): Route(copier=S3Upload),
    (S3Endpoint, LocalEndpoint): Route(copier=S3Download),
    (HostEndpoint, S3Endpoint): Route(job=HostToS3Job),
    (S3Endpoint, HostEndpoint): Route(job=S3ToHostJob),
    # this machine as a host: its S3 copies run there as jobs too (they outlive the console)
    (LocalHostEndpoint, S3Endpoint): Route(job=HostToS3Job),
    (S3Endpoint, LocalHostEndpoint): Route(job=S3ToHostJob),
    (HostEndpoint, HostEndpoint): Route(
        refusal="Copying from one host to another is not supported: copy to this machine "
        "first, or through S3."
    ),
    (S3Endpoint, S3Endpoint): Route(refusal="Copying from S3 to S3 is not supported by cp."),
}


def route_for(source: Endpoint, destination: Endpoint) -> Route:
    """The route from ``source`` to ``destination``: the table's entry for their types, or
    for their nearest parent types. Raises TransferError for a pair it does not know."""
    for source_type in type(source).__mro__:
        for destination_type in type(destination).__mro__:
            route = ROUTES.get((source_type, destination_type))
            if route is not None:
                return route
    raise TransferError(f"Cannot copy {source.label()} to {destination.label()}.")
