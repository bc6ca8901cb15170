"""The bundle of backends the app receives.

``make_app(settings, services)`` gets one ``Services``; screens reach AWS and hosts only
through it and receive ``console.models`` values. Tests build a ``Services`` against moto's
server and real hosts; the demo builds one against its in-process endpoint.

Every method here blocks (network, disk): the UI calls them from thread workers only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from console.hosts.base import Host
from console.models import Bucket, Instance
from console.settings import Settings


class Ec2Backend(Protocol):
    def list_instances(self) -> list[Instance]:
        """All instances of the region, terminated ones included (``aws ec2 describe-instances``).

        Raises CredentialsError, AccessDeniedError, EndpointError, ThrottledError.
        """
        ...


class S3Backend(Protocol):
    def list_buckets(self) -> list[Bucket]:
        """All buckets of the account (``aws s3api list-buckets``)."""
        ...


class HostResolver(Protocol):
    def host_for(self, target: str) -> Host:
        """The host for an instance id, an ssh alias, or "local". Raises HostConfigError."""
        ...


@dataclass
class Services:
    settings: Settings
    ec2: Ec2Backend
    s3: S3Backend
    hosts: HostResolver
    #: called once by ``close()``: stop the demo endpoint, close SSH connections
    on_close: list[Callable[[], None]] = field(default_factory=list)

    @property
    def read_only(self) -> bool:
        return self.settings.read_only

    def close(self) -> None:
        callbacks, self.on_close = self.on_close, []
        for callback in reversed(callbacks):
            callback()
