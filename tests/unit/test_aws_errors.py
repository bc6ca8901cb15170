"""Every botocore/boto3 failure the console can meet becomes a ConsoleError a person can act on."""

from __future__ import annotations

import pytest
from botocore import exceptions as boto

from console.aws.errors import translate, translate_errors
from console.aws.session import CONNECTION_ATTEMPTS, _give_up_on_unreachable_endpoint
from console.errors import (
    AccessDeniedError,
    AwsError,
    ConfigError,
    CredentialsError,
    EndpointError,
    NotFoundError,
    ThrottledError,
)


def client_error(code: str, operation: str, message: str = "") -> boto.ClientError:
    return boto.ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize(
    "exc",
    [
        boto.NoCredentialsError(),
        boto.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_missing_credentials_say_how_to_configure(exc):
    error = translate(exc, service="ec2")
    assert isinstance(error, CredentialsError)
    for advice in (
        "aws configure",
        "AWS_PROFILE",
        "--profile",
        "AWS_ACCESS_KEY_ID",
        "awsconsole --demo",
    ):
        assert advice in error.hint


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
def test_expired_token_says_refresh_the_session(code):
    error = translate(
        client_error(code, "DescribeInstances", "The security token has expired"), service="ec2"
    )
    assert isinstance(error, CredentialsError)
    assert code in error.message
    assert "aws sso login" in error.hint


def test_expired_sso_token_says_refresh_the_session():
    error = translate(boto.TokenRetrievalError(provider="sso", error_msg="token expired"))
    assert isinstance(error, CredentialsError)
    assert "aws sso login" in error.hint


@pytest.mark.parametrize(
    ("code", "service", "operation", "action"),
    [
        ("UnauthorizedOperation", "ec2", "DescribeInstances", "ec2:DescribeInstances"),
        ("AccessDenied", "s3", "ListBuckets", "s3:ListAllMyBuckets"),
        ("AccessDenied", "s3", "ListObjectsV2", "s3:ListBucket"),
        (
            "AccessDeniedException",
            "service-quotas",
            "GetServiceQuota",
            "service-quotas:GetServiceQuota",
        ),
    ],
)
def test_access_denied_names_the_action(code, service, operation, action):
    error = translate(client_error(code, operation, "You are not authorized"), service=service)
    assert isinstance(error, AccessDeniedError)
    assert action in error.message
    assert action in error.hint


def test_unauthorized_operation_with_encoded_message_points_at_decoding_it():
    error = translate(
        client_error(
            "UnauthorizedOperation", "RunInstances", "Encoded authorization failure message: abc"
        ),
        service="ec2",
    )
    assert "decode-authorization-message" in error.hint


@pytest.mark.parametrize(
    "exc",
    [
        boto.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"),
        boto.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9/"),
    ],
)
def test_unreachable_endpoint_names_the_url_and_region(exc):
    error = translate(exc, service="ec2", region="eu-west-1")
    assert isinstance(error, EndpointError)
    assert "http://127.0.0.1:9/" in error.message
    assert "eu-west-1" in error.message


@pytest.mark.parametrize(
    "code", ["Throttling", "ThrottlingException", "SlowDown", "RequestLimitExceeded"]
)
def test_throttling_becomes_throttled_error(code):
    error = translate(client_error(code, "DescribeInstances", "Rate exceeded"), service="ec2")
    assert isinstance(error, ThrottledError)
    assert "ec2:DescribeInstances" in error.message


def test_unknown_profile_is_a_configuration_error_naming_it():
    error = translate(boto.ProfileNotFound(profile="gpu-team"))
    assert isinstance(error, ConfigError)
    assert "'gpu-team'" in error.message
    assert "aws configure" in error.hint


def test_no_region_is_a_configuration_error_with_the_flag():
    error = translate(boto.NoRegionError())
    assert isinstance(error, ConfigError)
    assert "--region" in error.hint


@pytest.mark.parametrize("code", ["NoSuchBucket", "InvalidInstanceID.NotFound"])
def test_missing_resources_are_not_found(code):
    error = translate(client_error(code, "HeadBucket", "nope"), service="s3")
    assert isinstance(error, NotFoundError)


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "AuthFailure", "SignatureDoesNotMatch"])
def test_rejected_credentials_are_credential_errors(code):
    error = translate(client_error(code, "DescribeInstances"), service="ec2")
    assert isinstance(error, CredentialsError)
    assert code in error.message


def test_other_client_errors_keep_code_and_message():
    error = translate(
        client_error("InvalidParameterValue", "RunInstances", "bad size"), service="ec2"
    )
    assert type(error) is AwsError
    assert "InvalidParameterValue" in error.message and "bad size" in error.message


def test_translate_errors_chains_the_original():
    original = client_error("SlowDown", "PutObject")
    with pytest.raises(ThrottledError) as caught:
        with translate_errors("s3"):
            raise original
    assert caught.value.__cause__ is original


def test_translate_errors_lets_other_exceptions_through():
    with pytest.raises(KeyError):
        with translate_errors("s3"):
            raise KeyError("not an AWS failure")


def test_connection_failures_stop_retrying_after_a_few_attempts():
    refused = boto.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
    assert (
        _give_up_on_unreachable_endpoint(attempts=CONNECTION_ATTEMPTS - 1, caught_exception=refused)
        is None
    )
    with pytest.raises(boto.EndpointConnectionError):
        _give_up_on_unreachable_endpoint(attempts=CONNECTION_ATTEMPTS, caught_exception=refused)


def test_throttling_keeps_every_retry_attempt():
    # a throttled answer is a response, not an exception: the adaptive handler decides
    assert (
        _give_up_on_unreachable_endpoint(attempts=9, caught_exception=None, response=({}, {}))
        is None
    )


def test_a_non_aws_answer_is_an_endpoint_error_naming_the_endpoint():
    from botocore.parsers import ResponseParserError

    with pytest.raises(EndpointError, match="http://127.0.0.1:9 answered ec2") as caught:
        with translate_errors("ec2", endpoint_url="http://127.0.0.1:9"):
            raise ResponseParserError("Unable to parse response: <!doctype html>")
    assert "--endpoint-url" in caught.value.hint
