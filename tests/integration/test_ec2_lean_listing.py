"""Lean DescribeInstances pages against moto's server: every Instance the console builds from
the fields read straight off the XML equals the one built from botocore's full parse."""

from __future__ import annotations

import boto3
import pytest

from console.aws.ec2.answers import instance_from_api
from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession
from console.settings import Settings


@pytest.fixture
def ec2(aws_endpoint):
    return boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture
def session(aws_endpoint):
    aws = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield aws
    aws.close()


def seed(ec2) -> None:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_key_pair(KeyName="lab key")
    tags = [("Name", 'ünïcode <train> & "eval"'), ("team", ""), ("Name", "plain")]
    for i in range(12):
        key, value = tags[i % len(tags)]
        extra = {"KeyName": "lab key"} if i % 2 else {}
        if i % 4 == 3:
            extra["InstanceMarketOptions"] = {"MarketType": "spot"}
        ec2.run_instances(
            ImageId=image,
            InstanceType="g5.xlarge" if i % 3 else "t3.micro",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": key, "Value": value}]}
            ],
            **extra,
        )
    first = ec2.describe_instances()["Reservations"][0]["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[first])


def botocore_instances(ec2):
    pages = ec2.get_paginator("describe_instances").paginate()
    return [instance_from_api(i) for p in pages for r in p["Reservations"] for i in r["Instances"]]


@pytest.mark.parametrize("page_size", [5, 1000])
def test_lean_listing_equals_botocores_parse(ec2, session, page_size):
    seed(ec2)
    truth = botocore_instances(ec2)
    listed = Ec2Service(session, page_size=page_size).list_instances()
    assert listed == truth
    assert len(listed) == 12
    assert {i.market for i in listed} == {"spot", "on-demand"}
    assert {str(i.state) for i in listed} >= {"running", "stopped"}
    assert any(i.name == 'ünïcode <train> & "eval"' for i in listed)
    assert all(i.launch_time is not None and i.launch_time.tzinfo for i in listed)


def test_first_page_is_handed_over_before_the_rest(ec2, session, monkeypatch):
    seed(ec2)
    monkeypatch.setattr("console.aws.ec2.service.FIRST_PAGE_SIZE", 5)  # EC2's smallest page
    firsts = []
    service = Ec2Service(session, page_size=1000)
    listed = service.list_instances(first_page=firsts.append)
    assert len(firsts) == 1
    assert len(firsts[0]) == 5
    assert listed[: len(firsts[0])] == firsts[0]
    assert listed == botocore_instances(ec2)


def test_a_listing_that_fits_the_first_page_comes_back_whole_only(ec2, session):
    seed(ec2)
    firsts = []
    listed = Ec2Service(session).list_instances(first_page=firsts.append)
    assert firsts == []  # no early rows without prices: the whole listing is there at once
    assert len(listed) == 12
