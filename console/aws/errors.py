"""Translate botocore and boto3 failures into ``console.errors`` at the AWS boundary.

Every AWS call of the console runs inside ``translate_errors(service)``; the UI and the
command line then only ever see ``ConsoleError`` subclasses whose message says what went
wrong and whose hint says what to do about it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import botocore.session
from botocore import exceptions as boto
from botocore.parsers import ResponseParserError

from console.errors import (
    AccessDeniedError,
    AwsError,
    ConfigError,
    ConsoleError,
    CredentialsError,
    EndpointError,
    NotFoundError,
    ThrottledError,
)

HOW_TO_CONFIGURE = (
    "Configure credentials with `aws configure` (or `aws configure sso`), choose a profile "
    "with AWS_PROFILE or --profile, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(and AWS_DEFAULT_REGION). "
    "To try the console without an account, run `awsconsole --demo`."
)

HOW_TO_REFRESH = (
    "Refresh your session (`aws sso login --profile NAME` for SSO, or fetch new temporary "
    "credentials) and try again."
)


def refresh_hint(profile: str | None) -> str:
    """What to do about expired credentials, naming the profile when there is one."""
    if not profile:
        return HOW_TO_REFRESH
    return (
        f"Refresh the session of profile {profile!r}: `aws sso login --profile {profile}` "
        "for an SSO profile, or fetch new temporary credentials (a new aws_session_token in "
        "~/.aws/credentials, or re-run what exported them); then try again, or switch to "
        "another profile."
    )


def _who(profile: str | None, region: str | None) -> str:
    """The words ' with profile dev in eu-west-1' for a message (empty when neither is known)."""
    parts = []
    if profile:
        parts.append(f"with profile {profile}")
    if region:
        parts.append(f"in {region}")
    return (" " + " ".join(parts)) if parts else ""


def profile_file_paths() -> tuple[str, str]:
    """The config and credentials files botocore reads (the env variables move them)."""
    return (
        os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config",
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
    )


def known_profile_names() -> list[str]:
    """The profile names of the config and credentials files (empty when unreadable)."""
    try:
        session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
        return sorted(session.full_config.get("profiles", {}))
    except (boto.BotoCoreError, OSError, ValueError):
        return []


def unknown_profile_error(profile: str | None) -> ConfigError:
    """A ConfigError naming the profile that does not exist and the ones that do."""
    config_file, credentials_file = profile_file_paths()
    names = known_profile_names()
    known = (
        "Profiles on this machine: " + ", ".join(names) + "."
        if names
        else "No profile is defined on this machine."
    )
    return ConfigError(
        f"The AWS profile {profile!r} is not defined in {config_file} or {credentials_file}.",
        hint=f"{known} Create one with `aws configure --profile NAME` "
        "(or `aws configure sso`), or pick another.",
    )


EXPIRED_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
)
REJECTED_CREDENTIAL_CODES = frozenset(
    {
        "AuthFailure",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidToken",
    }
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "403"}
)
THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
    }
)
NOT_FOUND_CODES = frozenset({"NoSuchBucket", "NoSuchKey", "NotFound", "404"})
WRONG_REGION_CODES = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
)

#: operations whose IAM action is not simply service:OperationName
_IAM_ACTIONS = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "HeadBucket"): "s3:ListBucket",
}


def iam_action(service: str, operation: str | None) -> str:
    """The IAM action a policy must allow for ``operation`` (e.g. ``ec2:DescribeInstances``)."""
    if not operation:
        return f"{service}:*"
    return _IAM_ACTIONS.get((service, operation), f"{service}:{operation}")


def translate(
    exc: BaseException,
    *,
    service: str = "aws",
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
) -> ConsoleError:
    """The ``ConsoleError`` a person should see for a botocore/boto3 exception.

    ``endpoint_url`` and ``region`` name where the call went, for connection failures;
    ``profile`` (the one chosen, None for the standard chain) goes into the advice for
    expired or denied credentials. An exception that is already a ``ConsoleError`` is
    returned unchanged.
    """
    if isinstance(exc, ConsoleError):
        return exc
    if isinstance(exc, boto.ClientError):
        return _from_client_error(exc, service=service, region=region, profile=profile)
    if isinstance(exc, (boto.NoCredentialsError, boto.PartialCredentialsError)):
        return CredentialsError(
            "No AWS credentials were found"
            + ("" if isinstance(exc, boto.NoCredentialsError) else f" ({exc})")
            + ".",
            hint=HOW_TO_CONFIGURE,
        )
    if isinstance(exc, _sso_expired_classes()):
        whose = f"of profile {profile!r} " if profile else ""
        return CredentialsError(
            f"Your AWS SSO session {whose}has expired or is missing ({exc}).",
            hint=refresh_hint(profile),
        )
    if isinstance(exc, boto.ProfileNotFound):
        return unknown_profile_error(exc.kwargs.get("profile") or profile)
    if isinstance(exc, boto.ConfigParseError):
        return ConfigError(
            f"The AWS config file {exc.kwargs.get('path')} cannot be parsed.",
            hint="Fix the line it names (sections look like [profile NAME]); "
            "`aws configure list-profiles` shows whether it parses.",
        )
    if isinstance(exc, boto.NoRegionError):
        return ConfigError(
            "No AWS region is configured.",
            hint="Pass --region (e.g. --region us-east-1), set AWS_DEFAULT_REGION, or set "
            "`region` in the profile with `aws configure`.",
        )
    if isinstance(
        exc, (boto.EndpointConnectionError, boto.ConnectTimeoutError, boto.ConnectionClosedError)
    ):
        where = exc.kwargs.get("endpoint_url") or endpoint_url or "the AWS endpoint"
        return EndpointError(
            f"Could not connect to {where}" + (f" (region {region})" if region else "") + ".",
            hint="Check the network, the --endpoint-url and the --region; then retry.",
        )
    if isinstance(exc, boto.ReadTimeoutError):
        where = exc.kwargs.get("endpoint_url") or endpoint_url or "the AWS endpoint"
        return EndpointError(f"{where} did not answer in time.", hint="Retry in a moment.")
    if isinstance(exc, ResponseParserError):
        where = endpoint_url or "The AWS endpoint"
        return EndpointError(
            f"{where} answered {service} with something that is not an AWS response.",
            hint="Check --endpoint-url; if it is right, the service had an internal error: retry.",
        )
    if isinstance(exc, boto.ParamValidationError):
        return AwsError(f"Invalid request to {service}: {exc}")
    if isinstance(exc, boto.BotoCoreError):
        return AwsError(f"{service}: {exc}")
    raise TypeError(f"not an AWS exception: {exc!r}")


def _sso_expired_classes() -> tuple[type[Exception], ...]:
    names = ("TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError")
    return tuple(getattr(boto, name) for name in names if hasattr(boto, name))


def _from_client_error(
    exc: boto.ClientError, *, service: str, region: str | None, profile: str | None = None
) -> ConsoleError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    text = str(error.get("Message") or "").strip()
    action = iam_action(service, exc.operation_name)
    detail = f": {text}" if text else ""
    if code in EXPIRED_CODES:
        whose = f" of profile {profile!r}" if profile else ""
        return CredentialsError(
            f"The AWS session token{whose} has expired ({code}).", hint=refresh_hint(profile)
        )
    if code in REJECTED_CREDENTIAL_CODES:
        hint = HOW_TO_CONFIGURE
        if region:
            # a region that is off for the account rejects valid keys the same way
            hint += f" If {region} is an opt-in region, enable it for the account first."
        return CredentialsError(
            f"AWS rejected the credentials{_who(profile, None)} for {action} ({code}{detail}).",
            hint=hint,
        )
    if code in DENIED_CODES:
        identity = f"profile {profile!r}" if profile else "these credentials"
        hint = (
            f"The IAM policy of {identity} must allow {action}: ask your administrator to add "
            "it, or switch to a profile that has it"
        )
        if "Encoded authorization failure message" in text:
            hint += "; `aws sts decode-authorization-message --encoded-message …` explains why"
        return AccessDeniedError(
            f"Not allowed to call {action}{_who(profile, region)} ({code}).", hint=hint + "."
        )
    if code in THROTTLED_CODES:
        return ThrottledError(
            f"AWS throttled {action} ({code}) even after retries.",
            hint="Wait a minute and retry; lower the refresh rate if this keeps happening.",
        )
    if code in NOT_FOUND_CODES or code.endswith(".NotFound"):
        return NotFoundError(f"{action}: {text or code}")
    if code in WRONG_REGION_CODES:
        return EndpointError(
            f"{action} went to the wrong region" + (f" ({region})" if region else "") + f"{detail}",
            hint="Pass the resource's region with --region.",
        )
    return AwsError(f"{action} failed ({code}{detail}).")


@contextmanager
def translate_errors(
    service: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
) -> Iterator[None]:
    """Run a block of AWS calls; botocore/boto3 failures leave it as ``ConsoleError``."""
    try:
        yield
    except (boto.BotoCoreError, boto.ClientError, ResponseParserError) as exc:
        raise translate(
            exc, service=service, endpoint_url=endpoint_url, region=region, profile=profile
        ) from exc
