"""Ec2Service and S3Service against moto's server over HTTP, checked against what was created
and against what the `aws` CLI reports for the same endpoint."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from console.aws.ec2.service import Ec2Service
from console.aws.s3.service import S3Service
from console.aws.session import AwsSession
from console.errors import ConfigError, EndpointError
from console.models import InstanceState
from console.settings import Settings

AWS_CLI = str(Path(sys.executable).with_name("aws"))


@pytest.fixture
def session(aws_endpoint):
    aws = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield aws
    aws.close()


def deep_learning_ami(ec2) -> str:
    images = ec2.describe_images(Filters=[{"Name": "name", "Values": ["Deep Learning AMI*"]}])[
        "Images"
    ]
    return images[0]["ImageId"]


def launch(ec2, ami, instance_type, name=None, count=1, **extra):
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
    reply = ec2.run_instances(
        ImageId=ami,
        InstanceType=instance_type,
        MinCount=count,
        MaxCount=count,
        TagSpecifications=tags,
        **extra,
    )
    return [i["InstanceId"] for i in reply["Instances"]]


def aws_cli(endpoint: str, *args: str) -> dict:
    out = subprocess.run(
        [AWS_CLI, "--endpoint-url", endpoint, "--output", "json", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def test_list_instances_returns_what_was_launched(session, ec2):
    ami = deep_learning_ami(ec2)
    [train] = launch(ec2, ami, "g5.xlarge", name="fashion-train", KeyName="k")
    [spot] = launch(
        ec2, ami, "g4dn.xlarge", name="fashion-spot", InstanceMarketOptions={"MarketType": "spot"}
    )
    [stopped] = launch(ec2, ami, "p4d.24xlarge", name="big")
    [unnamed] = launch(ec2, ami, "t3.micro")
    ec2.stop_instances(InstanceIds=[stopped])
    truth = {
        i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }

    listed = {i.id: i for i in Ec2Service(session).list_instances()}

    assert set(listed) == {train, spot, stopped, unnamed}
    assert (listed[train].name, listed[train].type, listed[train].state) == (
        "fashion-train",
        "g5.xlarge",
        InstanceState.RUNNING,
    )
    assert listed[train].key_name == "k"
    assert listed[train].image_id == ami
    assert (listed[spot].market, listed[train].market) == ("spot", "on-demand")
    assert listed[stopped].state is InstanceState.STOPPED
    assert listed[unnamed].name == ""
    for instance_id, instance in listed.items():
        raw = truth[instance_id]
        assert instance.public_ip == raw.get("PublicIpAddress")
        assert instance.availability_zone == raw["Placement"]["AvailabilityZone"]
        assert instance.launch_time == raw["LaunchTime"]
        assert ("Name", instance.name) in instance.tags or not instance.name


def test_list_instances_follows_every_page(session, ec2):
    ami = deep_learning_ami(ec2)
    launched = set()
    for _ in range(12):
        launched.update(launch(ec2, ami, "t3.micro"))
    # 12 reservations in pages of 5: three describe_instances calls (the server does paginate)
    assert "NextToken" in ec2.describe_instances(MaxResults=5)
    assert {i.id for i in Ec2Service(session, page_size=5).list_instances()} == launched


def test_list_buckets_returns_what_was_created(session, s3):
    for name in ("deepfashion-data", "checkpoints", "zz-last"):
        s3.create_bucket(Bucket=name)
    truth = {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}

    buckets = S3Service(session).list_buckets()

    assert [b.name for b in buckets] == sorted(truth)
    assert all(b.created == truth[b.name] for b in buckets)


def test_listings_equal_what_the_aws_cli_reports(aws_endpoint, session, ec2, s3):
    ami = deep_learning_ami(ec2)
    launch(ec2, ami, "g5.xlarge", name="a", count=3)
    launch(ec2, ami, "g4dn.xlarge", name="b", count=2)
    for name in ("bucket-one", "bucket-two"):
        s3.create_bucket(Bucket=name)

    cli_instances = aws_cli(aws_endpoint, "ec2", "describe-instances")
    cli_ids = {i["InstanceId"] for r in cli_instances["Reservations"] for i in r["Instances"]}
    cli_buckets = [b["Name"] for b in aws_cli(aws_endpoint, "s3api", "list-buckets")["Buckets"]]

    assert {i.id for i in Ec2Service(session).list_instances()} == cli_ids
    assert [b.name for b in S3Service(session).list_buckets()] == sorted(cli_buckets)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_endpoint_is_an_endpoint_error_naming_it(aws_endpoint):
    url = f"http://127.0.0.1:{unused_port()}"
    aws = AwsSession(Settings(endpoint_url=url, region="eu-west-1"))
    with pytest.raises(EndpointError) as caught:
        Ec2Service(aws).list_instances()
    assert url in caught.value.message
    assert "eu-west-1" in caught.value.message


def test_unknown_profile_is_a_configuration_error(aws_endpoint, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[profile known]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError) as caught:
        AwsSession(Settings(profile="no-such-profile", endpoint_url=aws_endpoint))
    assert "no-such-profile" in caught.value.message


def test_instance_types_report_gpus_as_ec2_describes_them(session, ec2):
    names = ["g5.xlarge", "p4d.24xlarge", "t3.micro"]
    raw = {
        t["InstanceType"]: t
        for t in ec2.describe_instance_types(InstanceTypes=names)["InstanceTypes"]
    }
    service = Ec2Service(session)

    types = service.instance_types(names + ["zz.not-a-type"])

    assert sorted(types) == sorted(names)
    for name, info in types.items():
        assert info.vcpus == raw[name]["VCpuInfo"]["DefaultVCpus"]
        assert info.memory_mib == raw[name]["MemoryInfo"]["SizeInMiB"]
        gpus = raw[name].get("GpuInfo", {}).get("Gpus", [])
        assert info.gpu_count == sum(g["Count"] for g in gpus)
        assert info.gpu_model == (gpus[0]["Name"] if gpus else None)
    assert (types["p4d.24xlarge"].gpu_count, types["p4d.24xlarge"].gpu_model) == (8, "A100")
    assert types["t3.micro"].gpu_count == 0
    # cached: a second question costs no call, even for the unknown name
    calls = []
    session.client("ec2").meta.events.register("before-call.ec2.*", lambda **kw: calls.append(kw))
    assert service.instance_types(["g5.xlarge", "zz.not-a-type"]) == {
        "g5.xlarge": types["g5.xlarge"]
    }
    assert calls == []


def test_spot_prices_are_the_latest_per_type_and_zone(aws_endpoint, session):
    prices = Ec2Service(session).spot_prices(["g5.xlarge", "g4dn.xlarge"])
    described = aws_cli(
        aws_endpoint,
        "ec2",
        "describe-spot-price-history",
        "--instance-types",
        "g5.xlarge",
        "g4dn.xlarge",
        "--product-descriptions",
        "Linux/UNIX",
    )["SpotPriceHistory"]
    truth: dict[tuple[str, str], float] = {}
    for raw in sorted(described, key=lambda r: r["Timestamp"]):
        truth[(raw["InstanceType"], raw["AvailabilityZone"])] = float(raw["SpotPrice"])
    assert truth  # the endpoint does report spot prices for these types
    assert {key: p.price_per_hour for key, p in prices.items()} == truth
    assert all(p.source == "EC2 spot price history" for p in prices.values())
    assert Ec2Service(session).spot_prices([]) == {}
