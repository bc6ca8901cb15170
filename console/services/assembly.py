"""The services for an AWS account (or an endpoint such as moto's server): EC2 and S3 for
the settings' profile and region, and this machine or SSH hosts for the rest.

The AWS backends are made when first used: ``awsconsole count DIR`` or ``run local`` never
load boto3 (about a third of a second) and never read the AWS configuration.
"""

from __future__ import annotations

import threading
from typing import Any

from console.hosts import HostPool
from console.models import AwsTarget
from console.services.bundle import AwsBackends, Services
from console.settings import Settings


def _account_backends(settings: Settings) -> AwsBackends:
    """The backends for a real account (or an endpoint such as moto's server) with
    ``settings``' profile and region, the credentials tried once with ``aws sts
    get-caller-identity`` so that expired, rejected or missing ones raise CredentialsError
    here rather than in every view. Raises ConfigError (unknown profile)."""
    # boto3 loads with the first AWS backend (see the module's docstring)
    from console.aws.session import AwsSession

    aws = AwsSession(settings)
    try:
        identity = aws.identity()
    except BaseException:
        aws.close()
        raise
    return _session_backends(aws, AwsTarget(settings.profile, aws.region, identity))


def _session_backends(aws: Any, target: AwsTarget) -> AwsBackends:
    # boto3 loads with the first AWS backend (see the module's docstring)
    from console.aws.ec2.service import Ec2Service
    from console.services.s3_files import s3_with_files

    return AwsBackends(
        settings=aws.settings,
        ec2=Ec2Service(aws),
        s3=s3_with_files(aws),
        close=aws.close,
        target=target,
    )


class _FirstUse:
    """The AWS backends of one session, made on first use (thread-safe)."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._lock = threading.Lock()
        self._backends: AwsBackends | None = None
        #: the session the backends share (``console.aws.session.AwsSession``)
        self.session: Any = None

    def get(self) -> AwsBackends:
        with self._lock:
            if self._backends is None:
                # boto3 loads with the first AWS backend (see the module's docstring)
                from console.aws.session import AwsSession

                self.session = AwsSession(self._settings)
                self._backends = _session_backends(
                    self.session, AwsTarget(self._settings.profile, self.session.region)
                )
            return self._backends

    def close(self) -> None:
        with self._lock:
            backends, self._backends = self._backends, None
        if backends is not None:
            backends.close()


class _Deferred:
    """Stands for one AWS backend until it is used: attribute access makes it."""

    def __init__(self, first_use: _FirstUse, name: str):
        self._first_use = first_use
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(getattr(self._first_use.get(), self._name), attribute)

    def __repr__(self) -> str:
        return f"<{self._name} of the account, made on first use>"


def build_account_services(settings: Settings, *, require_credentials: bool = False) -> Services:
    """The backends for ``settings``' account: "local" is this machine and any other target
    an SSH host (alias, ``user@host:port``). Raises ConfigError (unknown profile) and, with
    ``require_credentials``, CredentialsError when no credentials are configured.
    """
    first_use = _FirstUse(settings)
    if require_credentials:
        # no API call: only whether the chain (env, profile, SSO, role) yields credentials
        first_use.get()
        first_use.session.require_credentials()
    hosts = HostPool()
    return Services(
        settings=settings,
        ec2=_Deferred(first_use, "ec2"),  # type: ignore[arg-type]
        s3=_Deferred(first_use, "s3"),  # type: ignore[arg-type]
        hosts=hosts,
        # close() runs these in reverse: hosts, then the AWS connections
        on_close=[first_use.close, hosts.close_all],
        connect=_account_backends,
    )
