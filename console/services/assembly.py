"""The services for an AWS account (or an endpoint such as moto's server): real EC2 and S3
clients for the settings' profile and region, and this machine or SSH hosts for the rest."""

from __future__ import annotations

from console.models import AwsTarget
from console.services.bundle import AwsBackends, Services
from console.settings import Settings


def _account_backends(settings: Settings) -> AwsBackends:
    """The backends for a real account (or an endpoint such as moto's server) with
    ``settings``' profile and region, the credentials tried once with ``aws sts
    get-caller-identity`` so that expired, rejected or missing ones raise CredentialsError
    here rather than in every view. Raises ConfigError (unknown profile)."""
    from console.aws.session import AwsSession

    aws = AwsSession(settings)
    try:
        identity = aws.identity()
    except BaseException:
        aws.close()
        raise
    return _session_backends(aws, AwsTarget(settings.profile, aws.region, identity))


def _session_backends(aws, target: AwsTarget) -> AwsBackends:
    from console.aws.ec2.service import Ec2Service
    from console.services.s3_files import s3_with_files

    return AwsBackends(
        settings=aws.settings,
        ec2=Ec2Service(aws),
        s3=s3_with_files(aws),
        close=aws.close,
        target=target,
    )


def build_account_services(settings: Settings, *, require_credentials: bool = False) -> Services:
    """The backends for ``settings``' account: "local" is this machine and any other target
    an SSH host (alias, ``user@host:port``). Raises ConfigError (unknown profile) and, with
    ``require_credentials``, CredentialsError when no credentials are configured.
    """
    from console.aws.session import AwsSession
    from console.hosts import HostPool

    session = AwsSession(settings)
    if require_credentials:
        # no API call: only whether the chain (env, profile, SSO, role) yields credentials
        session.require_credentials()
    aws = _session_backends(session, AwsTarget(settings.profile, session.region))
    hosts = HostPool()
    return Services(
        settings=settings,
        ec2=aws.ec2,
        s3=aws.s3,
        hosts=hosts,
        # close() runs these in reverse: hosts, then the AWS connections
        on_close=[aws.close, hosts.close_all],
        connect=_account_backends,
    )
