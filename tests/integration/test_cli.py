"""The installed `awsconsole` command against moto's server: output, exit codes, bad input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

AWSCONSOLE = str(Path(sys.executable).with_name("awsconsole"))
INSTANCE_KEYS = {
    "id",
    "name",
    "type",
    "state",
    "market",
    "availability_zone",
    "public_ip",
    "private_ip",
    "launch_time",
    "key_name",
    "image_id",
    "tags",
    "gpus",
    "uptime_seconds",
    "price_per_hour",
    "price_source",
    "cost_since_launch",
}


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The current environment without the user's awsconsole settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSCONSOLE_")}
    env["AWSCONSOLE_CONFIG"] = str(tmp_path / "no-config.toml")
    env.update(extra)
    return env


def awsconsole(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [AWSCONSOLE, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


@pytest.fixture
def fleet(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
    ami = ec2.describe_images(Filters=[{"Name": "name", "Values": ["Deep Learning AMI*"]}])[
        "Images"
    ][0]["ImageId"]
    created = {}
    for name, instance_type in (("fashion-train", "g5.xlarge"), ("fashion-eval", "g4dn.xlarge")):
        reply = ec2.run_instances(
            ImageId=ami,
            InstanceType=instance_type,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        )
        created[reply["Instances"][0]["InstanceId"]] = (name, instance_type)
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    for bucket in ("deepfashion-data", "checkpoints"):
        s3.create_bucket(Bucket=bucket)
    return created


def test_instances_json_lists_the_fleet_with_stable_keys(aws_endpoint, fleet, tmp_path):
    result = awsconsole(
        "--endpoint-url", aws_endpoint, "instances", "--json", env=clean_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert all(set(r) == INSTANCE_KEYS for r in records)
    assert {r["id"]: (r["name"], r["type"]) for r in records} == fleet
    assert {r["state"] for r in records} == {"running"}
    assert all(r["tags"]["Name"] == r["name"] for r in records)
    gpus = {r["type"]: r["gpus"] for r in records}
    assert gpus["g5.xlarge"]["count"] == 1 and gpus["g5.xlarge"]["model"] == "A10G"


def test_instances_table_shows_names_and_ids(aws_endpoint, fleet, tmp_path):
    result = awsconsole("--endpoint-url", aws_endpoint, "instances", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["NAME", "ID", "TYPE", "GPUS"]
    assert sorted(row.split()[1] for row in rows) == sorted(fleet)


def test_buckets_json_and_table(aws_endpoint, fleet, tmp_path):
    env = clean_env(tmp_path)
    result = awsconsole("--endpoint-url", aws_endpoint, "buckets", "--json", env=env)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == ["checkpoints", "deepfashion-data"]
    assert all(set(r) == {"name", "created", "region"} for r in records)
    table = awsconsole("--endpoint-url", aws_endpoint, "buckets", env=env)
    assert [line.split()[0] for line in table.stdout.splitlines()] == [
        "NAME",
        "checkpoints",
        "deepfashion-data",
    ]


def test_cli_output_equals_the_aws_cli(aws_endpoint, fleet, tmp_path):
    env = clean_env(tmp_path)
    aws = str(Path(sys.executable).with_name("aws"))
    described = json.loads(
        subprocess.run(
            [aws, "--endpoint-url", aws_endpoint, "ec2", "describe-instances", "--output", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        ).stdout
    )
    buckets = json.loads(
        subprocess.run(
            [aws, "--endpoint-url", aws_endpoint, "s3api", "list-buckets", "--output", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        ).stdout
    )
    ours = json.loads(
        awsconsole("--endpoint-url", aws_endpoint, "instances", "--json", env=env).stdout
    )
    our_buckets = json.loads(
        awsconsole("--endpoint-url", aws_endpoint, "buckets", "--json", env=env).stdout
    )
    assert {r["id"] for r in ours} == {
        i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]
    }
    assert {r["name"] for r in our_buckets} == {b["Name"] for b in buckets["Buckets"]}


def no_aws_env(tmp_path: Path) -> dict[str, str]:
    empty_config = tmp_path / "aws-config"
    empty_credentials = tmp_path / "aws-credentials"
    empty_config.write_text("")
    empty_credentials.write_text("")
    env = {k: v for k, v in clean_env(tmp_path).items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(empty_config),
        AWS_SHARED_CREDENTIALS_FILE=str(empty_credentials),
        # no instance-metadata lookup on a machine that is not an EC2 instance
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.mark.parametrize("command", ["instances", "buckets"])
def test_no_credentials_explains_how_to_configure(moto_server, tmp_path, command):
    result = awsconsole("--endpoint-url", moto_server, command, env=no_aws_env(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("AWS credentials: No AWS credentials were found.")
    for advice in ("aws configure", "--profile", "AWS_ACCESS_KEY_ID", "awsconsole --demo"):
        assert advice in result.stderr
    assert result.stdout == ""


def test_no_credentials_and_no_region_still_explains_credentials(tmp_path):
    result = awsconsole("instances", env=no_aws_env(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "awsconsole --demo" in result.stderr


def test_unreachable_endpoint_names_it(aws_endpoint, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = awsconsole("--endpoint-url", url, "instances", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"AWS endpoint: Could not connect to {url}")


def test_unknown_profile_is_named(aws_endpoint, tmp_path):
    config = tmp_path / "aws-config"
    config.write_text("[profile training]\nregion = us-east-1\n")
    env = clean_env(tmp_path, AWS_CONFIG_FILE=str(config))
    result = awsconsole(
        "--profile", "no-such-profile", "--endpoint-url", aws_endpoint, "instances", env=env
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Configuration: The AWS profile 'no-such-profile' is not defined" in result.stderr


def test_missing_settings_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.toml"
    result = awsconsole("--config", str(missing), "instances", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert str(missing) in result.stderr and "Traceback" not in result.stderr


def test_broken_settings_file_is_named(tmp_path):
    broken = tmp_path / "config.toml"
    broken.write_text("read_only = [unclosed\n")
    result = awsconsole("--config", str(broken), "instances", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert str(broken) in result.stderr and "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelled_setting_stops_the_command_with_one_line_naming_the_fix(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('readonly = true\n[jobs]\ntmux_sockett = "x"\n')
    result = awsconsole("--config", str(config), "instances", env=clean_env(tmp_path))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert str(config) in line
    assert "'readonly' (did you mean 'read_only'?)" in line
    assert "'tmux_sockett' (did you mean 'tmux_socket'?)" in line
    assert result.stdout == ""


def test_an_environment_value_that_does_not_parse_names_its_variable(tmp_path):
    env = clean_env(tmp_path, AWSCONSOLE_READ_ONLY="sometimes")
    result = awsconsole("instances", env=env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("Configuration: AWSCONSOLE_READ_ONLY='sometimes': not a boolean")


def test_settings_file_supplies_the_endpoint(aws_endpoint, fleet, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'endpoint_url = "{aws_endpoint}"\nregion = "us-east-1"\n')
    result = awsconsole("--config", str(config), "instances", "--json", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} == set(fleet)


def test_unknown_subcommand_is_a_usage_error(tmp_path):
    result = awsconsole("no-such-command", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_console_without_credentials_explains_before_starting(tmp_path):
    result = awsconsole("--region", "us-east-1", env=no_aws_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("AWS credentials: No AWS credentials were found.")
    assert "awsconsole --demo" in result.stderr and "Traceback" not in result.stderr
