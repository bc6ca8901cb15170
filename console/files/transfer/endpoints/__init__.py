"""The sides of a copy: this machine, a host over SSH, S3 (``base.Endpoint`` says what each
answers), and ``endpoint_for``, which turns a parsed location into one."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from console.files.transfer.endpoints.base import (
    Checksum,
    Endpoint,
    Entry,
    EntryKind,
    ListedFile,
    Pending,
)
from console.files.transfer.endpoints.host import HostEndpoint, measure_rtt, refused_on_host
from console.files.transfer.endpoints.local import LocalEndpoint, LocalHostEndpoint
from console.files.transfer.endpoints.s3 import S3Endpoint
from console.hosts.base import Host
from console.hosts.local import LocalHost
from console.models.location import Location

__all__ = [
    "Checksum",
    "Endpoint",
    "Entry",
    "EntryKind",
    "HostEndpoint",
    "ListedFile",
    "LocalEndpoint",
    "LocalHostEndpoint",
    "Pending",
    "S3Endpoint",
    "endpoint_for",
    "measure_rtt",
    "refused_on_host",
]


def endpoint_for(
    location: Location,
    host_for: Callable[[str], Host],
    s3_client: Callable[[], Any] | None,
    python: str = "python3",
) -> Endpoint:
    """The endpoint of ``location``: ``host_for(name)`` gives the Host of ``HOST:path``
    (this machine as a host is copied as local files, with its S3 copies run there as
    jobs), ``s3_client()`` the boto3 client, ``python`` the interpreter for the host's
    helper. A host's ``~`` is expanded by the host; a local one here."""
    if location.kind == "s3":
        return S3Endpoint(location.bucket, location.path, s3_client)
    if location.kind == "host":
        host = host_for(location.host)
        if isinstance(host, LocalHost):
            return LocalHostEndpoint(host.expand(location.path), host)
        return HostEndpoint(host, host.expand(location.path), python)
    return LocalEndpoint(os.path.abspath(os.path.expanduser(location.path)))
