"""Translate botocore and boto3 failures into ``console.errors`` at the AWS boundary.

Every AWS call of the console runs inside ``translate_errors(service)``; the UI and the
command line then only ever see ``ConsoleError`` subclasses whose message says what went
wrong and whose hint says what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
) -> ConsoleError:
    """The ``ConsoleError`` a person should see for a botocore/boto3 exception.

    ``endpoint_url`` and ``region`` name where the call went, for connection failures.
    An exception that is already a ``ConsoleError`` is returned unchanged.
    """
    if isinstance(exc, ConsoleError):
        return exc
    if isinstance(exc, boto.ClientError):
        return _from_client_error(exc, service=service, region=region)
    if isinstance(exc, (boto.NoCredentialsError, boto.PartialCredentialsError)):
        return CredentialsError(
            "No AWS credentials were found"
            + ("" if isinstance(exc, boto.NoCredentialsError) else f" ({exc})")
            + ".",
            hint=HOW_TO_CONFIGURE,
        )
    if isinstance(exc, _sso_expired_classes()):
        return CredentialsError(f"Your AWS session has expired ({exc}).", hint=HOW_TO_REFRESH)
    if isinstance(exc, boto.ProfileNotFound):
        return ConfigError(
            f"The AWS profile {exc.kwargs.get('profile')!r} is not defined in ~/.aws/config "
            "or ~/.aws/credentials.",
            hint="List the profiles with `aws configure list-profiles`, or create it with "
            "`aws configure --profile NAME`.",
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


def _from_client_error(exc: boto.ClientError, *, service: str, region: str | None) -> ConsoleError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    text = str(error.get("Message") or "").strip()
    action = iam_action(service, exc.operation_name)
    detail = f": {text}" if text else ""
    if code in EXPIRED_CODES:
        return CredentialsError(
            f"Your AWS session token has expired ({code}).", hint=HOW_TO_REFRESH
        )
    if code in REJECTED_CREDENTIAL_CODES:
        return CredentialsError(
            f"AWS rejected the credentials for {action} ({code}{detail}).", hint=HOW_TO_CONFIGURE
        )
    if code in DENIED_CODES:
        hint = f"Ask for a policy that allows {action}"
        if "Encoded authorization failure message" in text:
            hint += "; `aws sts decode-authorization-message --encoded-message …` explains why"
        return AccessDeniedError(f"Not allowed to call {action} ({code}).", hint=hint + ".")
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
    service: str, *, endpoint_url: str | None = None, region: str | None = None
) -> Iterator[None]:
    """Run a block of AWS calls; botocore/boto3 failures leave it as ``ConsoleError``."""
    try:
        yield
    except (boto.BotoCoreError, boto.ClientError, ResponseParserError) as exc:
        raise translate(exc, service=service, endpoint_url=endpoint_url, region=region) from exc
