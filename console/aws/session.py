"""One boto3 session per console: profile, region and endpoint from ``Settings``.

Clients are created once per service and shared (boto3 clients are thread-safe; creating
them is not, hence the lock). Every client uses adaptive retries, so throttling answers
(503 SlowDown, Throttling, RequestLimitExceeded) are retried with a client-side rate limit
instead of reaching the user, and timeouts short enough that a dead endpoint is reported
in seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore import exceptions as boto
from botocore.config import Config

from console.aws.errors import translate, translate_errors
from console.models import AwsIdentity, AwsProfile, AwsRegion
from console.settings import Settings

#: connection failures are retried this many times at most (throttling keeps all 10
#: attempts): a wrong endpoint or a dead network should be reported within seconds, not
#: after a minute of exponential back-off.
CONNECTION_ATTEMPTS = 3

CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=5,
    read_timeout=60,
    max_pool_connections=32,
    tcp_keepalive=True,
)
#: S3 signs with SigV4 everywhere, presigned URLs included (without it botocore still
#: presigns in the older form some regions no longer accept; SigV4 allows up to 7 days)
S3_CLIENT_CONFIG = CLIENT_CONFIG.merge(Config(signature_version="s3v4"))


@dataclass(frozen=True)
class StaticCredentials:
    """Explicit keys for one session only (the demo's fake account); never put in os.environ."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


#: botocore's loader of service models, one per data path for the whole process (see
#: ``botocore_session``)
_LOADERS: dict[str | None, Any] = {}
_LOADERS_LOCK = threading.Lock()
#: no profile, whatever AWS_PROFILE says (a session given explicit keys)
NO_PROFILE = {"profile": (None, None, None, None)}


def botocore_session(
    profile: str | None = None, *, no_profile: bool = False
) -> botocore.session.Session:
    """A new botocore session whose service models come from this process's one loader.

    Each botocore session otherwise has a loader of its own, which parses the service models
    again: EC2's alone is megabytes of JSON, 0.2 s of CPU for EC2, S3 and STS clients on a
    fresh loader against 0.02 s on a warm one. The console makes a session for every
    profile or region it is switched to (and the tests one per console they build); the
    models are read-only data, so one loader (per AWS_DATA_PATH) serves them all.

    ``profile`` names the profile (set before anything is read: the data path may be
    one of its settings); ``no_profile`` ignores AWS_PROFILE (a session with explicit keys).
    """
    session = botocore.session.Session(session_vars=NO_PROFILE if no_profile else None)
    if profile is not None:
        session.set_config_variable("profile", profile)
    data_path = session.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(data_path)
        if loader is None:
            loader = _LOADERS[data_path] = session.get_component("data_loader")
    session.register_component("data_loader", loader)
    return session


def _boto3_session(core: botocore.session.Session, **options: Any) -> boto3.Session:
    """``boto3.Session(botocore_session=core, **options)``. boto3 appends its own data
    folder to the loader's search paths for every session it makes: on the shared loader
    the repeats are dropped again, keeping its list as one session would leave it."""
    with _LOADERS_LOCK:
        session = boto3.Session(botocore_session=core, **options)
        paths = core.get_component("data_loader").search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


class AwsSession:
    """boto3 clients for the account and region the settings name.

    Raises ConfigError (unknown profile) when constructed, and ``client()`` raises
    ConfigError when no region is configured.
    """

    def __init__(self, settings: Settings, *, credentials: StaticCredentials | None = None):
        self.settings = settings
        self.endpoint_url = settings.endpoint_url
        keys: dict[str, Any] = {}
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials.access_key_id,
                "aws_secret_access_key": credentials.secret_access_key,
                "aws_session_token": credentials.session_token,
            }
        with translate_errors("aws", region=settings.region, profile=settings.profile):
            # explicit keys (the demo) must not depend on the user's AWS_PROFILE, which
            # may name a profile this machine does not have
            no_profile = credentials is not None and settings.profile is None
            self._session = _boto3_session(
                botocore_session(settings.profile, no_profile=no_profile),
                profile_name=settings.profile,
                region_name=settings.region,
                **keys,
            )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def region(self) -> str | None:
        """The region in effect: --region, else the profile's, else AWS_DEFAULT_REGION."""
        return self._session.region_name

    @property
    def profile(self) -> str | None:
        return self.settings.profile

    def identity(self) -> AwsIdentity:
        """Whose credentials these are (``aws sts get-caller-identity``); needs no IAM
        permission, so it checks that the credentials work without touching any resource.

        Raises CredentialsError (none configured, expired SSO session or ExpiredToken,
        rejected keys), ConfigError (no region), EndpointError.
        """
        sts = self.client("sts")
        with self.errors("sts"):
            answer = sts.get_caller_identity()
        return AwsIdentity(account=str(answer.get("Account", "")), arn=str(answer.get("Arn", "")))

    def require_credentials(self) -> None:
        """Resolve the credential chain (env, profile, SSO, instance role) once.

        Raises CredentialsError saying how to configure when nothing provides credentials,
        or how to refresh an expired SSO session. Calls no AWS API.
        """
        with self.errors("aws"):
            if self._session.get_credentials() is None:
                raise boto.NoCredentialsError()

    def client(self, service: str) -> Any:
        """The shared boto3 client for ``service`` (created on first use)."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                # checked before the region: with nothing configured, "configure your
                # credentials" (which sets a region too) is the useful first message
                self.require_credentials()
                with self.errors(service):
                    client = self._session.client(
                        service,
                        endpoint_url=self.endpoint_url,
                        config=S3_CLIENT_CONFIG if service == "s3" else CLIENT_CONFIG,
                    )
                client.meta.events.register_first(
                    f"needs-retry.{client.meta.service_model.service_id.hyphenize()}",
                    _give_up_on_unreachable_endpoint,
                )
                self._clients[service] = client
            return client

    def errors(self, service: str):
        """Context manager translating this service's failures (``with aws.errors("ec2"):``)."""
        return translate_errors(
            service, endpoint_url=self.endpoint_url, region=self.region, profile=self.profile
        )

    def translate(self, exc: BaseException, service: str):
        return translate(
            exc,
            service=service,
            endpoint_url=self.endpoint_url,
            region=self.region,
            profile=self.profile,
        )

    def close(self) -> None:
        """Close every client's connection pool (the demo server then has no open sockets)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def _give_up_on_unreachable_endpoint(
    attempts: int, caught_exception: BaseException | None = None, **_: Any
) -> None:
    """botocore's ``needs-retry`` hook: stop retrying connection failures early.

    Returning None leaves the decision to the adaptive retry handler; raising the caught
    exception ends the call with it.
    """
    unreachable = (boto.EndpointConnectionError, boto.ConnectTimeoutError)
    if isinstance(caught_exception, unreachable) and attempts >= CONNECTION_ATTEMPTS:
        raise caught_exception


# -- what the profile and region picker offers --------------------------------------------

#: EC2 regions of the public partition, for when botocore's endpoint data cannot be read
SHIPPED_REGIONS: tuple[AwsRegion, ...] = (
    AwsRegion("us-east-1", "US East (N. Virginia)"),
    AwsRegion("us-east-2", "US East (Ohio)"),
    AwsRegion("us-west-1", "US West (N. California)"),
    AwsRegion("us-west-2", "US West (Oregon)"),
    AwsRegion("ca-central-1", "Canada (Central)"),
    AwsRegion("sa-east-1", "South America (Sao Paulo)"),
    AwsRegion("eu-west-1", "Europe (Ireland)"),
    AwsRegion("eu-west-2", "Europe (London)"),
    AwsRegion("eu-west-3", "Europe (Paris)"),
    AwsRegion("eu-central-1", "Europe (Frankfurt)"),
    AwsRegion("eu-north-1", "Europe (Stockholm)"),
    AwsRegion("eu-south-1", "Europe (Milan)"),
    AwsRegion("ap-northeast-1", "Asia Pacific (Tokyo)"),
    AwsRegion("ap-northeast-2", "Asia Pacific (Seoul)"),
    AwsRegion("ap-northeast-3", "Asia Pacific (Osaka)"),
    AwsRegion("ap-southeast-1", "Asia Pacific (Singapore)"),
    AwsRegion("ap-southeast-2", "Asia Pacific (Sydney)"),
    AwsRegion("ap-south-1", "Asia Pacific (Mumbai)"),
    AwsRegion("ap-east-1", "Asia Pacific (Hong Kong)"),
    AwsRegion("me-south-1", "Middle East (Bahrain)"),
    AwsRegion("af-south-1", "Africa (Cape Town)"),
)


def profile_kind(values: Mapping[str, Any]) -> str:
    """How a profile's section gets credentials: "sso", "role", "process", "keys", or
    "config" (only settings such as a region; the rest of the chain supplies keys)."""
    if "sso_session" in values or "sso_start_url" in values:
        return "sso"
    if "role_arn" in values:
        return "role"
    if "credential_process" in values:
        return "process"
    if "aws_access_key_id" in values:
        return "keys"
    return "config"


def profiles_from_config(sections: Mapping[str, Mapping[str, Any]]) -> list[AwsProfile]:
    """The profiles of a parsed config (botocore's ``full_config["profiles"]``), by name,
    after the standard chain (no profile: what the environment and ``default`` give)."""
    listed = [AwsProfile(None, "chain")]
    for name in sorted(sections):
        values = sections[name] or {}
        region = values.get("region")
        listed.append(AwsProfile(name, profile_kind(values), str(region) if region else None))
    return listed


def available_profiles() -> list[AwsProfile]:
    """Every profile of ~/.aws/config and ~/.aws/credentials (or the files AWS_CONFIG_FILE
    and AWS_SHARED_CREDENTIALS_FILE name), SSO ones included; reads the files each time,
    so a profile added by ``aws configure sso`` meanwhile is there.

    Raises ConfigError naming the file when one cannot be parsed.
    """
    session = botocore.session.Session(session_vars=NO_PROFILE)
    with translate_errors("aws"):
        sections = session.full_config.get("profiles", {})
    return profiles_from_config(sections)


def regions_from_endpoints(endpoints: Mapping[str, Any], names: list[str]) -> list[AwsRegion]:
    """``names`` with the human descriptions of botocore's endpoint data (``endpoints.json``);
    a name without one keeps an empty description."""
    descriptions: dict[str, str] = {}
    for partition in endpoints.get("partitions", []):
        for region, info in (partition.get("regions") or {}).items():
            descriptions[region] = str((info or {}).get("description", ""))
    return [AwsRegion(name, descriptions.get(name, "")) for name in sorted(set(names))]


def available_regions(service: str = "ec2") -> list[AwsRegion]:
    """The regions ``service`` runs in (botocore's endpoint data, no API call), sorted by
    name; the shipped list when that data cannot be read."""
    try:
        session = botocore_session(no_profile=True)
        names = session.get_available_regions(service)
        regions = regions_from_endpoints(session.get_data("endpoints"), names)
    except (boto.BotoCoreError, OSError, ValueError, KeyError):
        regions = []
    return regions or sorted(SHIPPED_REGIONS, key=lambda r: r.name)
