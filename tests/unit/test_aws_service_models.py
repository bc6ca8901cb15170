"""Every AWS session of the process reads botocore's service models through one loader.

No AWS endpoint is called: clients are only created (which is where the models are read).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.aws.session import AwsSession, StaticCredentials, botocore_session
from console.settings import Settings

KEYS = StaticCredentials("AKIDEXAMPLE", "secret")


@pytest.fixture(autouse=True)
def no_user_aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An AWS config file of the test's own with one profile, ``work``; no other AWS
    variable of the machine's."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text("[profile work]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return config


def loader_of(session: AwsSession):
    return session._session._session.get_component("data_loader")  # noqa: SLF001


def test_sessions_share_one_loader_and_a_model_is_parsed_once(monkeypatch):
    first = AwsSession(Settings(region="us-east-1", endpoint_url="http://127.0.0.1:9"),
                       credentials=KEYS)  # fmt: skip
    first.client("ec2")
    loader = loader_of(first)

    parsed: list[str] = []
    read = loader.file_loader.load_file
    monkeypatch.setattr(loader.file_loader, "load_file",
                        lambda path: parsed.append(path) or read(path))  # fmt: skip
    for region in ("us-east-1", "eu-west-1", "ap-south-1"):
        again = AwsSession(Settings(region=region, endpoint_url="http://127.0.0.1:9"),
                           credentials=KEYS)  # fmt: skip
        assert loader_of(again) is loader
        assert again.client("ec2").meta.region_name == region

    assert not [path for path in parsed if "ec2" in path]  # EC2's model came from memory
    # boto3 adds its data folder for each session it makes: the shared list holds it once
    assert len(loader.search_paths) == len(set(loader.search_paths))


def test_another_data_path_gets_a_loader_of_its_own(tmp_path, monkeypatch):
    default = botocore_session(no_profile=True).get_component("data_loader")
    extra = tmp_path / "models"
    extra.mkdir()
    monkeypatch.setenv("AWS_DATA_PATH", str(extra))

    other = botocore_session(no_profile=True).get_component("data_loader")

    assert other is not default
    assert str(extra) in other.search_paths and str(extra) not in default.search_paths
    assert botocore_session(no_profile=True).get_component("data_loader") is other


def test_the_named_profile_wins_over_aws_profile(monkeypatch):
    """AWS_PROFILE naming a profile this machine lacks does not stop a session whose
    settings name one it has (the profile is set before the session reads anything)."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")

    session = AwsSession(Settings(profile="work"))

    assert session.region == "eu-west-1"
    assert session.profile == "work"


def test_an_unknown_profile_is_still_a_clear_error():
    from console.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        AwsSession(Settings(profile="no-such-profile"))
    assert "no-such-profile" in str(caught.value)
    assert "work" in f"{caught.value} {caught.value.hint}"  # the profiles it has
