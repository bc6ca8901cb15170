"""The bundle of backends the app receives.

``make_app(settings, services)`` gets one ``Services``; screens reach AWS and hosts only
through it and receive ``console.models`` values. Tests build a ``Services`` against moto's
server and real hosts; the demo builds one against its in-process endpoint.

Every method here blocks (network, disk): the UI calls them from thread workers only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from console.hosts.base import Host
from console.models import (
    Bucket,
    CountProgress,
    FileCount,
    Instance,
    InstanceTypeInfo,
    S3Page,
    SpotPrice,
    TransferProgress,
    TransferResult,
)
from console.settings import Settings


class Ec2Backend(Protocol):
    def list_instances(self) -> list[Instance]:
        """All instances of the region, terminated ones included (``aws ec2 describe-instances``).

        Raises CredentialsError, AccessDeniedError, EndpointError, ThrottledError.
        """
        ...

    def instance_types(self, names: Iterable[str]) -> dict[str, InstanceTypeInfo]:
        """vCPUs, memory and GPUs of each named type, cached (``aws ec2 describe-instance-types``).

        Unknown names are left out. Raises like ``list_instances``.
        """
        ...


    def spot_prices(
        self, instance_types: Iterable[str], product: str = "Linux/UNIX"
    ) -> dict[tuple[str, str], SpotPrice]:
        """Latest spot price per (type, zone) (``aws ec2 describe-spot-price-history``)."""
        ...


class S3Backend(Protocol):
    def list_buckets(self) -> list[Bucket]:
        """All buckets of the account (``aws s3api list-buckets``)."""
        ...

    def list_page(
        self, bucket: str, prefix: str = "", token: str | None = None, page_size: int = 1000
    ) -> S3Page:
        """One folder-like page (``aws s3api list-objects-v2 --delimiter /``)."""
        ...

    def iter_objects(
        self, bucket: str, prefix: str = "", *, recursive: bool = False, page_size: int = 1000
    ) -> Iterator[S3Page]:
        """Every page under a prefix, lazily (``aws s3 ls [--recursive]``)."""
        ...

    def count_prefix(
        self,
        bucket: str,
        prefix: str,
        *,
        on_progress: Callable[[CountProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCount:
        """Objects and bytes under a prefix, listed in parallel (``aws s3 ls --recursive
        --summarize``)."""
        ...

    def delete(self, bucket: str, key: str) -> int:
        """Delete an object, or a folder with a key ending in / (``aws s3 rm [--recursive]``)."""
        ...

    def presign(self, bucket: str, key: str, expires: int = 3600) -> str:
        """A presigned GET URL (``aws s3 presign``)."""
        ...

    def preview_text(self, bucket: str, key: str, limit: int = 1024 * 1024) -> str:
        """A small text object's content; raises PreviewRefused (``aws s3 cp s3://… -``)."""
        ...

    def transfer(
        self,
        source: str,
        destination: str,
        *,
        recursive: bool = False,
        on_progress: Callable[[TransferProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> TransferResult:
        """Copy between this machine and S3 with progress (``aws s3 cp [--recursive]``)."""
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
    #: the running ``console.demo.DemoEnvironment`` with --demo (its endpoint, sandbox and
    #: whether the bucket contents are uploaded yet); None against a real account
    demo: object | None = None

    @property
    def read_only(self) -> bool:
        return self.settings.read_only

    def close(self) -> None:
        callbacks, self.on_close = self.on_close, []
        for callback in reversed(callbacks):
            callback()


def build_services(settings: Settings, *, require_credentials: bool = False) -> Services:
    """The backends for ``settings``: a real account, or with ``settings.demo`` the embedded one.

    With the demo, its in-process endpoint is started here and stopped by ``close()``, and
    every instance is this machine rooted in a sandbox folder. Otherwise "local" is this
    machine and any other target an SSH host (alias, ``user@host:port``).
    Raises ConfigError (unknown profile, demo cannot start) and, with
    ``require_credentials``, CredentialsError when no credentials are configured.
    """
    from console.aws.ec2 import Ec2Service
    from console.aws.s3 import S3Service
    from console.aws.session import AwsSession
    from console.hosts import HostPool

    on_close: list[Callable[[], None]] = []
    demo = None
    try:
        if settings.demo:
            from console.demo import DemoEc2Service, demo_host_factory, start_demo

            demo = start_demo(settings)
            on_close.append(demo.stop)
            settings = settings.with_overrides(endpoint_url=demo.endpoint_url, region=demo.region)
            # the demo's own session: its clients exist already (creating one parses the
            # service's model, a noticeable share of the start-up time)
            aws = demo.session
            ec2 = DemoEc2Service(aws, demo)
            hosts = HostPool(factory=demo_host_factory(demo, ec2.list_instances))
        else:
            aws = AwsSession(settings)
            if require_credentials:
                aws.require_credentials()
            ec2 = Ec2Service(aws)
            hosts = HostPool()
    except BaseException:
        for callback in reversed(on_close):
            callback()
        raise
    # close() runs these in reverse: hosts, then AWS connections, then the demo server
    on_close += [aws.close, hosts.close_all]
    return Services(
        settings=settings,
        ec2=ec2,
        s3=S3Service(aws),
        hosts=hosts,
        on_close=on_close,
        demo=demo,
    )
