"""One boto3 session per console: profile, region and endpoint from ``Settings``.

Clients are created once per service and shared (boto3 clients are thread-safe; creating
them is not, hence the lock). Every client uses adaptive retries, so throttling answers
(503 SlowDown, Throttling, RequestLimitExceeded) are retried with a client-side rate limit
instead of reaching the user, and timeouts short enough that a dead endpoint is reported
in seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore import exceptions as boto
from botocore.config import Config

from console.aws.errors import translate, translate_errors
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


@dataclass(frozen=True)
class StaticCredentials:
    """Explicit keys for one session only (the demo's fake account); never put in os.environ."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


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
        with translate_errors("aws", region=settings.region):
            botocore_session = None
            if credentials is not None and settings.profile is None:
                # explicit keys (the demo) must not depend on the user's AWS_PROFILE, which
                # may name a profile this machine does not have
                botocore_session = botocore.session.Session(
                    session_vars={"profile": (None, None, None, None)}
                )
            self._session = boto3.Session(
                profile_name=settings.profile,
                region_name=settings.region,
                botocore_session=botocore_session,
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

    def require_credentials(self) -> None:
        """Resolve the credential chain (env, profile, SSO, instance role) once.

        Raises CredentialsError saying how to configure when nothing provides credentials,
        or how to refresh an expired SSO session. Calls no AWS API.
        """
        with translate_errors("aws", endpoint_url=self.endpoint_url, region=self.region):
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
                with translate_errors(service, endpoint_url=self.endpoint_url, region=self.region):
                    client = self._session.client(
                        service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
                    )
                client.meta.events.register_first(
                    f"needs-retry.{client.meta.service_model.service_id.hyphenize()}",
                    _give_up_on_unreachable_endpoint,
                )
                self._clients[service] = client
            return client

    def errors(self, service: str):
        """Context manager translating this service's failures (``with aws.errors("ec2"):``)."""
        return translate_errors(service, endpoint_url=self.endpoint_url, region=self.region)

    def translate(self, exc: BaseException, service: str):
        return translate(exc, service=service, endpoint_url=self.endpoint_url, region=self.region)

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
