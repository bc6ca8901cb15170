"""What the profile and region switch is built on: the profiles and regions on offer, the
settings of a new target, and errors that name the profile and say what to do."""

from __future__ import annotations

import pytest
from botocore import exceptions as boto

from console.aws.errors import translate
from console.aws.session import (
    SHIPPED_REGIONS,
    AwsSession,
    available_profiles,
    available_regions,
    profile_kind,
    profiles_from_config,
    regions_from_endpoints,
)
from console.cli import main
from console.demo.services import DemoServices
from console.errors import AccessDeniedError, ConfigError, CredentialsError, HostConfigError
from console.format.account import profile_label
from console.hosts import HostPool
from console.hosts.local import LocalHost
from console.models import AwsProfile, AwsRegion, Instance, InstanceState
from console.services import Services
from console.settings import Settings

CONFIG = """\
[default]
region = us-east-1

[profile research]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Trainer
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile assumed]
role_arn = arn:aws:iam::111122223333:role/Train
source_profile = default

[profile helper]
credential_process = /usr/local/bin/get-creds
"""

CREDENTIALS = """\
[default]
aws_access_key_id = AKIADEFAULT000000000
aws_secret_access_key = secret

[keys-only]
aws_access_key_id = AKIAKEYSONLY00000000
aws_secret_access_key = secret
"""


@pytest.fixture
def aws_files(tmp_path, monkeypatch):
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(CONFIG)
    credentials.write_text(CREDENTIALS)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_PROFILE", raising=False)
    return config


@pytest.mark.parametrize(
    ("section", "kind"),
    [
        ({"sso_session": "corp", "sso_role_name": "x"}, "sso"),
        ({"sso_start_url": "https://x.awsapps.com/start"}, "sso"),
        ({"role_arn": "arn:aws:iam::1:role/r", "source_profile": "default"}, "role"),
        ({"credential_process": "/bin/creds"}, "process"),
        ({"aws_access_key_id": "AKIA", "aws_secret_access_key": "s"}, "keys"),
        ({"region": "eu-west-1"}, "config"),
    ],
)
def test_profile_kind_says_where_credentials_come_from(section, kind):
    assert profile_kind(section) == kind


def test_profiles_come_sorted_after_the_standard_chain():
    listed = profiles_from_config({"zeta": {}, "alpha": {"region": "eu-west-1"}})
    assert listed == [
        AwsProfile(None, "chain"),
        AwsProfile("alpha", "config", "eu-west-1"),
        AwsProfile("zeta", "config"),
    ]
    assert profile_label(listed[0]) == "(standard chain)"


def test_available_profiles_read_both_files_sso_included(aws_files):
    profiles = {p.name: p for p in available_profiles()}
    assert set(profiles) == {None, "default", "research", "assumed", "helper", "keys-only"}
    assert profiles["research"] == AwsProfile("research", "sso", "eu-west-1")
    assert profiles["assumed"].kind == "role"
    assert profiles["helper"].kind == "process"
    assert profiles["keys-only"].kind == "keys"
    assert profiles["default"].region == "us-east-1"


def test_available_profiles_see_a_profile_added_meanwhile(aws_files):
    aws_files.write_text(CONFIG + "\n[profile later]\nregion = ap-south-1\n")
    assert AwsProfile("later", "config", "ap-south-1") in available_profiles()


def test_a_broken_config_file_is_named(aws_files):
    aws_files.write_text("[profile broken\nregion = eu-west-1\n")
    with pytest.raises(ConfigError) as caught:
        available_profiles()
    assert str(aws_files) in caught.value.message


def test_regions_get_their_descriptions_from_the_endpoint_data():
    endpoints = {
        "partitions": [
            {"regions": {"eu-west-1": {"description": "Europe (Ireland)"}, "us-east-1": {}}}
        ]
    }
    assert regions_from_endpoints(endpoints, ["us-east-1", "eu-west-1", "xx-new-1"]) == [
        AwsRegion("eu-west-1", "Europe (Ireland)"),
        AwsRegion("us-east-1", ""),
        AwsRegion("xx-new-1", ""),
    ]


def test_available_regions_are_ec2_regions_by_name():
    regions = available_regions("ec2")
    names = [r.name for r in regions]
    assert names == sorted(set(names))
    assert {"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"} <= set(names)
    described = {r.name: r.description for r in regions}
    assert "Virginia" in described["us-east-1"]


def test_the_shipped_region_list_is_complete_enough_to_fall_back_on():
    names = [r.name for r in SHIPPED_REGIONS]
    assert len(names) == len(set(names))
    assert all(r.description for r in SHIPPED_REGIONS)
    assert {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"} <= set(names)


def test_with_target_can_return_to_the_standard_chain(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('profile = "dev"\nregion = "eu-west-1"\n[instances]\nssh_user = "ec2-user"\n')
    settings = Settings.load(path, environ={})
    moved = settings.with_target(profile=None, region="us-west-2")
    assert (moved.profile, moved.region) == (None, "us-west-2")
    assert moved.instances.ssh_user == "ec2-user"  # the file's tables stay
    # with_overrides treats None as "not given": it could not do this
    assert settings.with_overrides(profile=None).profile == "dev"


def test_unknown_profile_is_named_with_the_ones_that_exist(aws_files):
    with pytest.raises(ConfigError) as caught:
        AwsSession(Settings(profile="reserch", region="us-east-1"))
    error = caught.value
    assert "'reserch'" in error.message and str(aws_files) in error.message
    for name in ("default", "research", "assumed", "helper", "keys-only"):
        assert name in error.hint
    assert "aws configure" in error.hint


def test_unknown_profile_on_the_command_line_ends_with_a_clear_message(aws_files, capsys):
    assert main(["--profile", "nope", "instances"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Configuration: The AWS profile 'nope' is not defined")
    assert "research" in err and "keys-only" in err


def client_error(code: str, operation: str, message: str = "") -> boto.ClientError:
    return boto.ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
def test_expired_token_names_the_profile_and_the_login_command(code):
    error = translate(
        client_error(code, "DescribeInstances", "The security token included has expired"),
        service="ec2",
        region="eu-west-1",
        profile="research",
    )
    assert isinstance(error, CredentialsError)
    assert "research" in error.message and code in error.message
    assert "aws sso login --profile research" in error.hint
    assert "aws_session_token" in error.hint


def test_expired_sso_session_names_the_profile():
    error = translate(
        boto.UnauthorizedSSOTokenError(), service="ec2", region="eu-west-1", profile="research"
    )
    assert isinstance(error, CredentialsError)
    assert "research" in error.message
    assert "aws sso login --profile research" in error.hint


@pytest.mark.parametrize(
    ("code", "service", "operation", "action"),
    [
        ("UnauthorizedOperation", "ec2", "DescribeInstances", "ec2:DescribeInstances"),
        ("UnauthorizedOperation", "ec2", "RunInstances", "ec2:RunInstances"),
        ("AccessDenied", "s3", "ListBuckets", "s3:ListAllMyBuckets"),
    ],
)
def test_denied_says_which_action_the_policy_needs_and_for_whom(code, service, operation, action):
    error = translate(
        client_error(code, operation, "You are not authorized to perform this operation."),
        service=service,
        region="eu-west-1",
        profile="research",
    )
    assert isinstance(error, AccessDeniedError)
    assert error.message == (
        f"Not allowed to call {action} with profile research in eu-west-1 ({code})."
    )
    assert f"must allow {action}" in error.hint and "IAM policy" in error.hint


def test_denied_without_a_profile_speaks_of_the_credentials():
    error = translate(client_error("UnauthorizedOperation", "StopInstances"), service="ec2")
    assert error.message == "Not allowed to call ec2:StopInstances (UnauthorizedOperation)."
    assert "these credentials must allow ec2:StopInstances" in error.hint


def test_rejected_keys_in_a_region_mention_opt_in_regions():
    error = translate(
        client_error("InvalidClientTokenId", "GetCallerIdentity", "The security token is invalid"),
        service="sts",
        region="me-south-1",
        profile="research",
    )
    assert isinstance(error, CredentialsError)
    assert "with profile research" in error.message and "InvalidClientTokenId" in error.message
    assert "me-south-1 is an opt-in region" in error.hint


# -- Services --------------------------------------------------------------------------

INSTANCE = Instance("i-0abc", "train", "g5.xlarge", InstanceState.RUNNING, public_ip="192.0.2.1")


def refuse_to_connect(settings: Settings):
    raise AssertionError(f"no connection should be made for {settings}")


def test_services_built_by_hand_cannot_switch():
    services = Services(Settings(), ec2=None, s3=None, hosts=HostPool())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="nothing to switch"):
        services.switch_aws("dev", "eu-west-1")


def test_the_demo_refuses_a_profile_it_does_not_have_and_changes_nothing():
    services = DemoServices(
        Settings(demo=True, region="us-east-1"),
        ec2=None,  # type: ignore[arg-type]
        s3=None,  # type: ignore[arg-type]
        hosts=HostPool(),
        demo=object(),
        connect=refuse_to_connect,
    )
    with pytest.raises(ConfigError, match="'research'") as caught:
        services.switch_aws("research", "eu-west-1")
    assert "'demo'" in caught.value.message
    assert services.settings.region == "us-east-1"
    assert services.target.profile == "demo"
    assert [p.name for p in services.aws_profiles()] == ["demo"]


def test_regions_on_offer_always_include_the_current_one():
    services = Services(Settings(region="xx-local-1"), None, None, HostPool())  # type: ignore[arg-type]
    names = [r.name for r in services.aws_regions()]
    assert "xx-local-1" in names and "us-east-1" in names
    assert names == sorted(names)


def test_terminal_argv_is_ssh_for_an_account_and_a_sandbox_shell_for_the_demo(tmp_path):
    account = Services(Settings(), None, None, HostPool())  # type: ignore[arg-type]
    assert account.terminal_argv(INSTANCE, "shell")[-1] == "ubuntu@192.0.2.1"
    assert "127.0.0.1:8888:localhost:8888" in account.terminal_argv(INSTANCE, "jupyter")
    with pytest.raises(HostConfigError, match="'browser'"):
        account.terminal_argv(INSTANCE, "browser")
    stopped = Instance("i-0def", "idle", "g5.xlarge", InstanceState.STOPPED)
    with pytest.raises(HostConfigError, match="stopped"):
        account.terminal_argv(stopped, "shell")

    hosts = HostPool(factory=lambda target: LocalHost(name=target, home=tmp_path))
    demo = DemoServices(Settings(), None, None, hosts, demo=object())  # type: ignore[arg-type]
    argv = demo.terminal_argv(INSTANCE, "shell")
    assert "ssh" not in argv[0] and str(tmp_path) in " ".join(argv)
    with pytest.raises(HostConfigError, match="localhost"):
        demo.terminal_argv(INSTANCE, "jupyter")
